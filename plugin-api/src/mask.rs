//! Masking: take secrets out of a profile document, replace them with Palette's placeholder, and
//! report each one so the host can seal it.
//!
//! [`mask_packs`] and [`mask_variables`] are the engine any masker uses with its own rule;
//! [`palette_rules`] applies Palette's rules (schema `format "${password}"` and `isSensitive`
//! variables), which is what the built-in masker does.
//!
//! Not masked, whatever the rule: empty values (nothing to hide), values already `********`
//! (Palette took them out before; only the target can supply them), and values that are a single
//! `{{.spectro...}}` reference (they point at a secret kept elsewhere; masking would lose the link).

use std::collections::{HashMap, HashSet};

use crate::document::{Pack, Profile, Variable, pack_pointer, variable_pointer};
use crate::types::{MaskOutput, MaskedValue, PackMeta};
use crate::{refs, schema, values};

/// What Palette writes in place of a secret.
pub const PLACEHOLDER: &str = "********";

fn worth_masking(value: &str) -> bool {
    !value.is_empty() && value != PLACEHOLDER && !refs::is_only_reference(value)
}

/// Masks the scalars of every pack's values for which `rule` names a reason. Packs for which
/// `wants` is false are not read at all (parsing YAML is most of a masker's work).
pub fn mask_packs(
    profile: &mut Profile,
    wants: impl Fn(&Pack) -> bool,
    mut rule: impl FnMut(&Pack, &values::Scalar) -> Option<String>,
) -> Result<Vec<MaskedValue>, String> {
    let mut masked = Vec::new();
    for (index, pack) in profile.spec.template.packs.iter_mut().enumerate() {
        if !wants(pack) {
            continue;
        }
        let Some(text) = pack.values.as_deref() else {
            continue;
        };
        let scalars =
            values::scalars(text).map_err(|e| format!("pack '{}' values: {e}", pack.name))?;
        let mut edits = Vec::new();
        for scalar in &scalars {
            if !worth_masking(&scalar.value) {
                continue;
            }
            if let Some(reason) = rule(pack, scalar) {
                masked.push(MaskedValue {
                    pointer: pack_pointer(index, "values"),
                    key: values::pointer(&scalar.path),
                    value: scalar.value.clone(),
                    rule: reason,
                });
                edits.push((scalar.span.clone(), values::quoted(PLACEHOLDER)));
            }
        }
        if !edits.is_empty() {
            pack.values = Some(values::replace(text, edits));
        }
    }
    Ok(masked)
}

/// Masks the default value of every variable for which `rule` names a reason.
pub fn mask_variables(
    profile: &mut Profile,
    mut rule: impl FnMut(&Variable) -> Option<String>,
) -> Vec<MaskedValue> {
    let mut masked = Vec::new();
    for (index, var) in profile.spec.variables.iter_mut().flatten().enumerate() {
        let Some(value) = var.default_value.as_deref().filter(|v| worth_masking(v)) else {
            continue;
        };
        if let Some(reason) = rule(var) {
            masked.push(MaskedValue {
                pointer: variable_pointer(index, "defaultValue"),
                key: String::new(),
                value: value.to_string(),
                rule: reason,
            });
            var.default_value = Some(PLACEHOLDER.to_string());
        }
    }
    masked
}

/// Palette's rules: values whose pack schema says `format "${password}"`, and variables marked
/// `isSensitive`. `packs` carries each pack's schema, matched to the document's packs by name.
pub fn palette_rules(document: &str, packs: &[PackMeta]) -> Result<MaskOutput, String> {
    let passwords: HashMap<&str, HashSet<&str>> = packs
        .iter()
        .map(|p| {
            let fields = p
                .schema
                .iter()
                .filter(|f| schema::is_password(f))
                .map(|f| f.name.trim());
            (p.name.as_str(), fields.collect())
        })
        .collect();
    // Most documents hold nothing Palette's rules mask: a skim that reads only pack names and
    // variable flags (no maps, no copies of values) settles that before any full parse.
    let skim: Skim = serde_json::from_str(document)
        .map_err(|e| format!("not a Palette profile export (JSON): {e}"))?;
    let sensitive = skim
        .spec
        .variables
        .iter()
        .any(|v| v.is_sensitive == Some(true));
    if !sensitive
        && !skim
            .spec
            .template
            .packs
            .iter()
            .any(|p| passwords.get(&*p.name).is_some_and(|f| !f.is_empty()))
    {
        return Ok(MaskOutput {
            document: None,
            masked: Vec::new(),
        });
    }
    let mut profile = Profile::parse(document)?;
    let has_passwords = |pack: &Pack| {
        passwords
            .get(pack.name.as_str())
            .is_some_and(|f| !f.is_empty())
    };
    let mut masked = mask_packs(&mut profile, has_passwords, |pack, scalar| {
        let fields = passwords.get(pack.name.as_str())?;
        fields
            .contains(scalar.dotted().as_str())
            .then(|| "schema-password".to_string())
    })?;
    masked.extend(mask_variables(&mut profile, |var| {
        (var.is_sensitive == Some(true)).then(|| "sensitive-variable".to_string())
    }));
    // Nothing masked: the host keeps the document it has, byte for byte.
    let document = (!masked.is_empty()).then(|| profile.to_json());
    Ok(MaskOutput { document, masked })
}

