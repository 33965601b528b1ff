//! Reading policy files: where they are, and each setting with the line it sits on.
//!
//! `--policy FILE` or `FERRY_POLICY` names the one file to use. Otherwise ferry reads
//! `<ferry home>/policy.toml` (what an organization rolls out to every machine), then the nearest
//! `ferry.toml` from the working directory upward (a repository's own), which is laid over it.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::super::limits::LimitOverrides;

/// A repository's own policy, found from the working directory upward.
pub const REPO_FILE: &str = "ferry.toml";
/// The policy of every run from this ferry home.
pub const HOME_FILE: &str = "policy.toml";

/// The policy files in force, farthest first (each later one is laid over the earlier).
pub fn discover(home: &Path, explicit: Option<&Path>) -> Vec<PathBuf> {
    if let Some(path) = chosen(explicit) {
        return vec![path];
    }
    let mut files = Vec::new();
    let home_file = home.join(HOME_FILE);
    if home_file.is_file() {
        files.push(home_file);
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    if let Some(repo) = cwd
        .ancestors()
        .map(|dir| dir.join(REPO_FILE))
        .find(|file| file.is_file())
    {
        files.push(repo);
    }
    files
}

/// The one file the user named (`--policy`, else `FERRY_POLICY`), if any.
fn chosen(explicit: Option<&Path>) -> Option<PathBuf> {
    let from_env = std::env::var_os("FERRY_POLICY")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    explicit.map(Path::to_path_buf).or(from_env)
}

/// Whether `path` (one of [`discover`]'s) may opt in to native code: the home's file and a file
/// the user named may; a `ferry.toml` found in the working directory's tree may not, or cloning a
/// repository and running ferry in it could load a library the repository ships.
pub fn may_load_native(home: &Path, explicit: Option<&Path>, path: &Path) -> bool {
    chosen(explicit).is_some() || path == home.join(HOME_FILE)
}

/// Where a setting was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub file: PathBuf,
    pub line: usize,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// One policy file, parsed, with the text to turn spans into lines.
pub struct File {
    pub path: PathBuf,
    text: String,
    pub doc: Doc,
}

impl File {
    pub fn read(path: &Path) -> anyhow::Result<File> {
        let text = crate::cli::user_file::read(path, "the policy")?;
        let doc: Doc = toml::from_str(&text).map_err(|e| {
            let line = e.span().map(|s| line_of(&text, s.start)).unwrap_or(1);
            anyhow::anyhow!("invalid policy {}:{line}: {}", path.display(), e.message())
        })?;
        Ok(File {
            path: path.to_path_buf(),
            text,
            doc,
        })
    }

    /// Where a spanned value sits.
    pub fn place<T>(&self, value: &Spanned<T>) -> Place {
        Place {
            file: self.path.clone(),
            line: line_of(&self.text, value.span().start),
        }
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// A policy file as written: strings where a mistake must be reported with its line rather than
/// stop the reading (`ferry policy check` lists every one).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Doc {
    /// Plugin ids per step, in the order they run.
    #[serde(default)]
    pub steps: BTreeMap<String, Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub plugins: BTreeMap<String, Spanned<PluginDoc>>,
    /// Only plugins signed by a trusted key load (built-ins are ferry's own and exempt).
    #[serde(default)]
    pub require_signed: Option<Spanned<bool>>,
    /// Name = `ed25519:<base64>`.
    #[serde(default)]
    pub trusted_keys: BTreeMap<String, Spanned<String>>,
    /// Native credential providers: whether (and which) may load, and from where.
    #[serde(default)]
    pub credential_providers: Option<Spanned<ProvidersDoc>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ProvidersDoc {
    /// `true`, `false`, or a list of provider names (read in [`super::Policy`] to say what is wrong).
    #[serde(default)]
    pub allow: Option<Spanned<toml::Value>>,
    /// The directory providers load from, relative to this file.
    #[serde(default)]
    pub dir: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PluginDoc {
    #[serde(default)]
    pub grants: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub config: BTreeMap<String, Spanned<toml::Value>>,
    #[serde(default)]
    pub limits: Option<Spanned<LimitOverrides>>,
    /// A semver range the plugin's version must match (`^1.2`, `=1.2.3`).
    #[serde(default)]
    pub version: Option<Spanned<String>>,
    /// The wasm's sha256 the plugin must have.
    #[serde(default)]
    pub sha256: Option<Spanned<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_carry_their_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ferry.toml");
        std::fs::write(
            &path,
            "require-signed = true\n\n[steps]\nmask = [\n  \"palette-mask\",\n  \"acme\",\n]\n\n[plugins.acme]\ngrants = [\"http:https://a.example\"]\nconfig = { x = 1 }\n",
        )
        .unwrap();
        let file = File::read(&path).unwrap();
        let line = |p: Place| p.line;
        assert_eq!(
            line(file.place(file.doc.require_signed.as_ref().unwrap())),
            1
        );
        let mask = &file.doc.steps["mask"];
        assert_eq!(line(file.place(mask)), 4);
        assert_eq!(line(file.place(&mask.get_ref()[1])), 6);
        let acme = file.doc.plugins["acme"].get_ref();
        assert_eq!(line(file.place(acme.grants.as_ref().unwrap())), 10);
        assert_eq!(line(file.place(&acme.config["x"])), 11);

        std::fs::write(&path, "[steps]\nmask = [\"a\"]\nbogus = 1\n").unwrap();
        let err = File::read(&path).err().unwrap().to_string();
        assert!(
            err.contains("ferry.toml:3") && err.contains("expected a sequence"),
            "{err}"
        );
    }
}
