//! Masking: take secrets out of a profile document, replace them with Palette's placeholder, and
//! report each one so the host can seal it.
//!
//! [`mask_document`] is the engine any masker uses with its own rules; [`palette_rules`] applies
//! Palette's rules (schema `format "${password}"` and `isSensitive` variables), which is what the
//! built-in masker does.
//!
//! The document's text is edited in place, as [`crate::scan`] does: only the masked scalars
//! change; comments, key order, quoting and layout of the YAML, and field order, spacing and
//! escapes of the JSON, stay byte for byte. A pack value's `value` is the scalar's source text
//! (quotes and all), a variable's is its decoded string, so [`crate::scan::restore`] puts back
//! exactly what was there.
//!
//! Not masked, whatever the rule: empty values (nothing to hide), values already `********`
//! (Palette took them out before; only the target can supply them), and values that are a single
//! `{{.spectro...}}` reference (they point at a secret kept elsewhere; masking would lose the link).

use std::collections::{HashMap, HashSet};

use crate::document::{Skim, Variable, pack_pointer, variable_pointer};
use crate::json_text::{Escapes, Literal};
use crate::types::{MaskOutput, MaskedValue, PackMeta};
use crate::{refs, schema, values};

/// What Palette writes in place of a secret. Inside YAML it must be quoted (`"********"`, as
/// [`mask_document`] writes it with [`values::quoted`]): unquoted, `*` starts a YAML alias.
pub const PLACEHOLDER: &str = "********";

fn worth_masking(value: &str) -> bool {
    !value.is_empty() && value != PLACEHOLDER && !refs::is_only_reference(value)
}

/// Masks, in `document`'s text, the scalars of each pack's values for which `pack_rule` names a
/// reason (given the pack's name), and the default of each variable for which `variable_rule`
/// does. Each reported value's `key` is its [`values::key`] (a JSON pointer into the YAML, `[n]`
/// first in a later document), the one meaning `masked-value.key` has. Packs `wants` turns down (by name) are not read at all: parsing YAML is most of a
/// masker's work. `document` is `None` in the output when nothing was masked.
pub fn mask_document(
    document: &str,
    wants: impl Fn(&str) -> bool,
    mut pack_rule: impl FnMut(&str, &values::Scalar) -> Option<String>,
    mut variable_rule: impl FnMut(&Variable) -> Option<String>,
) -> Result<MaskOutput, String> {
    let skim = Skim::parse(document)?;
    let escapes = Escapes::of(document);
    let mut masked = Vec::new();
    let mut edits = Vec::new();
    for (index, pack) in skim.packs().iter().enumerate() {
        let Some(raw) = pack.values.filter(|_| wants(&pack.name)) else {
            continue;
        };
        let in_pack = |e: String| format!("pack '{}' values: {e}", pack.name);
        let Some(literal) = Literal::of(document, raw).map_err(in_pack)? else {
            continue;
        };
        let text = &literal.text;
        let mut pack_edits = Vec::new();
        for (key, scalar) in values::keyed_scalars(text).map_err(in_pack)? {
            if !worth_masking(&scalar.value) {
                continue;
            }
            if let Some(reason) = pack_rule(&pack.name, &scalar) {
                masked.push(MaskedValue {
                    pointer: pack_pointer(index, "values"),
                    key,
                    value: text[scalar.span.clone()].to_string(),
                    rule: reason,
                });
                pack_edits.push((scalar.span, values::quoted(PLACEHOLDER)));
            }
        }
        values::check_edits(text, &pack_edits).map_err(in_pack)?;
        edits.extend(literal.edits_with(escapes, document, pack_edits));
    }
    for (index, var) in skim.variables()?.iter().enumerate() {
        let Some(raw) = var.default_value else {
            continue;
        };
        let Some(literal) =
            Literal::of(document, raw).map_err(|e| format!("variable {:?}: {e}", var.name))?
        else {
            continue;
        };
        if !worth_masking(&literal.text) {
            continue;
        }
        if let Some(reason) = variable_rule(&var.model()?) {
            edits.push(literal.replace_all(PLACEHOLDER));
            masked.push(MaskedValue {
                pointer: variable_pointer(index, "defaultValue"),
                key: String::new(),
                value: literal.text,
                rule: reason,
            });
        }
    }
    // Nothing masked: the host keeps the document it has.
    let document = (!edits.is_empty()).then(|| values::replace(document, edits));
    Ok(MaskOutput { document, masked })
}

