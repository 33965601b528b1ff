//! Where masked values go, and how they come back.
//!
//! - The **secrets bundle** (`--secrets-out`): every value ferry's maskers took out, with the
//!   macros the profile uses, sealed with the passphrase's key (the `ferry:v1` envelope, see
//!   `docs/CREDENTIALS.md`). The file is JSON that names the profile and how many values it holds;
//!   the values themselves are only inside the envelope. `ferry import --secrets` opens it.
//! - The **secrets template** (`FILE.secrets.yaml`): the values Palette itself returned as
//!   `********` (its export never hands them out). Each entry names the place and the `--set`
//!   spelling; a user or a credential provider fills `value`, and `ferry import --secrets` reads
//!   the filled file too.
//! - **Restoring** puts values back into a document. A sealed value is the masked scalar's source
//!   text, so it goes back byte for byte (quotes and escapes as they were); a value typed by a user
//!   is written as a double-quoted YAML scalar.

use std::collections::BTreeSet;

use anyhow::Context as _;
use ferry_plugin_api::mask::PLACEHOLDER;
use ferry_plugin_api::values;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::config::crypto::{self, Key};
use crate::config::passphrase::Passphrase;
use crate::runtime::bindings::types::MaskedValue;

/// One value taken out of a document.
#[derive(Clone, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct Secret {
    /// JSON pointer to the document string that held it.
    pub pointer: String,
    /// Where inside that string's YAML (a JSON pointer over the YAML tree); empty for the whole string.
    pub key: String,
    pub rule: String,
    /// The source text that was replaced.
    pub value: String,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({}#{} <redacted>)", self.pointer, self.key)
    }
}

impl From<MaskedValue> for Secret {
    fn from(m: MaskedValue) -> Self {
        Secret {
            pointer: m.pointer,
            key: m.key,
            rule: m.rule,
            value: m.value,
        }
    }
}

/// A user macro's value, carried for `--create-macros`.
#[derive(Clone, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct MacroValue {
    pub name: String,
    pub value: String,
}

/// What a bundle holds once opened.
#[derive(Default, Serialize, Deserialize)]
pub struct Bundle {
    pub values: Vec<Secret>,
    #[serde(default)]
    pub macros: Vec<MacroValue>,
}

/// The bundle file: what it is for, in clear; the values, sealed.
#[derive(Serialize, Deserialize)]
struct BundleFile {
    ferry: String,
    profile: String,
    values: usize,
    macros: usize,
    sealed: String,
}

const BUNDLE_KIND: &str = "secrets-bundle/1";

/// The bundle file's text for `profile` (`name@version`).
pub fn seal_bundle(key: &Key, profile: &str, bundle: &Bundle) -> String {
    let plain = zeroize::Zeroizing::new(serde_json::to_vec(bundle).expect("a bundle serializes"));
    let file = BundleFile {
        ferry: BUNDLE_KIND.into(),
        profile: profile.into(),
        values: bundle.values.len(),
        macros: bundle.macros.len(),
        sealed: crypto::seal(key, &plain, &bundle_place(profile)),
    };
    serde_json::to_string_pretty(&file).expect("a bundle file serializes") + "\n"
}

fn bundle_place(profile: &str) -> String {
    format!("secrets-bundle:{profile}")
}

/// Whether `text` is a sealed bundle (rather than a filled template).
pub fn is_bundle(text: &str) -> bool {
    serde_json::from_str::<BundleFile>(text).is_ok_and(|f| f.ferry == BUNDLE_KIND)
}

/// Opens a bundle file with the unlocked key, or with the passphrase when another home sealed it.
pub fn open_bundle(text: &str, key: &Key, passphrase: &Passphrase) -> anyhow::Result<Bundle> {
    let file: BundleFile =
        serde_json::from_str(text).context("not a ferry secrets bundle (JSON)")?;
    if file.ferry != BUNDLE_KIND {
        anyhow::bail!(
            "not a ferry secrets bundle: it says {:?}, ferry reads {BUNDLE_KIND:?}",
            file.ferry
        );
    }
    // The bundle is bound to the profile it names: a renamed header does not open.
    let place = bundle_place(&file.profile);
    let plain = crypto::open(key, &file.sealed, &place)
        .or_else(|_| crypto::open_with_passphrase(passphrase, &file.sealed, &place))
        .map_err(|e| {
        anyhow::anyhow!("cannot open the secrets bundle of {}: {e}; it opens with the passphrase that was in use when it was written", file.profile)
    })?;
    serde_json::from_slice(&plain).context("the secrets bundle's content is damaged")
}

