//! What a fresh sandbox holds: tenants, projects, users and their keys, and registries full of packs.
//!
//! Accounts are seeded once per data folder (keys are random, then stored, so a restart keeps them).
//! Packs are seeded at every start, inserting only what is missing, so `--seed-dir` on an existing data
//! folder adds the packs it brings.
//!
//! Registries: "Public Repo" (kind `pack`, uid `5e2031962f090e2d3d8a3290` as on Palette SaaS) holds every
//! pack as type `spectro`; "Bitnami" (kind `helm`) holds the chart packs (`wordpress-chart`, `harbor`) as type
//! `helm`; "Palette Registry" (kind `oci`) holds `hello-universe` and `argo-cd` as type `oci`. The Helm and OCI
//! registries get random uids per data folder, like pack uids, because uids differ between environments:
//! clients must match registries by name and kind.

use std::path::Path;

use anyhow::Context;
use rusqlite::{OptionalExtension, Transaction, params};

use super::ids::{new_secret, new_uid, now_rfc3339};
use super::packmeta::PackFiles;
use super::roles::Role;
use super::store::{Store, meta_get, meta_set};
use super::{KeyInfo, Mirror, ProjectInfo, TenantInfo};

pub const PUBLIC_REPO_UID: &str = "5e2031962f090e2d3d8a3290";

/// The seeded tenants and their projects.
const TENANTS: &[(&str, &[&str])] = &[
    ("acme", &["Default", "prod", "staging"]),
    ("globex", &["Default", "dev"]),
];

/// Seeded users per tenant: `<user>@<tenant>.sandbox`, each with one API key.
const USERS: &[(&str, Role)] = &[("admin", Role::Admin), ("viewer", Role::ReadOnly)];

/// A registry and which packs it holds.
struct RegistrySeed<'a> {
    name: &'a str,
    kind: &'a str,
    endpoint: &'a str,
    fixed_uid: Option<&'a str>,
    pack_type: &'a str,
    /// Pack names it holds; `None` means every pack (but those of the mirror, if there is one).
    holds: Option<&'a [&'a str]>,
}

const REGISTRIES: &[RegistrySeed<'static>] = &[
    RegistrySeed {
        name: "Public Repo",
        kind: "pack",
        endpoint: "https://registry.spectrocloud.com",
        fixed_uid: Some(PUBLIC_REPO_UID),
        pack_type: "spectro",
        holds: None,
    },
    RegistrySeed {
        name: "Bitnami",
        kind: "helm",
        endpoint: "https://charts.bitnami.com/bitnami",
        fixed_uid: None,
        pack_type: "helm",
        holds: Some(&["wordpress-chart", "harbor"]),
    },
    RegistrySeed {
        name: "Palette Registry",
        kind: "oci",
        endpoint: "oci://registry.spectrocloud.com/spectro-packs",
        fixed_uid: None,
        pack_type: "oci",
        holds: Some(&["hello-universe", "argo-cd"]),
    },
];

/// The packs compiled into the binary: the folders of `sandbox/seed/` and their optional files.
macro_rules! seed_pack {
    ($dir:literal $(, $file:literal)*) => {
        ($dir, &[
            ("pack.json", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/seed/", $dir, "/pack.json"))),
            ("values.yaml", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/seed/", $dir, "/values.yaml"))),
            $(($file, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/seed/", $dir, "/", $file))),)*
        ])
    };
}

pub const EMBEDDED_PACKS: &[(&str, &[(&str, &str)])] = &[
    seed_pack!("akuity-agent-0.30.0-5.5.2026", "schema.yaml"),
    seed_pack!("antrea-1.9.0"),
    seed_pack!("argocd-3.26.7", "presets.yaml"),
    seed_pack!("argocd-3.3.5", "presets.yaml"),
    seed_pack!("crossplane-1.7.0", "schema.yaml", "presets.yaml"),
    seed_pack!("crowdstrike-falcon-agent-1.0.0", "schema.yaml"),
    seed_pack!("csi-driver-nfs"),
    seed_pack!("elastic-stack-0.19.0", "presets.yaml"),
    seed_pack!("external-snapshotter-4.0.1", "schema.yaml"),
    seed_pack!("fluentbit-5.0.5"),
    seed_pack!("gridlight-1.1.3", "schema.yaml"),
    seed_pack!("harbor-1.9.3"),
    seed_pack!("hello-universe-1.2.0", "schema.yaml", "presets.yaml"),
    seed_pack!("hello-universe-1.3.1", "schema.yaml", "presets.yaml"),
    // Synthesized: istio is no longer in the pack repository; see sandbox/seed/README.md.
    seed_pack!("istio-1.6.2"),
    seed_pack!("kubeflow-1.2.0"),
    seed_pack!("kubeflow-1.9.1"),
    seed_pack!("kyverno-1.12.2", "schema.yaml", "presets.yaml"),
    seed_pack!("ngrok-ingress-controller-0.9.0", "schema.yaml"),
    seed_pack!("piraeus-operator-2.9.0", "schema.yaml"),
    seed_pack!("piraeus-operator-addon-2.9.0", "schema.yaml"),
    seed_pack!("thanos-17.6.0", "schema.yaml", "presets.yaml"),
    seed_pack!("twistlock-20.09.0", "schema.yaml"),
    seed_pack!("unctl-1.1.0", "schema.yaml"),
    seed_pack!("wordpress-6.4.3"),
];

/// The embedded packs, parsed.
pub fn embedded_packs() -> anyhow::Result<Vec<PackFiles>> {
    EMBEDDED_PACKS
        .iter()
        .map(|(dir, files)| {
            PackFiles::read(dir, |name| {
                files
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, text)| text.to_string())
            })
            .map_err(anyhow::Error::msg)
        })
        .collect()
}

/// Every pack folder (one holding a `pack.json`) directly under `dir`, parsed.
pub fn packs_from_dir(dir: &Path) -> anyhow::Result<Vec<PackFiles>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the seed folder {}", dir.display()))?;
    let mut folders: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("pack.json").is_file())
        .collect();
    folders.sort();
    if folders.is_empty() {
        anyhow::bail!(
            "{} holds no pack folder (a folder with a pack.json)",
            dir.display()
        );
    }
    folders
        .iter()
        .map(|folder| {
            let name = folder
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            PackFiles::read(&name, |file| {
                std::fs::read_to_string(folder.join(file)).ok()
            })
            .map_err(anyhow::Error::msg)
        })
        .collect()
}

