//! The changes the host makes to a document on its way to the target, each touching only the
//! strings it changes ([`ferry_plugin_api::json_text`]): a new name or version, registries mapped to the
//! target's, and values a user gives with `--set`.

use anyhow::Context as _;
use ferry_plugin_api::document::{Profile, pack_pointer, variable_pointer};
use ferry_plugin_api::json_text as text;
use ferry_plugin_api::mask::PLACEHOLDER;
use ferry_plugin_api::values;

use super::secrets::{Fill, typed};
use super::target::Registry;

/// The document's `metadata.name` and `spec.version`.
pub fn name_version(document: &str) -> anyhow::Result<(String, String)> {
    let name = text::string_at(document, "/metadata/name")
        .context("the document has no metadata.name: is it a Palette profile export?")?;
    let version = text::string_at(document, "/spec/version")
        .context("the document has no spec.version: is it a Palette profile export?")?;
    Ok((name, version))
}

/// `document` under another name and/or version.
pub fn rename(document: &str, name: Option<&str>, version: Option<&str>) -> anyhow::Result<String> {
    let mut edits = Vec::new();
    if let Some(name) = name {
        edits.push(("/metadata/name".to_string(), name.to_string()));
    }
    if let Some(version) = version {
        edits.push(("/spec/version".to_string(), version.to_string()));
    }
    text::replace_strings(document, &edits).map_err(anyhow::Error::msg)
}

/// The next patch or minor version after `version`.
pub fn bump(version: &str, minor: bool) -> anyhow::Result<String> {
    let mut v = semver::Version::parse(version)
        .with_context(|| format!("version {version:?} is not semver, so it cannot be bumped"))?;
    if minor {
        v.minor += 1;
        v.patch = 0;
    } else {
        v.patch += 1;
    }
    v.pre = semver::Prerelease::EMPTY;
    Ok(v.to_string())
}

/// `SRC=DST` pairs of a flag such as `--registry-map`.
pub fn parse_pairs(args: &[String], flag: &str) -> anyhow::Result<Vec<(String, String)>> {
    args.iter()
        .map(|a| {
            a.split_once('=')
                .map(|(s, d)| (s.trim().to_string(), d.trim().to_string()))
                .filter(|(s, d)| !s.is_empty() && !d.is_empty())
                .with_context(|| format!("{flag} takes SRC=DST; got {a:?}"))
        })
        .collect()
}

/// Which registry of the target each pack comes from, where it is not the registry of the same
/// name: `--registry-map SRC=DST` moves every pack of registry SRC, `--pack-map PACK[@VERSION]=DST`
/// one pack (and wins over the registry's mapping).
#[derive(Debug, Clone, Default)]
pub struct RegistryMap {
    pub registries: Vec<(String, String)>,
    pub packs: Vec<(String, String)>,
}

impl RegistryMap {
    /// The target registry `pack` (at `version`, from registry `registry`) is mapped to, if any.
    fn target(&self, pack: &str, version: Option<&str>, registry: &str) -> Option<&str> {
        let named = |(src, _): &&(String, String)| match src.split_once('@') {
            Some((name, v)) => name == pack && Some(v) == version,
            None => src == pack,
        };
        let by_pack = self.packs.iter().find(named);
        let by_registry = || self.registries.iter().find(|(src, _)| src == registry);
        by_pack.or_else(by_registry).map(|(_, dst)| dst.as_str())
    }
}

/// Points each pack at the target's registry of the same name and kind (after `map`): registry
/// uids differ between environments. A pack whose registry the target lacks is left as it is
/// (validation reports it). Returns the document and one line per pack moved by `map`.
pub fn map_registries(
    document: &str,
    map: &RegistryMap,
    target: &[Registry],
) -> anyhow::Result<(String, Vec<String>)> {
    let profile = Profile::parse(document).map_err(anyhow::Error::msg)?;
    let mut edits = Vec::new();
    let mut notes = Vec::new();
    for (i, pack) in profile.spec.template.packs.iter().enumerate() {
        let Some(meta) = pack.registry.as_ref().and_then(|r| r.get("metadata")) else {
            continue;
        };
        let name = meta.get("name").and_then(|v| v.as_str()).unwrap_or("");
        let kind = meta.get("kind").and_then(|v| v.as_str());
        let version = pack.version.as_deref().or(pack.tag.as_deref());
        let mapped = map.target(&pack.name, version, name);
        let wanted = mapped.unwrap_or(name);
        let Some(found) = target
            .iter()
            .find(|r| r.name == wanted && kind.is_none_or(|k| k == r.kind))
        else {
            if let Some(dst) = mapped {
                anyhow::bail!(
                    "pack {} is mapped to registry {dst:?}, which the target has no {} registry of",
                    pack.name,
                    kind.unwrap_or("matching")
                );
            }
            continue;
        };
        let base = format!("/spec/template/packs/{i}/registry/metadata");
        if mapped.is_some_and(|dst| dst != name) {
            edits.push((format!("{base}/name"), found.name.clone()));
            notes.push(format!(
                "pack {}: registry {name:?} mapped to {:?}",
                pack.name, found.name
            ));
        }
        if meta.get("uid").is_some_and(|u| u.is_string()) {
            edits.push((format!("{base}/uid"), found.uid.clone()));
        }
    }
    let out = text::replace_strings(document, &edits).map_err(anyhow::Error::msg)?;
    Ok((out, notes))
}