/// A value Palette returned as `********`, for the template.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Placeholder {
    pub pointer: String,
    /// JSON pointer over the YAML tree; empty for a whole string (a variable's default).
    #[serde(default)]
    pub key: String,
    /// Palette's dotted notation, for people.
    #[serde(default)]
    pub path: String,
    /// How to give it on the command line: `ferry import --set SET=VALUE`.
    #[serde(default)]
    pub set: String,
    /// Filled by the user or a credential provider.
    #[serde(default)]
    pub value: String,
}

#[derive(Serialize, Deserialize)]
struct TemplateFile {
    profile: String,
    values: Vec<Placeholder>,
}

/// Every value of `document` that is still `********`, but for those in `known` (pointer, key).
pub fn placeholders(
    document: &str,
    known: &BTreeSet<(String, String)>,
) -> anyhow::Result<Vec<Placeholder>> {
    let profile =
        ferry_plugin_api::document::Profile::parse(document).map_err(anyhow::Error::msg)?;
    let mut out = Vec::new();
    for (i, pack) in profile.spec.template.packs.iter().enumerate() {
        let mut strings: Vec<(String, &str)> = Vec::new();
        if let Some(v) = pack.values.as_deref() {
            strings.push((ferry_plugin_api::document::pack_pointer(i, "values"), v));
        }
        for (m, manifest) in pack.manifests.iter().flatten().enumerate() {
            if let Some(content) = manifest.content.as_deref() {
                strings.push((
                    format!("/spec/template/packs/{i}/manifests/{m}/content"),
                    content,
                ));
            }
        }
        for (pointer, yaml) in strings {
            if !yaml.contains(PLACEHOLDER) {
                continue;
            }
            let scalars = values::keyed_scalars(yaml)
                .map_err(|e| anyhow::anyhow!("pack '{}' at {pointer}: {e}", pack.name))?;
            for (key, s) in scalars.iter().filter(|(_, s)| s.value == PLACEHOLDER) {
                let key = key.clone();
                if known.contains(&(pointer.clone(), key.clone())) {
                    continue;
                }
                let path = s.dotted();
                out.push(Placeholder {
                    set: format!("{}:{path}", pack.name),
                    pointer: pointer.clone(),
                    key,
                    path,
                    value: String::new(),
                });
            }
        }
    }
    for (i, var) in profile.spec.variables.iter().flatten().enumerate() {
        if var.default_value.as_deref() == Some(PLACEHOLDER) {
            let pointer = ferry_plugin_api::document::variable_pointer(i, "defaultValue");
            if known.contains(&(pointer.clone(), String::new())) {
                continue;
            }
            out.push(Placeholder {
                set: format!("var.{}", var.name),
                path: String::new(),
                key: String::new(),
                pointer,
                value: String::new(),
            });
        }
    }
    Ok(out)
}

/// The template file's text.
pub fn template_text(profile: &str, entries: &[Placeholder]) -> String {
    let body = serde_yaml_ng::to_string(&TemplateFile {
        profile: profile.into(),
        values: entries.to_vec(),
    })
    .expect("a template serializes");
    format!(
        "# Values Palette did not export for {profile}: it returns ******** in their place.\n\
         # Fill each `value`, then `ferry import FILE --env TARGET --secrets THIS_FILE`\n\
         # (or give one with `ferry import ... --set SET=VALUE`). Keep a filled copy out of version control.\n{body}"
    )
}

/// Reads a (filled) template; entries left empty are skipped.
pub fn read_template(text: &str) -> anyhow::Result<Vec<Placeholder>> {
    let file: TemplateFile =
        serde_yaml_ng::from_str(text).context("not a ferry secrets bundle or secrets template")?;
    Ok(file
        .values
        .into_iter()
        .filter(|p| !p.value.is_empty())
        .collect())
}

/// A value to put back in place of a `********`: `value` is source text (what a masker took out),
/// or for a value a person typed, [`typed`] makes it so.
pub type Fill = MaskedValue;

