//! After an import: did the profile arrive as sent? The host reads it back from the target and
//! compares pack by pack and value by value (every scalar of every values YAML and manifest,
//! every variable default). Secrets are compared by SHA-256 digest and never printed. Values the
//! target masks on read (`********`: schema passwords, sensitive variables) cannot be compared and
//! are counted as such.

use std::collections::{BTreeMap, BTreeSet};

use ferry_plugin_api::document::Profile;
use ferry_plugin_api::mask::PLACEHOLDER;
use ferry_plugin_api::values;
use sha2::{Digest, Sha256};

/// What the read-back showed.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Verification {
    pub packs: usize,
    pub values: usize,
    pub secrets_by_digest: usize,
    pub masked_on_read: usize,
    /// One line per difference: where, and what differs (never a secret's value).
    pub differences: Vec<String>,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.differences.is_empty()
    }

    pub fn summary(&self) -> String {
        format!(
            "{} pack(s), {} value(s) as sent ({} secret(s) compared by digest, {} masked by the target on read)",
            self.packs, self.values, self.secrets_by_digest, self.masked_on_read
        )
    }
}

/// Every string of a document that holds YAML or a variable default, by JSON pointer, with the
/// pack or variable it belongs to.
fn strings(profile: &Profile) -> BTreeMap<String, (String, String)> {
    let mut out = BTreeMap::new();
    for pack in &profile.spec.template.packs {
        let at = format!("pack {}", pack.name);
        if let Some(v) = &pack.values {
            out.insert(format!("{}/values", pack.name), (at.clone(), v.clone()));
        }
        for m in pack.manifests.iter().flatten() {
            if let Some(c) = &m.content {
                out.insert(
                    format!("{}/manifests/{}", pack.name, m.name),
                    (format!("{at} manifest {}", m.name), c.clone()),
                );
            }
        }
    }
    for var in profile.spec.variables.iter().flatten() {
        if let Some(v) = &var.default_value {
            out.insert(
                format!("variables/{}", var.name),
                (format!("variable {}", var.name), v.clone()),
            );
        }
    }
    out
}

fn digest(value: &str) -> [u8; 32] {
    Sha256::digest(value.as_bytes()).into()
}

/// Compares what was sent with what the target gives back. `secrets` are the (pack-or-variable
/// key, YAML pointer) places whose values must never be shown.
pub fn compare(
    sent: &str,
    back: &str,
    secrets: &BTreeSet<(String, String)>,
) -> Result<Verification, String> {
    let sent = Profile::parse(sent)?;
    let back = Profile::parse(back).map_err(|e| format!("the target's copy: {e}"))?;
    let mut v = Verification::default();
    for pack in &sent.spec.template.packs {
        v.packs += 1;
        match back
            .spec
            .template
            .packs
            .iter()
            .find(|p| p.name == pack.name)
        {
            None => v.differences.push(format!(
                "pack {} is missing from the target's copy",
                pack.name
            )),
            Some(other) => {
                for (field, a, b) in [
                    ("version", &pack.version, &other.version),
                    ("type", &pack.kind, &other.kind),
                    ("layer", &pack.layer, &other.layer),
                ] {
                    if a.is_some() && a != b {
                        v.differences.push(format!(
                            "pack {}: {field} {:?} arrived as {:?}",
                            pack.name,
                            a.as_deref().unwrap_or(""),
                            b.as_deref().unwrap_or("")
                        ));
                    }
                }
            }
        }
    }
    let theirs = strings(&back);
    for (place, (label, text)) in strings(&sent) {
        let Some((_, other)) = theirs.get(&place) else {
            v.differences
                .push(format!("{label}: missing from the target's copy"));
            continue;
        };
        if place.starts_with("variables/") {
            compare_value(
                &mut v,
                &label,
                "",
                text.as_str(),
                other,
                secrets.contains(&(place.clone(), String::new())),
            );
            continue;
        }
        // Keyed per document: a manifest's `---` documents each have their own `kind`, say.
        let (Ok(mine), Ok(yours)) = (values::keyed_scalars(&text), values::keyed_scalars(other))
        else {
            if &text != other {
                v.differences.push(format!("{label}: the text differs"));
            }
            continue;
        };
        let yours: BTreeMap<&str, &str> = yours
            .iter()
            .map(|(key, s)| (key.as_str(), s.value.as_str()))
            .collect();
        for (key, s) in &mine {
            // A later document's value: its index before the dotted path, as the key has it.
            let doc = key.strip_prefix('[').and_then(|k| k.split_once(']'));
            let doc = doc.map(|(n, _)| format!("[{n}].")).unwrap_or_default();
            let path = format!("{doc}{}", s.dotted());
            match yours.get(key.as_str()) {
                None => v.differences.push(format!("{label}: {path} is missing")),
                Some(other) => {
                    let secret = secrets.contains(&(place.clone(), key.clone()));
                    compare_value(&mut v, &label, &path, &s.value, other, secret)
                }
            }
        }
    }
    Ok(v)
}