/// What `--set` gives.
#[derive(Default)]
pub struct Sets {
    /// `macro.NAME=VALUE`: for `--create-macros`.
    pub macros: Vec<(String, String)>,
    /// Everything else: values to put in place of `********`.
    pub values: Vec<(SetPlace, String)>,
}

pub enum SetPlace {
    /// `var.NAME`: a variable's default.
    Variable(String),
    /// `PACK:PATH`: a value in a pack's values, PATH dotted (`a.b.$[].c`) or a pointer (`/a/b/0/c`; `[1]/a` in a later document).
    Pack(String, String),
}

/// Reads `--set` arguments.
pub fn parse_sets(args: &[String]) -> anyhow::Result<Sets> {
    let mut sets = Sets::default();
    for arg in args {
        let (place, value) = arg.split_once('=').with_context(|| {
            format!("--set takes PLACE=VALUE (macro.NAME, var.NAME or PACK:PATH); got {arg:?}")
        })?;
        if let Some(name) = place.strip_prefix("macro.") {
            sets.macros.push((name.to_string(), value.to_string()));
        } else if let Some(name) = place.strip_prefix("var.") {
            sets.values
                .push((SetPlace::Variable(name.to_string()), value.to_string()));
        } else if let Some((pack, path)) = place.split_once(':') {
            sets.values.push((
                SetPlace::Pack(pack.to_string(), path.to_string()),
                value.to_string(),
            ));
        } else {
            anyhow::bail!(
                "--set {place:?}: say what it fills: macro.NAME, var.NAME or PACK:PATH (the secrets template lists each)"
            );
        }
    }
    Ok(sets)
}

/// The fills that put `--set` values in place of the `********` they name; a place the document
/// lacks is an error.
pub fn resolve_sets(document: &str, sets: &[(SetPlace, String)]) -> anyhow::Result<Vec<Fill>> {
    let mut fills = Vec::new();
    for found in resolve_each(document, sets)? {
        fills.extend(found?);
    }
    Ok(fills)
}

/// Per `--set`, its fills in `document`, or why it fills nothing there (a run over several
/// profiles applies each `--set` to the profiles that have its place).
pub fn resolve_each(
    document: &str,
    sets: &[(SetPlace, String)],
) -> anyhow::Result<Vec<anyhow::Result<Vec<Fill>>>> {
    if sets.is_empty() {
        return Ok(Vec::new());
    }
    let profile = Profile::parse(document).map_err(anyhow::Error::msg)?;
    Ok(sets
        .iter()
        .map(|(place, value)| resolve_one(&profile, place, value))
        .collect())
}