/// Palette's rules: values whose pack schema says `format "${password}"`, and variables marked
/// `isSensitive`. `packs` carries each pack's schema, matched to the document's packs by name.
pub fn palette_rules(document: &str, packs: &[PackMeta]) -> Result<MaskOutput, String> {
    let passwords: HashMap<&str, HashSet<&str>> = packs
        .iter()
        .map(|p| {
            let fields: HashSet<&str> = p
                .schema
                .iter()
                .filter(|f| schema::is_password(f))
                .map(|f| f.name.trim())
                .collect();
            (p.name.as_str(), fields)
        })
        .filter(|(_, fields)| !fields.is_empty())
        .collect();
    mask_document(
        document,
        |pack| passwords.contains_key(pack),
        |pack, scalar| {
            passwords
                .get(pack)?
                .contains(scalar.dotted().as_str())
                .then(|| "schema-password".to_string())
        },
        |var| (var.is_sensitive == Some(true)).then(|| "sensitive-variable".to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Profile;
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
    fn only_the_masked_scalars_change_and_their_source_text_is_kept() {
        // Field order, spacing and escapes are the exporter's; the values YAML has comments and
        // a single-quoted secret.
        let doc = "{\n  \"spec\": {\"variables\": [{\"isSensitive\": true, \"defaultValue\": \"p\\u0026w\", \"name\": \"v\"}],\n    \"template\": {\"packs\": [{\"values\": \"# \\u003ctop\\u003e\\na:\\n  key: 'it''s' # why\\n  n: 1\\n\", \"name\": \"agent\"}]}},\n  \"metadata\": {\"name\": \"x\"}\n}";
        let packs = [meta("agent", &[("a.key", r#"{{ format "${password}" }}"#)])];
        let out = palette_rules(doc, &packs).unwrap();
        let masked = out.document.unwrap();
        assert_eq!(
            masked,
            doc.replace("'it''s'", "\\\"********\\\"")
                .replace("p\\u0026w", "********")
        );
        let values: Vec<&str> = out.masked.iter().map(|m| m.value.as_str()).collect();
        assert_eq!(values, ["'it''s'", "p&w"], "source text, quotes and all");
        // Back in place byte for byte, the exporter's escapes (`\u0026`) included.
        let back = crate::scan::restore(&masked, &out.masked).unwrap();
        assert_eq!(back, doc);
    }

    #[test]
    fn a_value_in_a_later_document_is_named_by_it_and_restored() {
        let doc = r#"{"spec":{"template":{"packs":[{"name":"a","values":"key: open\n---\nkey: s3cret\n"}]}}}"#;
        let out = palette_rules(
            doc,
            &[meta("a", &[("key", r#"{{ format "${password}" }}"#)])],
        )
        .unwrap();
        let keys: Vec<&str> = out.masked.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(keys, ["[0]/key", "[1]/key"]);
        let masked = out.document.unwrap();
        assert_eq!(crate::scan::restore(&masked, &out.masked).unwrap(), doc);
    }

    fn repo_file(path: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(path);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    #[test]
    fn the_built_in_maskers_change_the_masked_scalars_and_nothing_else() {
        let schemas: Vec<PackMeta> = ["akuity-agent", "hello-universe"]
            .iter()
            .map(|pack| PackMeta {
                name: pack.to_string(),
                tag: String::new(),
                schema: schema::parse_schema_yaml(&repo_file(&format!(
                    "examples/schemas/{pack}.yaml"
                )))
                .unwrap(),
            })
            .collect();
        let allow = crate::scan::AllowList::default();
        let examples = [
            (
                "examples/web-stack-export.json",
                vec![
                    (
                        "/spec/template/packs/0/values",
                        "/charts/akuity-agent/akuityApiKeySecret",
                        "schema-password",
                    ),
                    ("/spec/variables/0/defaultValue", "", "sensitive-variable"),
                ],
            ),
            ("tests/fixtures/ml-ops-export.json", vec![]),
        ];
        for (file, expected) in examples {
            let input = repo_file(file);
            // As the pipeline runs them: palette-mask, then secret-scan on what it left.
            let first = palette_rules(&input, &schemas).unwrap();
            let between = first.document.clone().unwrap_or_else(|| input.clone());
            let second = crate::scan::scan(&between, &allow).unwrap().output;
            let masked = second.document.clone().unwrap_or_else(|| between.clone());
            let all = [first.masked, second.masked].concat();
            let found: Vec<(&str, &str, &str)> = all
                .iter()
                .map(|m| (m.pointer.as_str(), m.key.as_str(), m.rule.as_str()))
                .collect();
            assert_eq!(found, expected, "{file}");
            assert_eq!(
                masked.matches(PLACEHOLDER).count(),
                input.matches(PLACEHOLDER).count() + all.len(),
                "{file}: one placeholder per masked value"
            );
            // Each value back where it was gives the input, byte for byte: nothing else changed.
            assert_eq!(
                crate::scan::restore(&masked, &all).unwrap(),
                input,
                "{file}"
            );

            // The engine on every value of these real documents (block scalars, comments,
            // quoting of every kind, Go's escapes around them): the same holds.
            let every = mask_document(
                &input,
                |_| true,
                |_, _| Some("all".into()),
                |_| Some("all".into()),
            )
            .unwrap();
            assert!(every.masked.len() >= 20, "{file}: {}", every.masked.len());
            let masked = every.document.unwrap();
            let yaml =
                crate::json_text::string_at(&masked, "/spec/template/packs/0/values").unwrap();
            assert!(
                values::scalars(&yaml)
                    .unwrap()
                    .iter()
                    .all(|s| s.value == PLACEHOLDER || !worth_masking(&s.value))
            );
            assert_eq!(
                crate::scan::restore(&masked, &every.masked).unwrap(),
                input,
                "{file}"
            );
        }
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
