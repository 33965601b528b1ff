//! Where plugins come from: built into the binary, or installed into ferry's home
//! (`<home>/plugins/<id>/`, the manifest beside its wasm, with the wasm's sha256 recorded).

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::manifest::Manifest;
use super::signature::{SIGNATURE_FILE, SignatureFile};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/builtins.rs"));
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    BuiltIn,
    Installed,
}

/// A plugin ferry knows of: its manifest, where it is, and its digest.
#[derive(Debug, Clone)]
pub struct Entry {
    pub manifest: Manifest,
    pub origin: Origin,
    /// Installed plugins: the folder holding the manifest and wasm.
    pub dir: Option<PathBuf>,
    /// Built-in plugins: the component, embedded in the binary.
    embedded: Option<&'static [u8]>,
    pub sha256: String,
}

impl Entry {
    /// The component's bytes.
    pub fn wasm(&self) -> anyhow::Result<std::borrow::Cow<'static, [u8]>> {
        match (&self.dir, self.embedded) {
            (_, Some(bytes)) => Ok(std::borrow::Cow::Borrowed(bytes)),
            (None, None) => anyhow::bail!("plugin '{}' has no component", self.manifest.id),
            (Some(dir), None) => {
                let path = dir.join(&self.manifest.wasm);
                let bytes = std::fs::read(&path).map_err(|e| {
                    anyhow::anyhow!(
                        "cannot read plugin '{}' at {}: {e}",
                        self.manifest.id,
                        path.display()
                    )
                })?;
                let digest = sha256_hex(&bytes);
                if digest != self.sha256 {
                    anyhow::bail!(
                        "plugin '{}' at {} has changed since it was installed (sha256 {digest}, recorded {}); reinstall it with `ferry plugin install`",
                        self.manifest.id,
                        path.display(),
                        self.sha256
                    );
                }
                Ok(std::borrow::Cow::Owned(bytes))
            }
        }
    }

    /// The contract version it was built for, as its component's exports say (read without
    /// compiling it); none when they do not say one ferry can read.
    pub fn contract(&self) -> Option<semver::Version> {
        let wasm = self.wasm().ok()?;
        let (_, exports) = super::imports::component_interfaces(&wasm).ok()?;
        super::contract::of_component(&exports, &self.manifest.steps).ok()
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The built-in plugins, in the order their crates are named. Parsed and hashed once per process.
pub fn builtins() -> Vec<Entry> {
    static BUILTINS: std::sync::OnceLock<Vec<Entry>> = std::sync::OnceLock::new();
    BUILTINS
        .get_or_init(|| {
            embedded::BUILTINS
                .iter()
                .map(|(manifest, wasm)| Entry {
                    manifest: Manifest::parse(manifest, "built-in")
                        .expect("built-in manifests are valid"),
                    origin: Origin::BuiltIn,
                    dir: None,
                    embedded: Some(wasm),
                    sha256: sha256_hex(wasm),
                })
                .collect()
        })
        .clone()
}

/// Where installed plugins live.
pub fn installed_dir(home: &Path) -> PathBuf {
    home.join("plugins")
}

/// The plugins installed in `home`, sorted by id. A broken install is reported, not fatal.
pub fn installed(home: &Path) -> Vec<Entry> {
    let mut found = Vec::new();
    let Ok(dirs) = std::fs::read_dir(installed_dir(home)) else {
        return found;
    };
    // `.install-*` folders are installs under way (or left by one that died): not plugins yet.
    let visible = |p: &PathBuf| {
        !p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
    };
    for dir in dirs
        .flatten()
        .map(|d| d.path())
        .filter(|p| p.is_dir() && visible(p))
    {
        let path = dir.join("ferry-plugin.toml");
        let parsed = std::fs::read_to_string(&path)
            .map_err(anyhow::Error::from)
            .and_then(|text| Manifest::parse(&text, &path.display().to_string()));
        match parsed {
            Ok(manifest) => {
                let Some(sha256) = manifest.sha256.clone() else {
                    tracing::warn!(
                        "skipping {}: no sha256 recorded; reinstall it",
                        path.display()
                    );
                    continue;
                };
                found.push(Entry {
                    manifest,
                    origin: Origin::Installed,
                    dir: Some(dir),
                    embedded: None,
                    sha256,
                });
            }
            Err(err) => tracing::warn!("skipping a broken plugin install: {err:#}"),
        }
    }
    found.sort_by(|a, b| a.manifest.id.cmp(&b.manifest.id));
    found
}

/// Every plugin: built-ins first, then installed ones.
pub fn all(home: &Path) -> Vec<Entry> {
    let mut all = builtins();
    all.extend(installed(home));
    all
}

/// The plugin with this id.
pub fn find(home: &Path, id: &str) -> anyhow::Result<Entry> {
    let all = all(home);
    all.iter()
        .find(|e| e.manifest.id == id)
        .cloned()
        .ok_or_else(|| {
            let ids: Vec<_> = all.iter().map(|e| e.manifest.id.as_str()).collect();
            anyhow::anyhow!(
                "no plugin '{id}'; known plugins: {} (see `ferry plugin list`)",
                ids.join(", ")
            )
        })
}

/// A plugin not installed: the manifest at `path` (or `path/ferry-plugin.toml`) and the wasm it
/// names beside it, as `ferry plugin test|sign|verify` take one from where it is built.
pub fn from_manifest(path: &Path) -> anyhow::Result<Entry> {
    let path = if path.is_dir() {
        path.join("ferry-plugin.toml")
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let manifest = Manifest::parse(&text, &path.display().to_string())?;
    let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let wasm_path = dir.join(&manifest.wasm);
    let wasm = std::fs::read(&wasm_path).map_err(|e| {
        anyhow::anyhow!(
            "cannot read the plugin's wasm {} (named by `wasm` in {}): {e}",
            wasm_path.display(),
            path.display()
        )
    })?;
    Ok(Entry {
        sha256: sha256_hex(&wasm),
        manifest,
        origin: Origin::Installed,
        dir: Some(dir),
        embedded: None,
    })
}

/// The plugin `what` names: a path to its manifest (or its folder), else a known plugin's id.
pub fn find_or_open(home: &Path, what: &str) -> anyhow::Result<Entry> {
    let path = Path::new(what);
    if what.contains(std::path::MAIN_SEPARATOR) || what.ends_with(".toml") || path.is_dir() {
        return from_manifest(path);
    }
    find(home, what)
}

/// Installs the plugin described by the manifest at `manifest_path` (its wasm beside it): checks
/// it, records its sha256 and copies both into ferry's home. Returns the installed entry.
pub fn install(home: &Path, manifest_path: &Path) -> anyhow::Result<Entry> {
    stage(home, manifest_path)?.commit()
}

/// A plugin written into a fresh folder beside the installed ones, not yet in their place: it can
/// be loaded (and so compiled into the cache) before it replaces an earlier install. Dropped
/// without [`Staged::commit`], it leaves nothing behind.
pub struct Staged {
    /// The plugin, read from the staging folder.
    pub entry: Entry,
    dir: tempfile::TempDir,
    target: PathBuf,
}

impl Staged {
    /// Swaps the staged plugin in for any earlier install of the same id.
    pub fn commit(self) -> anyhow::Result<Entry> {
        if self.target.exists() {
            std::fs::remove_dir_all(&self.target)?;
        }
        std::fs::rename(self.dir.keep(), &self.target)?;
        Ok(Entry {
            dir: Some(self.target),
            ..self.entry
        })
    }
}

/// Checks the plugin described by the manifest at `manifest_path` (its wasm beside it), records
/// its sha256 and writes both into a staging folder in ferry's home. Imports ferry never provides
/// are refused here, before anything is compiled.
pub fn stage(home: &Path, manifest_path: &Path) -> anyhow::Result<Staged> {
    let text = std::fs::read_to_string(manifest_path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", manifest_path.display()))?;
    let mut manifest = Manifest::parse(&text, &manifest_path.display().to_string())?;
    if builtins().iter().any(|b| b.manifest.id == manifest.id) {
        anyhow::bail!(
            "'{}' is the id of a built-in plugin; give your plugin another id",
            manifest.id
        );
    }
    if let Err(why) = manifest.check_contract() {
        anyhow::bail!(
            "cannot install plugin '{}' {}: {why}",
            manifest.id,
            manifest.version
        );
    }
    let source_dir = manifest_path.parent().unwrap_or(Path::new("."));
    let wasm_path = source_dir.join(&manifest.wasm);
    let wasm = std::fs::read(&wasm_path).map_err(|e| {
        anyhow::anyhow!(
            "cannot read the plugin's wasm {} (named by `wasm` in the manifest): {e}",
            wasm_path.display()
        )
    })?;
    let imports = super::imports::component_imports(&wasm)
        .map_err(|e| anyhow::anyhow!("cannot install {}: {e:#}", wasm_path.display()))?;
    if let Err(why) = super::imports::check_provided(&imports) {
        anyhow::bail!(
            "cannot install plugin '{}' {}: {why}",
            manifest.id,
            manifest.version
        );
    }
    let digest = sha256_hex(&wasm);
    if let Some(expected) = &manifest.sha256
        && !expected.eq_ignore_ascii_case(&digest)
    {
        anyhow::bail!(
            "{} does not match the manifest: sha256 is {digest}, the manifest says {expected}",
            wasm_path.display()
        );
    }
    // A signature travels with the plugin; one that does not match is a tampered plugin.
    let signature = SignatureFile::read_in(source_dir).map_err(|e| anyhow::anyhow!(e))?;
    if let Some(signature) = &signature {
        signature.verify(&manifest, &digest).map_err(|e| {
            anyhow::anyhow!(
                "cannot install plugin '{}': its signature {} does not verify: {e}; sign it again (`ferry plugin sign`) or get the files as its publisher signed them",
                manifest.id,
                source_dir.join(SIGNATURE_FILE).display()
            )
        })?;
    }
    manifest.sha256 = Some(digest.clone());
    manifest.wasm = "plugin.wasm".into();

    // Write into a fresh folder, then swap it in: a failed install leaves the old one intact.
    let root = installed_dir(home);
    crate::config::atomic::ensure_private_dir(&root)?;
    let staging = tempfile::Builder::new()
        .prefix(".install-")
        .tempdir_in(&root)?;
    std::fs::write(staging.path().join("plugin.wasm"), &wasm)?;
    std::fs::write(
        staging.path().join("ferry-plugin.toml"),
        toml::to_string(&manifest)?,
    )?;
    if let Some(signature) = &signature {
        std::fs::write(staging.path().join(SIGNATURE_FILE), signature.to_text())?;
    }
    let target = root.join(&manifest.id);
    Ok(Staged {
        entry: Entry {
            manifest,
            origin: Origin::Installed,
            dir: Some(staging.path().to_path_buf()),
            embedded: None,
            sha256: digest,
        },
        dir: staging,
        target,
    })
}
