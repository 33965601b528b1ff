//! The checks a document allows on its own: references and where they are first used, variable
//! declarations, values still masked, and the packs' schema constraints.

use std::collections::{HashMap, HashSet};

use super::{codes, constraints};
use crate::document::{Profile, pack_pointer, variable_pointer};
use crate::finding;
use crate::mask::PLACEHOLDER;
use crate::refs::{self, Kind};
use crate::types::{Finding, PackMeta, Subject};
use crate::values::{self, Scalar};

/// A text of the document that may hold references: a pack's values or a manifest's content.
pub struct Text<'a> {
    /// Index of its pack in `spec.template.packs`.
    pub pack: usize,
    /// JSON pointer of the string.
    pub pointer: String,
    /// The string itself.
    pub body: &'a str,
    /// A values YAML, parsed (`None` for manifests); `Err` when it is not YAML.
    pub scalars: Option<Result<Vec<Scalar>, String>>,
}

/// The document's texts, in document order, each values YAML parsed once.
pub fn texts(profile: &Profile) -> Vec<Text<'_>> {
    let mut out = Vec::new();
    for (i, pack) in profile.spec.template.packs.iter().enumerate() {
        if let Some(body) = pack.values.as_deref() {
            out.push(Text {
                pack: i,
                pointer: pack_pointer(i, "values"),
                body,
                scalars: Some(values::scalars(body)),
            });
        }
        for (j, m) in pack.manifests.iter().flatten().enumerate() {
            if let Some(body) = m.content.as_deref() {
                out.push(Text {
                    pack: i,
                    pointer: format!("{}/{j}/content", pack_pointer(i, "manifests")),
                    body,
                    scalars: None,
                });
            }
        }
    }
    out
}

/// A name referenced in the document: where it is first used, and how often.
#[derive(Debug, Clone, PartialEq)]
pub struct Use {
    /// The macro's or variable's name.
    pub name: String,
    /// JSON pointer of the string holding its first use.
    pub pointer: String,
    /// The dotted path of the value holding the first use, when it is in a values YAML value.
    pub yaml_path: Option<String>,
    /// How many times the document uses it.
    pub count: usize,
}

impl Use {
    fn place(&self, f: Finding) -> Finding {
        match &self.yaml_path {
            Some(path) => f.at_value(self.pointer.clone(), path.clone()),
            None => f.at(self.pointer.clone()),
        }
    }
}