fn compare_value(
    v: &mut Verification,
    label: &str,
    path: &str,
    mine: &str,
    theirs: &str,
    secret: bool,
) {
    let at = if path.is_empty() {
        label.to_string()
    } else {
        format!("{label}: {path}")
    };
    if theirs == PLACEHOLDER && mine != PLACEHOLDER {
        v.masked_on_read += 1;
        return;
    }
    v.values += 1;
    if secret {
        v.secrets_by_digest += 1;
        if digest(mine) != digest(theirs) {
            v.differences.push(format!(
                "{at}: the secret arrived different (digests differ)"
            ));
        }
    } else if mine != theirs {
        v.differences
            .push(format!("{at}: {mine:?} arrived as {theirs:?}"));
    }
}

/// The places of `secrets` (pointer, key) as [`compare`] names them, for `document`.
pub fn secret_places(
    document: &str,
    secrets: &[(String, String)],
) -> Result<BTreeSet<(String, String)>, String> {
    let profile = Profile::parse(document)?;
    let mut out = BTreeSet::new();
    for (pointer, key) in secrets {
        let parts: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
        let place = match parts.as_slice() {
            ["spec", "template", "packs", i, rest @ ..] => {
                let Some(pack) = i
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| profile.spec.template.packs.get(i))
                else {
                    continue;
                };
                match rest {
                    ["values"] => format!("{}/values", pack.name),
                    ["manifests", m, "content"] => {
                        let Some(manifest) = m
                            .parse::<usize>()
                            .ok()
                            .and_then(|m| pack.manifests.as_ref()?.get(m))
                        else {
                            continue;
                        };
                        format!("{}/manifests/{}", pack.name, manifest.name)
                    }
                    _ => continue,
                }
            }
            ["spec", "variables", i, "defaultValue"] => {
                let Some(var) = i
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| profile.spec.variables.as_ref()?.get(i))
                else {
                    continue;
                };
                format!("variables/{}", var.name)
            }
            _ => continue,
        };
        out.insert((place, key.clone()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SENT: &str = r#"{"metadata":{"name":"p"},"spec":{"version":"1.0.0","template":{"packs":[
      {"name":"app","version":"1.0.0","values":"a: 1\npass: s3cr3t\nkey: k\n"}]},
      "variables":[{"name":"v","defaultValue":"x"}]}}"#;

    #[test]
    fn same_content_verifies_with_secrets_by_digest() {
        let back = SENT.replace("key: k", "key: '********'");
        let secrets = secret_places(
            SENT,
            &[("/spec/template/packs/0/values".into(), "/pass".into())],
        )
        .unwrap();
        let v = compare(SENT, &back, &secrets).unwrap();
        assert!(v.ok(), "{:?}", v.differences);
        assert_eq!(
            (v.packs, v.values, v.secrets_by_digest, v.masked_on_read),
            (1, 3, 1, 1)
        );
    }

    #[test]
    fn a_changed_secret_is_reported_without_its_value() {
        let back = SENT.replace("s3cr3t", "other");
        let secrets = secret_places(
            SENT,
            &[("/spec/template/packs/0/values".into(), "/pass".into())],
        )
        .unwrap();
        let v = compare(SENT, &back, &secrets).unwrap();
        assert_eq!(v.differences.len(), 1);
        assert!(!v.differences[0].contains("s3cr3t") && !v.differences[0].contains("other"));
        let back = SENT.replace("a: 1", "a: 2").replace(
            "\"version\":\"1.0.0\",\"values\"",
            "\"version\":\"1.0.1\",\"values\"",
        );
        let v = compare(SENT, &back, &BTreeSet::new()).unwrap();
        assert_eq!(v.differences.len(), 2, "{:?}", v.differences);
    }

    #[test]
    fn each_document_of_a_manifest_is_compared_with_its_own() {
        let sent = r#"{"spec":{"template":{"packs":[{"name":"m","manifests":[{"name":"db",
          "content":"kind: ConfigMap\ndata:\n  a: x\n---\nkind: Secret\ndata:\n  a: s3cr3t\n"}]}]}}}"#;
        let secrets = secret_places(
            sent,
            &[(
                "/spec/template/packs/0/manifests/0/content".into(),
                "[1]/data/a".into(),
            )],
        )
        .unwrap();
        let v = compare(sent, sent, &secrets).unwrap();
        assert!(v.ok(), "{:?}", v.differences);
        assert_eq!((v.values, v.secrets_by_digest), (4, 1));
        let v = compare(sent, &sent.replace("s3cr3t", "other"), &secrets).unwrap();
        assert_eq!(v.differences.len(), 1, "{:?}", v.differences);
        let said = &v.differences[0];
        assert!(
            said.contains("[1].data.a") && !said.contains("s3cr3t"),
            "{said}"
        );
    }
}
