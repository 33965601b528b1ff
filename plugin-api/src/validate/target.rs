//! The checks that ask the target environment: is the name free, are the packs there, are the
//! macros defined. Every call is a GET, so `palette-api:read` is enough.
//!
//! Packs: the target's registries come from `GET /v1/registries/metadata` and are matched to the
//! document's `registry.metadata` by name and kind (uids differ between environments); which
//! registries hold `name@version` comes from `GET /v1/packs?filters=spec.name=NAMEANDspec.version=V`.
//! That is one read per pack, answers "who else holds it" for the message, and needs neither
//! `clusterProfile.create` (which `import/validate` does) nor a document the target accepts in
//! full. A pack without a registry in the document may come from any registry of the kind its
//! type implies (`helm` → helm, `oci` → oci, else pack), as Palette resolves it. Manifest packs
//! without a registry need none. A second copy of a pack is named `<display-name>--<pack>`: the
//! registry knows it as `<pack>`.
//!
//! Macros: `GET /v1/clusterprofiles/macros` answers the set effective in the environment's scope
//! (project over tenant over system), which is what an import resolves against. It is read only
//! when the document uses a macro.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

use super::codes;
use crate::api::{self, Palette};
use crate::document::Profile;
use crate::finding;
use crate::types::{Finding, PluginError, Subject};

/// `name-taken`: `GET /v1/clusterprofiles/validate/name` answers 204 when free, 409 when taken.
pub fn name_taken(
    api: &impl Palette,
    env: &str,
    profile: &Profile,
) -> Result<Option<Finding>, PluginError> {
    let (name, version) = (
        profile.metadata.name.as_str(),
        profile.spec.version.as_str(),
    );
    let what = format!("checking whether {name} {version} is free in {env}");
    let query = [("name", name), ("version", version)];
    let answer = api::send(
        api,
        &what,
        &api::request("GET", "/v1/clusterprofiles/validate/name", &query, None),
    )?;
    match answer.status {
        200..=299 => Ok(None),
        409 => Ok(Some(
            finding::error(
                codes::NAME_TAKEN,
                format!("a cluster profile named '{name}' version {version} already exists in {env}"),
            )
            .at("/metadata/name")
            .about(Subject::Profile(format!("{name}@{version}")))
            .hint("import under another version or name: --on-conflict bump-patch|bump-minor|rename=NAME|skip"),
        )),
        _ => Err(api::error_for(&what, &answer)),
    }
}

/// A registry of the target.
#[derive(Debug, Clone, PartialEq)]
pub struct Registry {
    /// Its uid in the target.
    pub uid: String,
    /// Its name, what documents are matched by.
    pub name: String,
    /// `pack`, `helm` or `oci`.
    pub kind: String,
}

impl Registry {
    fn label(&self) -> String {
        format!("'{}' ({})", self.name, self.kind)
    }
}

/// The registries of a `v1RegistriesMetadata` answer.
pub fn registries(answer: &Value) -> Vec<Registry> {
    let items = answer
        .get("items")
        .and_then(Value::as_array)
        .map(Vec::as_slice);
    items
        .unwrap_or_default()
        .iter()
        .map(|i| {
            let text = |k: &str| i.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            Registry {
                uid: text("uid"),
                name: text("name"),
                kind: text("kind"),
            }
        })
        .collect()
}

/// The registry kind that serves packs of a type.
pub fn kind_for_type(pack_type: &str) -> &'static str {
    match pack_type {
        "helm" => "helm",
        "oci" => "oci",
        _ => "pack",
    }
}

/// The name a registry knows a document pack by (`<display-name>--<pack>` → `<pack>`).
pub fn registry_pack_name(name: &str) -> &str {
    name.rsplit_once("--").map_or(name, |(_, pack)| pack)
}

/// What one document pack needs from the target: a registry (by name and kind) holding it.
#[derive(Debug, Clone, PartialEq)]
pub struct Need {
    /// Index of the pack in `spec.template.packs`.
    pub index: usize,
    /// As the registry knows it.
    pub name: String,
    /// The pack's version.
    pub version: String,
    /// The registry named by the document, if any.
    pub registry: Option<String>,
    /// The registry kind that serves it ([`kind_for_type`]).
    pub kind: String,
}

/// The packs of a document that come from a registry.
pub fn needs(profile: &Profile) -> Vec<Need> {
    let mut out = Vec::new();
    for (index, pack) in profile.spec.template.packs.iter().enumerate() {
        let pack_type = pack.kind.as_deref().unwrap_or("spectro");
        let meta = pack.registry.as_ref().and_then(|r| r.get("metadata"));
        if pack_type == "manifest" && meta.is_none() {
            continue;
        }
        let Some(version) = pack
            .version
            .as_deref()
            .or(pack.tag.as_deref())
            .filter(|v| !v.is_empty())
        else {
            continue;
        };
        let field = |k: &str| {
            meta.and_then(|m| m.get(k))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        };
        out.push(Need {
            index,
            name: registry_pack_name(&pack.name).to_string(),
            version: version.to_string(),
            registry: field("name").map(str::to_string),
            kind: field("kind")
                .unwrap_or(kind_for_type(pack_type))
                .to_string(),
        });
    }
    out
}