/// Every name referenced as `kind`, once, in the order of first use.
pub fn uses(texts: &[Text<'_>], kind: Kind) -> Vec<Use> {
    let mut out: Vec<Use> = Vec::new();
    for text in texts {
        for r in refs::references(text.body)
            .into_iter()
            .filter(|r| r.kind == kind)
        {
            if let Some(seen) = out.iter_mut().find(|u| u.name == r.name) {
                seen.count += 1;
                continue;
            }
            let scalars = text.scalars.as_ref().and_then(|s| s.as_ref().ok());
            let holder = scalars
                .into_iter()
                .flatten()
                .find(|s| s.span.start <= r.span.start && r.span.end <= s.span.end);
            out.push(Use {
                name: r.name,
                pointer: text.pointer.clone(),
                yaml_path: holder.map(Scalar::dotted),
                count: 1,
            });
        }
    }
    out
}

fn times(n: usize) -> String {
    if n == 1 {
        "once".into()
    } else {
        format!("{n} times")
    }
}

/// `values-invalid`: a values YAML Palette would refuse (`InvalidPackValues`).
pub fn invalid_values(profile: &Profile, texts: &[Text<'_>]) -> Vec<Finding> {
    texts
        .iter()
        .filter_map(|t| match &t.scalars {
            Some(Err(e)) => Some(
                finding::error(
                    codes::VALUES_INVALID,
                    format!(
                        "pack '{}': its values are not valid YAML ({e})",
                        profile.spec.template.packs[t.pack].name
                    ),
                )
                .at(t.pointer.clone())
                .hint("fix the YAML; Palette refuses the import (InvalidPackValues)"),
            ),
            _ => None,
        })
        .collect()
}

/// `variable-undeclared`: `{{.spectro.var.X}}` without X in `spec.variables`.
pub fn undeclared_variables(profile: &Profile, texts: &[Text<'_>]) -> Vec<Finding> {
    let declared: HashSet<&str> = profile
        .spec
        .variables
        .iter()
        .flatten()
        .map(|v| v.name.as_str())
        .collect();
    uses(texts, Kind::Var)
        .into_iter()
        .filter(|u| !declared.contains(u.name.as_str()))
        .map(|u| {
            let f = finding::error(
                codes::VARIABLE_UNDECLARED,
                format!(
                    "variable '{}' is used ({}) but spec.variables does not declare it; Palette refuses the import (PackVariablesUndefined)",
                    u.name,
                    times(u.count)
                ),
            )
            .about(Subject::Variable(u.name.clone()))
            .hint(format!("declare '{}' in spec.variables, or stop using it in the values", u.name));
            u.place(f)
        })
        .collect()
}

/// `macro-undefined`: macros the document uses that `defined` lacks (one finding per macro).
pub fn undefined_macros(uses: &[Use], defined: &HashSet<String>, env: &str) -> Vec<Finding> {
    uses.iter()
        .filter(|u| !defined.contains(&u.name))
        .map(|u| {
            let f = finding::error(
                codes::MACRO_UNDEFINED,
                format!(
                    "macro '{}' is used ({}) but is defined at no scope of {env} (project, tenant or system); an export does not carry macros",
                    u.name,
                    times(u.count)
                ),
            )
            .about(Subject::Macro(u.name.clone()))
            .hint(format!(
                "create it in {env} first, or let ferry create it: --create-macros --set macro.{}=VALUE",
                u.name
            ))
            .fix([
                "--create-macros".to_string(),
                "--set".into(),
                format!("macro.{}=VALUE", u.name),
            ]);
            u.place(f)
        })
        .collect()
}

/// `value-masked`: pack values and variable defaults that are still `********`.
pub fn masked_values(profile: &Profile, texts: &[Text<'_>]) -> Vec<Finding> {
    // `target` is the place as `--set` names it (none in a manifest: `--set` fills values only).
    let hint = |target: Option<String>| {
        let set = target.map_or(String::new(), |t| format!(", --set '{t}=VALUE'"));
        format!(
            "supply the real value: --secrets BUNDLE (sealed by the export){set}, or --allow-masked to type it in Palette after the import"
        )
    };
    // The fix: `--set` for that place (a manifest's values have none).
    let with_fix = |f: Finding, target: Option<String>| match target {
        Some(t) => f.fix(["--set".to_string(), format!("{t}=VALUE")]),
        None => f,
    };
    let mut out = Vec::new();
    for t in texts {
        let Some(Ok(scalars)) = &t.scalars else {
            continue;
        };
        let pack = &profile.spec.template.packs[t.pack].name;
        for s in scalars.iter().filter(|s| s.value == PLACEHOLDER) {
            let path = s.dotted();
            let target = t
                .pointer
                .ends_with("/values")
                .then(|| format!("{pack}:{path}"));
            let f = finding::error(
                codes::VALUE_MASKED,
                format!("pack '{pack}': {path} is still the mask {PLACEHOLDER}; Palette would store it as the value"),
            )
            .at_value(t.pointer.clone(), path.clone())
            .hint(hint(target.clone()));
            out.push(with_fix(f, target));
        }
    }
    for (i, v) in profile.spec.variables.iter().flatten().enumerate() {
        if v.default_value.as_deref() == Some(PLACEHOLDER) {
            let pointer = variable_pointer(i, "defaultValue");
            out.push(
                finding::error(
                    codes::VALUE_MASKED,
                    format!(
                        "variable '{}': its default value is still the mask {PLACEHOLDER}",
                        v.name
                    ),
                )
                .at(pointer.clone())
                .about(Subject::Variable(v.name.clone()))
                .hint(hint(Some(format!("var.{}", v.name))))
                .fix(["--set".to_string(), format!("var.{}=VALUE", v.name)]),
            );
        }
    }
    out
}

/// `schema-required` (error), `schema-format` and `schema-regex` (warnings), from the packs'
/// schemas, matched to the document's packs by name. Messages never quote a value: it may be a
/// secret no masker caught.
pub fn schema_violations(
    profile: &Profile,
    texts: &[Text<'_>],
    packs: &[PackMeta],
) -> Vec<Finding> {
    let schemas: HashMap<&str, &PackMeta> = packs.iter().map(|p| (p.name.as_str(), p)).collect();
    let mut out = Vec::new();
    for t in texts {
        let Some(Ok(scalars)) = &t.scalars else {
            continue;
        };
        let pack = &profile.spec.template.packs[t.pack];
        let Some(meta) = schemas
            .get(pack.name.as_str())
            .filter(|m| !m.schema.is_empty())
        else {
            continue;
        };
        let version = pack
            .version
            .as_deref()
            .or(pack.tag.as_deref())
            .unwrap_or(&meta.tag);
        let subject = Subject::Pack(format!("{}@{version}", pack.name));
        for v in constraints::check(scalars, &meta.schema) {
            let f = match &v.problem {
                constraints::Problem::Required => finding::error(
                    codes::SCHEMA_REQUIRED,
                    format!(
                        "pack '{}': {} is required by the pack's schema and has no value",
                        pack.name, v.yaml_path
                    ),
                )
                .hint(format!(
                    "set it: --set {}#{}=VALUE, or edit the values",
                    t.pointer, v.yaml_path
                )),
                constraints::Problem::Format { format, .. } => finding::warning(
                    codes::SCHEMA_FORMAT,
                    format!(
                        "pack '{}': {} is not of the schema's format {format}",
                        pack.name, v.yaml_path
                    ),
                )
                .hint("give a value of that format"),
                constraints::Problem::Regex { pattern, .. } => finding::warning(
                    codes::SCHEMA_REGEX,
                    format!(
                        "pack '{}': {} does not match the schema's pattern {pattern}",
                        pack.name, v.yaml_path
                    ),
                )
                .hint("give a value that matches the pattern"),
            };
            out.push(
                f.at_value(t.pointer.clone(), v.yaml_path)
                    .about(subject.clone()),
            );
        }
    }
    out
}