/// A fill for a value a person gave: inside YAML it becomes a double-quoted scalar.
pub fn typed(pointer: String, key: String, value: &str) -> Fill {
    let value = if key.is_empty() {
        value.to_string()
    } else {
        values::quoted(value)
    };
    MaskedValue {
        pointer,
        key,
        value,
        rule: "given".into(),
    }
}

impl From<&Secret> for Fill {
    fn from(s: &Secret) -> Self {
        MaskedValue {
            pointer: s.pointer.clone(),
            key: s.key.clone(),
            value: s.value.clone(),
            rule: s.rule.clone(),
        }
    }
}

/// `document` with each fill in place of its `********`; every other byte stays. A fill whose
/// place holds no `********` (the document changed since) is an error naming the place.
pub fn restore(document: &str, fills: &[Fill]) -> anyhow::Result<String> {
    let host: Vec<ferry_plugin_api::types::MaskedValue> = fills
        .iter()
        .map(|f| ferry_plugin_api::types::MaskedValue {
            pointer: f.pointer.clone(),
            key: f.key.clone(),
            value: f.value.clone(),
            rule: f.rule.clone(),
        })
        .collect();
    ferry_plugin_api::scan::restore(document, &host).map_err(|e| {
        anyhow::anyhow!(
            "cannot put the secrets back: {e} (the document changed since it was masked?)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_plugin_api::json_text as text;

    const DOC: &str = r#"{"metadata":{"name":"p"},"spec":{"version":"1.0.0","template":{"packs":[
      {"name":"app","values":"a: 1 # keep\npass: \"********\"\nlist:\n  - x: '********'\n"}]},
      "variables":[{"name":"v","defaultValue":"********","isSensitive":true}]}}"#;

    #[test]
    fn lists_placeholders_with_their_set_spelling() {
        let all = placeholders(DOC, &BTreeSet::new()).unwrap();
        let sets: Vec<&str> = all.iter().map(|p| p.set.as_str()).collect();
        assert_eq!(sets, ["app:pass", "app:list.$[].x", "var.v"]);
        assert_eq!(all[1].key, "/list/0/x");
        let known = BTreeSet::from([(
            "/spec/template/packs/0/values".to_string(),
            "/pass".to_string(),
        )]);
        assert_eq!(placeholders(DOC, &known).unwrap().len(), 2);
    }

    #[test]
    fn a_placeholder_in_a_later_document_is_filled_there() {
        let doc = r#"{"spec":{"template":{"packs":[{"name":"m","manifests":[{"name":"db","content":"kind: ConfigMap\npassword: open\n---\nkind: Secret\npassword: '********'\n"}]}]}}}"#;
        let found = placeholders(doc, &BTreeSet::new()).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].key, "[1]/password");
        let fill = typed(found[0].pointer.clone(), found[0].key.clone(), "pw");
        let out = restore(doc, &[fill]).unwrap();
        assert_eq!(
            text::string_at(&out, &found[0].pointer).unwrap(),
            "kind: ConfigMap\npassword: open\n---\nkind: Secret\npassword: \"pw\"\n"
        );
    }

    #[test]
    fn restores_source_text_and_typed_values_in_place() {
        let fills = [
            Fill {
                pointer: "/spec/template/packs/0/values".into(),
                key: "/pass".into(),
                value: "'it''s'".into(),
                rule: "key-name:pass".into(),
            },
            typed(
                "/spec/template/packs/0/values".into(),
                "/list/0/x".into(),
                "a\"b",
            ),
            typed(
                "/spec/variables/0/defaultValue".into(),
                String::new(),
                "s3cr3t",
            ),
        ];
        let out = restore(DOC, &fills).unwrap();
        let values = text::string_at(&out, "/spec/template/packs/0/values").unwrap();
        assert_eq!(
            values,
            "a: 1 # keep\npass: 'it''s'\nlist:\n  - x: \"a\\\"b\"\n"
        );
        assert_eq!(
            text::string_at(&out, "/spec/variables/0/defaultValue").unwrap(),
            "s3cr3t"
        );
        // A second restore finds nothing to fill.
        assert!(restore(&out, &fills[..1]).is_err());
    }
}