fn resolve_one(profile: &Profile, place: &SetPlace, value: &str) -> anyhow::Result<Vec<Fill>> {
    match place {
        SetPlace::Variable(name) => {
            let index = profile
                .spec
                .variables
                .iter()
                .flatten()
                .position(|v| &v.name == name)
                .with_context(|| {
                    format!("--set var.{name}: the profile declares no variable {name:?}")
                })?;
            Ok(vec![typed(
                variable_pointer(index, "defaultValue"),
                String::new(),
                value,
            )])
        }
        SetPlace::Pack(pack, path) => {
            let index = profile
                .spec
                .template
                .packs
                .iter()
                .position(|p| &p.name == pack)
                .with_context(|| {
                    format!("--set {pack}:{path}: the profile has no pack {pack:?}")
                })?;
            let yaml = profile.spec.template.packs[index]
                .values
                .as_deref()
                .unwrap_or("");
            let scalars = values::keyed_scalars(yaml)
                .map_err(|e| anyhow::anyhow!("pack {pack:?} values: {e}"))?;
            // A pointer names one value (`[1]/a` in a later document); a dotted path, every
            // value it matches.
            let fills: Vec<Fill> = scalars
                .iter()
                .filter(|(_, s)| s.value == PLACEHOLDER)
                .filter(|(key, s)| {
                    if path.starts_with(['/', '[']) {
                        key == path
                    } else {
                        s.dotted() == *path
                    }
                })
                .map(|(key, _)| typed(pack_pointer(index, "values"), key.clone(), value))
                .collect();
            if fills.is_empty() {
                anyhow::bail!(
                    "--set {pack}:{path}: no ******** there to fill (the secrets template lists the places)"
                );
            }
            Ok(fills)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"metadata":{"name":"web","labels":{}},"spec":{"version":"1.2.0","template":{"packs":[
      {"name":"app","values":"pass: '********'\n","registry":{"metadata":{"uid":"src-1","name":"Public Repo","kind":"pack"}}},
      {"name":"chart","values":"","registry":{"metadata":{"uid":"src-2","name":"Bitnami","kind":"helm"}}}]},
      "variables":[{"name":"token","defaultValue":"********"}]}}"#;

    #[test]
    fn renames_and_bumps() {
        let out = rename(DOC, Some("web-2"), Some(&bump("1.2.0", false).unwrap())).unwrap();
        assert_eq!(
            name_version(&out).unwrap(),
            ("web-2".into(), "1.2.1".into())
        );
        assert_eq!(bump("1.2.9", true).unwrap(), "1.3.0");
        assert!(bump("latest", false).is_err());
    }

    #[test]
    fn maps_registries_by_name_and_kind() {
        let target = [
            Registry {
                uid: "t-1".into(),
                name: "Mirror".into(),
                kind: "pack".into(),
            },
            Registry {
                uid: "t-2".into(),
                name: "Bitnami".into(),
                kind: "helm".into(),
            },
        ];
        let map = RegistryMap {
            registries: vec![("Public Repo".into(), "Mirror".into())],
            packs: vec![],
        };
        let (out, notes) = map_registries(DOC, &map, &target).unwrap();
        let p = "/spec/template/packs";
        assert_eq!(
            text::string_at(&out, &format!("{p}/0/registry/metadata/name")).unwrap(),
            "Mirror"
        );
        assert_eq!(
            text::string_at(&out, &format!("{p}/0/registry/metadata/uid")).unwrap(),
            "t-1"
        );
        assert_eq!(
            text::string_at(&out, &format!("{p}/1/registry/metadata/uid")).unwrap(),
            "t-2"
        );
        assert_eq!(notes.len(), 1);
    }

    #[test]
    fn a_pack_map_moves_one_pack_and_wins_over_its_registry_map() {
        let target = [
            Registry {
                uid: "t-1".into(),
                name: "Mirror".into(),
                kind: "pack".into(),
            },
            Registry {
                uid: "t-2".into(),
                name: "Bitnami".into(),
                kind: "helm".into(),
            },
            Registry {
                uid: "t-3".into(),
                name: "Charts".into(),
                kind: "helm".into(),
            },
        ];
        let map = RegistryMap {
            registries: vec![("Bitnami".into(), "Nowhere".into())],
            packs: vec![("chart".into(), "Charts".into())],
        };
        let (out, notes) = map_registries(DOC, &map, &target).unwrap();
        let p = "/spec/template/packs/1/registry/metadata";
        assert_eq!(
            text::string_at(&out, &format!("{p}/name")).unwrap(),
            "Charts"
        );
        assert_eq!(text::string_at(&out, &format!("{p}/uid")).unwrap(), "t-3");
        assert_eq!(
            notes,
            ["pack chart: registry \"Bitnami\" mapped to \"Charts\""]
        );
        // A version that does not match leaves the pack alone; a registry the target lacks is refused.
        let other = RegistryMap {
            registries: vec![],
            packs: vec![("chart@9.9.9".into(), "Charts".into())],
        };
        assert!(map_registries(DOC, &other, &target).unwrap().1.is_empty());
        let nowhere = RegistryMap {
            registries: vec![],
            packs: vec![("app".into(), "Nowhere".into())],
        };
        let err = map_registries(DOC, &nowhere, &target).unwrap_err();
        assert!(err.to_string().contains("\"Nowhere\""), "{err}");
    }

    #[test]
    fn sets_name_their_place() {
        let sets = parse_sets(&[
            "macro.region=eu".into(),
            "var.token=t0k".into(),
            "app:pass=p@ss".into(),
        ])
        .unwrap();
        assert_eq!(sets.macros, [("region".to_string(), "eu".to_string())]);
        let fills = resolve_sets(DOC, &sets.values).unwrap();
        assert_eq!(fills.len(), 2);
        let out = super::super::secrets::restore(DOC, &fills).unwrap();
        assert!(out.contains(r#"pass: \"p@ss\""#), "{out}");
        assert!(parse_sets(&["nonsense=1".into()]).is_err());
        let missing = parse_sets(&["app:nope=1".into()]).unwrap();
        assert!(resolve_sets(DOC, &missing.values).is_err());
    }
}