/// Seeds accounts (first start only) and any missing registries and packs; returns the tenants.
/// With a `mirror`, its packs are in that registry instead of "Public Repo".
pub fn seed(store: &Store, packs: &[PackFiles], mirror: Option<&Mirror>) -> anyhow::Result<()> {
    store.write_now(|tx| {
        if meta_get(tx, "seeded")?.is_none() {
            seed_accounts(tx)?;
            meta_set(tx, "token_secret", &new_secret(32))?;
            meta_set(tx, "seeded", &now_rfc3339())?;
        }
        seed_registries(tx, packs, mirror)
    })
}

fn seed_accounts(tx: &Transaction<'_>) -> anyhow::Result<()> {
    let now = now_rfc3339();
    for (seq, (tenant, projects)) in TENANTS.iter().enumerate() {
        let tenant_uid = new_uid();
        tx.execute(
            "INSERT INTO tenants (uid, name, seq) VALUES (?1, ?2, ?3)",
            params![tenant_uid, tenant, seq as i64],
        )?;
        for project in *projects {
            tx.execute(
                "INSERT INTO projects (uid, tenant_uid, name, created) VALUES (?1, ?2, ?3, ?4)",
                params![new_uid(), tenant_uid, project, now],
            )?;
        }
        for (user, role) in USERS {
            let user_uid = new_uid();
            tx.execute(
                "INSERT INTO users (uid, tenant_uid, email, role) VALUES (?1, ?2, ?3, ?4)",
                params![
                    user_uid,
                    tenant_uid,
                    format!("{user}@{tenant}.sandbox"),
                    role.name()
                ],
            )?;
            tx.execute(
                "INSERT INTO api_keys (key, user_uid) VALUES (?1, ?2)",
                params![new_secret(20), user_uid],
            )?;
        }
    }
    Ok(())
}