/// Just enough of a document to tell whether Palette's rules have anything to do.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Skim<'a> {
    #[serde(borrow)]
    spec: SkimSpec<'a>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct SkimSpec<'a> {
    #[serde(borrow)]
    template: SkimTemplate<'a>,
    variables: Vec<SkimVariable>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct SkimTemplate<'a> {
    #[serde(borrow)]
    packs: Vec<SkimPack<'a>>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct SkimPack<'a> {
    #[serde(borrow)]
    name: std::borrow::Cow<'a, str>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct SkimVariable {
    #[serde(rename = "isSensitive")]
    is_sensitive: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::parse_field;

    fn meta(name: &str, fields: &[(&str, &str)]) -> PackMeta {
        PackMeta {
            name: name.into(),
            tag: "1.0.0".into(),
            schema: fields.iter().map(|(k, s)| parse_field(k, s)).collect(),
        }
    }

    const DOC: &str = r#"{"metadata":{"name":"web"},"spec":{"version":"1.0.0","template":{"packs":[
        {"name":"agent","values":"charts:\n  agent:\n    apiKey: abc123 # the key\n    other: visible\n    empty: \"\"\n    fromMacro: \"{{.spectro.macro.AGENT_KEY}}\"\n"},
        {"name":"plain","values":"password: not-marked\n"}
      ]},"variables":[{"name":"dbpass","isSensitive":true,"defaultValue":"pw1"},{"name":"region","defaultValue":"eu"}]}}"#;

    #[test]
    fn masks_schema_passwords_and_sensitive_variables() {
        let packs = [meta(
            "agent",
            &[
                (
                    "charts.agent.apiKey",
                    r#"{{ required | format "${password}" }}"#,
                ),
                ("charts.agent.empty", r#"{{ format "${password}" }}"#),
                ("charts.agent.fromMacro", r#"{{ format "${password}" }}"#),
                ("charts.agent.other", r#"{{ format "${string}" }}"#),
            ],
        )];
        let out = palette_rules(DOC, &packs).unwrap();
        let found: Vec<_> = out
            .masked
            .iter()
            .map(|m| {
                (
                    m.pointer.as_str(),
                    m.key.as_str(),
                    m.value.as_str(),
                    m.rule.as_str(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                (
                    "/spec/template/packs/0/values",
                    "/charts/agent/apiKey",
                    "abc123",
                    "schema-password"
                ),
                (
                    "/spec/variables/0/defaultValue",
                    "",
                    "pw1",
                    "sensitive-variable"
                ),
            ]
        );
        let text = out.document.expect("a masked document");
        let doc = Profile::parse(&text).unwrap();
        let agent = doc.spec.template.packs[0].values.as_deref().unwrap();
        assert!(agent.contains("apiKey: \"********\" # the key"), "{agent}");
        assert!(agent.contains("other: visible") && agent.contains("{{.spectro.macro.AGENT_KEY}}"));
        // Palette's rules only: an unmarked `password` key stays (other maskers catch those).
        assert_eq!(
            doc.spec.template.packs[1].values.as_deref(),
            Some("password: not-marked\n")
        );
        let vars = doc.spec.variables.unwrap();
        assert_eq!(vars[0].default_value.as_deref(), Some(PLACEHOLDER));
        assert_eq!(vars[1].default_value.as_deref(), Some("eu"));
        assert!(!text.contains("abc123") && !text.contains("pw1"));
    }

    #[test]
    fn nothing_to_mask_returns_the_document_unchanged() {
        let doc = r#"{"metadata":{"name":"x"},"spec":{"template":{"packs":[{"name":"a","values":"k: v"}]}}}"#;
        let out = palette_rules(doc, &[]).unwrap();
        assert!(out.masked.is_empty());
        assert_eq!(out.document, None, "unchanged: nothing to copy back");
    }

    #[test]
    fn bad_values_yaml_names_the_pack() {
        let doc = r#"{"metadata":{"name":"x"},"spec":{"template":{"packs":[{"name":"broken","values":"a: [1"}]}}}"#;
        let err = palette_rules(
            doc,
            &[meta("broken", &[("a", r#"{{ format "${password}" }}"#)])],
        )
        .unwrap_err();
        assert!(err.contains("pack 'broken' values: invalid YAML"), "{err}");
    }
}