/// `registry-missing` and `pack-missing`, given the target's registries and, per need, the
/// registries holding its pack. One `registry-missing` per registry, at its first pack.
pub fn pack_findings(needs: &[(Need, Vec<Registry>)], all: &[Registry], env: &str) -> Vec<Finding> {
    let mut missing_registries: BTreeMap<(String, String), (usize, Vec<String>)> = BTreeMap::new();
    let mut out = Vec::new();
    for (need, holders) in needs {
        let pack = format!("{}@{}", need.name, need.version);
        let pointer = format!("/spec/template/packs/{}", need.index);
        let held_by = if holders.is_empty() {
            format!("no registry of {env} holds it")
        } else {
            let names: Vec<String> = holders.iter().map(Registry::label).collect();
            format!("registries of {env} that hold it: {}", names.join(", "))
        };
        match &need.registry {
            Some(reg) => {
                let matched: Vec<&Registry> = all
                    .iter()
                    .filter(|r| &r.name == reg && r.kind == need.kind)
                    .collect();
                if matched.is_empty() {
                    let entry = missing_registries
                        .entry((reg.clone(), need.kind.clone()))
                        .or_insert((need.index, Vec::new()));
                    entry.1.push(pack);
                    continue;
                }
                if holders
                    .iter()
                    .any(|h| matched.iter().any(|m| m.uid == h.uid))
                {
                    continue;
                }
                let add = format!("add {} {} to '{reg}' in {env}", need.name, need.version);
                let missing = finding::error(
                    codes::PACK_MISSING,
                    format!("pack {pack} is not in registry '{reg}' of {env}; {held_by}"),
                )
                .at(pointer)
                .about(Subject::Pack(pack.clone()));
                out.push(match holders.iter().find(|h| h.kind == need.kind) {
                    Some(holder) => missing
                        .hint(format!(
                            "take it from the registry that holds it: --pack-map '{pack}={}', or {add}",
                            holder.name
                        ))
                        .fix(["--pack-map".to_string(), format!("{pack}={}", holder.name)]),
                    None => missing.hint(add),
                });
            }
            None if !holders.iter().any(|h| h.kind == need.kind) => out.push(
                finding::error(
                    codes::PACK_MISSING,
                    format!(
                        "pack {pack} is in no {} registry of {env}; {held_by}",
                        need.kind
                    ),
                )
                .at(pointer)
                .about(Subject::Pack(pack))
                .hint(format!(
                    "add {} {} to a {} registry of {env}",
                    need.name, need.version, need.kind
                )),
            ),
            None => {}
        }
    }
    for ((reg, kind), (index, packs)) in missing_registries {
        let same_kind: Vec<&str> = all
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| r.name.as_str())
            .collect();
        let there = if same_kind.is_empty() {
            format!("{env} has no {kind} registry")
        } else {
            format!("{kind} registries of {env}: {}", same_kind.join(", "))
        };
        out.push(
            finding::error(
                codes::REGISTRY_MISSING,
                format!("registry '{reg}' ({kind}) that {} come(s) from does not exist in {env}; {there}", packs.join(", ")),
            )
            .at(format!("/spec/template/packs/{index}/registry"))
            .about(Subject::Registry(reg.clone()))
            .hint(format!(
                "map it to a registry of {env} that holds the packs: --registry-map '{reg}={}'",
                same_kind.first().copied().unwrap_or("NAME")
            ))
            .fix([
                "--registry-map".to_string(),
                format!("{reg}={}", same_kind.first().copied().unwrap_or("NAME")),
            ]),
        );
    }
    out
}

/// Asks the target about every registry pack of the document.
pub fn packs(
    api: &impl Palette,
    env: &str,
    profile: &Profile,
) -> Result<Vec<Finding>, PluginError> {
    let needs = needs(profile);
    if needs.is_empty() {
        return Ok(Vec::new());
    }
    let all = registries(&api::get_json(
        api,
        &format!("listing the registries of {env}"),
        "/v1/registries/metadata",
        &[],
    )?);
    let mut looked_up = Vec::new();
    for need in needs {
        let what = format!("looking up pack {}@{} in {env}", need.name, need.version);
        let filter = format!("spec.name={}ANDspec.version={}", need.name, need.version);
        let items = api::list_all(api, &what, "/v1/packs", &[("filters", &filter)])?;
        let mut holders: Vec<Registry> = Vec::new();
        for uid in items
            .iter()
            .filter_map(|i| i.pointer("/spec/registryUid").and_then(Value::as_str))
        {
            if holders.iter().any(|h| h.uid == uid) {
                continue;
            }
            // A registry the metadata list does not show is still a holder, known by uid.
            let known = all.iter().find(|r| r.uid == uid).cloned();
            holders.push(known.unwrap_or_else(|| Registry {
                uid: uid.into(),
                name: uid.into(),
                kind: String::new(),
            }));
        }
        looked_up.push((need, holders));
    }
    Ok(pack_findings(&looked_up, &all, env))
}

/// The macro names effective in the environment's scope.
pub fn defined_macros(api: &impl Palette, env: &str) -> Result<HashSet<String>, PluginError> {
    let answer = api::get_json(
        api,
        &format!("reading the macros of {env}"),
        "/v1/clusterprofiles/macros",
        &[],
    )?;
    let items = answer
        .get("macros")
        .and_then(Value::as_array)
        .map(Vec::as_slice);
    Ok(items
        .unwrap_or_default()
        .iter()
        .filter_map(|m| m.get("name").and_then(Value::as_str))
        .map(str::to_string)
        .collect())
}