fn seed_registries(
    tx: &Transaction<'_>,
    packs: &[PackFiles],
    mirror: Option<&Mirror>,
) -> anyhow::Result<()> {
    let now = now_rfc3339();
    let mirrored: Vec<&str> =
        mirror.map_or(Vec::new(), |m| m.packs.iter().map(String::as_str).collect());
    let is_mirrored = |pack: &PackFiles| {
        mirrored.contains(&format!("{}@{}", pack.field("name"), pack.field("version")).as_str())
    };
    let mirror = mirror.map(|m| RegistrySeed {
        name: &m.name,
        kind: "pack",
        endpoint: "https://registry.mirror.sandbox",
        fixed_uid: None,
        pack_type: "spectro",
        holds: Some(&[]),
    });
    for (seq, reg) in REGISTRIES.iter().chain(mirror.as_ref()).enumerate() {
        let in_mirror = mirror.as_ref().is_some_and(|m| std::ptr::eq(m, reg));
        let existing: Option<String> = tx
            .query_row(
                "SELECT uid FROM registries WHERE name = ?1 AND kind = ?2 AND owner = ''",
                [reg.name, reg.kind],
                |r| r.get(0),
            )
            .optional()?;
        let uid = match existing {
            Some(uid) => uid,
            None => {
                let uid = reg.fixed_uid.map(str::to_string).unwrap_or_else(new_uid);
                tx.execute(
                    "INSERT INTO registries (uid, name, kind, endpoint, is_private, is_default, created, seq)
                     VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6, ?7)",
                    params![uid, reg.name, reg.kind, reg.endpoint, reg.fixed_uid.is_some(), now, seq as i64],
                )?;
                uid
            }
        };
        for pack in packs {
            let holds = if in_mirror {
                is_mirrored(pack)
            } else {
                match reg.holds {
                    None => !is_mirrored(pack),
                    Some(names) => names.contains(&pack.field("name")),
                }
            };
            if !holds {
                continue;
            }
            let display = match pack.field("displayName") {
                "" => pack.field("name"),
                name => name,
            };
            tx.execute(
                r#"INSERT OR IGNORE INTO packs (uid, registry_uid, name, version, layer, type, display_name, meta,
                       "values", schema, presets, created)
                   VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"#,
                params![
                    new_uid(),
                    uid,
                    pack.field("name"),
                    pack.field("version"),
                    pack.field("layer"),
                    reg.pack_type,
                    display,
                    pack.meta.to_string(),
                    pack.values,
                    serde_json::Value::from(pack.schema.clone()).to_string(),
                    serde_json::Value::from(pack.presets.clone()).to_string(),
                    now,
                ],
            )?;
        }
    }
    Ok(())
}

/// The tenants, their projects and (when `with_keys`) their keys, as the ready line prints them.
pub fn tenants(store: &Store, with_keys: bool) -> anyhow::Result<Vec<TenantInfo>> {
    store.write_now(|tx| {
        let mut out = Vec::new();
        let mut stmt = tx.prepare("SELECT uid, name FROM tenants ORDER BY seq")?;
        let rows: Vec<(String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (uid, name) in rows {
            let mut stmt =
                tx.prepare("SELECT name, uid FROM projects WHERE tenant_uid = ?1 ORDER BY rowid")?;
            let projects = stmt
                .query_map([&uid], |r| {
                    Ok(ProjectInfo {
                        name: r.get(0)?,
                        uid: r.get(1)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            let mut keys = Vec::new();
            if with_keys {
                let mut stmt = tx.prepare(
                    "SELECT k.key, u.role FROM api_keys k JOIN users u ON u.uid = k.user_uid
                     WHERE u.tenant_uid = ?1 ORDER BY u.rowid",
                )?;
                for row in stmt.query_map([&uid], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })? {
                    let (key, role) = row?;
                    let role = Role::parse(&role).unwrap_or(Role::ReadOnly);
                    keys.push(KeyInfo::new(key, role));
                }
            }
            out.push(TenantInfo {
                name,
                uid,
                projects,
                keys,
            });
        }
        Ok(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The compiled-in list names every folder of sandbox/seed and every file in it.
    #[test]
    fn embedded_list_matches_the_seed_folder() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("seed");
        let mut on_disk: Vec<(String, Vec<String>)> = std::fs::read_dir(&root)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.path().is_dir())
            .map(|e| {
                let mut files: Vec<String> = std::fs::read_dir(e.path())
                    .unwrap()
                    .map(|f| f.unwrap().file_name().to_string_lossy().to_string())
                    .collect();
                files.sort();
                (e.file_name().to_string_lossy().to_string(), files)
            })
            .collect();
        on_disk.sort();
        let mut listed: Vec<(String, Vec<String>)> = EMBEDDED_PACKS
            .iter()
            .map(|(dir, files)| {
                let mut names: Vec<String> = files.iter().map(|(n, _)| n.to_string()).collect();
                names.sort();
                (dir.to_string(), names)
            })
            .collect();
        listed.sort();
        assert_eq!(listed, on_disk);
    }

    #[test]
    fn embedded_packs_parse() {
        let packs = embedded_packs().unwrap();
        let find = |name: &str, version: &str| {
            packs
                .iter()
                .find(|p| p.field("name") == name && p.field("version") == version)
        };
        assert!(find("argo-cd", "3.26.7").is_some());
        assert!(find("kubeflow", "1.2.0").is_some());
        assert!(find("istio", "1.6.2").is_some());
        let akuity = find("akuity-agent", "0.30.0-5.5.2026").unwrap();
        let passwords: Vec<String> = akuity
            .schema
            .iter()
            .map(super::super::packmeta::from_api)
            .filter(ferry_plugin_api::schema::is_password)
            .map(|f| f.name)
            .collect();
        assert_eq!(passwords, ["charts.akuity-agent.akuityApiKeySecret"]);
    }
}
