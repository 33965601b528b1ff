//! The config file, `<home>/config.yaml`: one entry per environment, secrets sealed (see
//! docs/CREDENTIALS.md), read and written whole.
//!
//! Writers take an exclusive lock on `<home>/.lock` for their whole read-change-write, so two ferry
//! commands at once cannot lose each other's change; readers need no lock because every write is an
//! atomic rename. A file written by a newer ferry (a higher `version`) is refused, never rewritten.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::atomic::{ensure_private_dir, remove_stale_temps, write_atomic};
use crate::config::provider::ProviderRef;

/// The format version this ferry writes: 2 seals every value bound to its place (`ferry:v2:`).
/// A version 1 file is read and re-sealed as version 2 by the next command that writes it with
/// the passphrase (`ferry login`, `ferry config rotate-passphrase`).
pub const FORMAT_VERSION: u32 = 2;

/// Where the passphrase check value belongs (its associated data).
pub const CHECK_PLACE: &str = "ferry passphrase check";

const HEADER: &str = "# ferry's environments. Secrets are sealed with your passphrase (format: docs/CREDENTIALS.md).\n\
# Edit with `ferry login`, `ferry env` and `ferry config`.\n";

/// The whole config file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ConfigFile {
    pub version: u32,
    /// The environment commands use when `--env` is not given (`ferry env use`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<String>,
    /// A known value sealed with the passphrase's key: opening it proves the passphrase right before
    /// anything is written. Absent while no secret is stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passphrase_check: Option<String>,
    #[serde(default)]
    pub environments: BTreeMap<String, Environment>,
}

impl Default for ConfigFile {
    fn default() -> Self {
        Self {
            version: FORMAT_VERSION,
            current: None,
            passphrase_check: None,
            environments: BTreeMap::new(),
        }
    }
}

/// One Palette environment.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Environment {
    pub endpoint: String,
    /// Accept invalid TLS certificates.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure: bool,
    /// A plain `http://` endpoint on another machine was accepted (`--insecure-http`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure_http: bool,
    pub tenant_uid: String,
    /// The project requests run in; absent for tenant scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<ProjectRef>,
    /// The API key, sealed; for an environment whose key a credential provider gives, a sealed
    /// marker instead (no key), which binds the provider to the entry like a key.
    pub api_key: String,
    /// The native credential provider asked for the key (docs/NATIVE.md); absent: the key is stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_provider: Option<ProviderRef>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ProjectRef {
    pub name: String,
    pub uid: String,
}

impl Environment {
    /// What the API key of environment `name` is bound to when sealed: change any of it (move the
    /// key to another entry, point the entry at another endpoint, relax its TLS, change its scope)
    /// and the key no longer opens, so it cannot be sent anywhere it was not stored for.
    pub fn api_key_place(&self, name: &str) -> String {
        let scope = match &self.project {
            Some(p) => format!("project {}", p.uid),
            None => "tenant".to_owned(),
        };
        let place = format!(
            "api-key of environment {name:?}; endpoint {}; insecure {}; insecure-http {}; tenant {}; scope {scope}",
            self.endpoint, self.insecure, self.insecure_http, self.tenant_uid
        );
        // A provider is part of the place, so an entry pointed at another provider no longer opens.
        match &self.credential_provider {
            Some(provider) => format!("{place}; credential-provider {provider}"),
            None => place,
        }
    }
}

impl ConfigFile {
    /// Every sealed value in the file with its place: what a passphrase rotation re-seals. A new
    /// secret field must be listed here.
    pub fn sealed_values_mut(&mut self) -> impl Iterator<Item = (String, &mut String)> {
        let check = self
            .passphrase_check
            .iter_mut()
            .map(|c| (CHECK_PLACE.to_owned(), c));
        let keys = self
            .environments
            .iter_mut()
            .map(|(name, env)| (env.api_key_place(name), &mut env.api_key));
        check.chain(keys)
    }

    /// Reads the text of the config file at `path` (named in errors), refusing a newer format.
    pub fn parse(text: &str, path: &Path) -> anyhow::Result<ConfigFile> {
        let config: ConfigFile = serde_yaml_ng::from_str(text).with_context(|| {
            format!(
                "{} is not a valid ferry config; fix it, or move it away and log in again",
                path.display()
            )
        })?;
        if config.version > FORMAT_VERSION {
            anyhow::bail!(
                "{} has format version {}, newer than this ferry reads ({FORMAT_VERSION}): upgrade ferry",
                path.display(),
                config.version
            );
        }
        Ok(config)
    }

    /// The text [`Store::save`] writes.
    pub fn to_text(&self) -> anyhow::Result<String> {
        let body = serde_yaml_ng::to_string(self).context("cannot serialize the config")?;
        Ok(format!("{HEADER}{body}"))
    }

    /// Whether any secret is stored (the check value aside).
    pub fn has_secrets(&self) -> bool {
        !self.environments.is_empty()
    }

    /// The environment a command works on: `requested`, else the current one.
    pub fn select(&self, requested: Option<&str>) -> anyhow::Result<(&str, &Environment)> {
        let name = match requested.or(self.current.as_deref()) {
            Some(name) => name,
            None if self.environments.is_empty() => anyhow::bail!(
                "no environment is stored yet: run `ferry login --env NAME --endpoint URL --api-key-stdin` first"
            ),
            None => anyhow::bail!(
                "no environment selected: pass --env NAME or pick one with `ferry env use NAME` (stored: {})",
                self.names()
            ),
        };
        match self.environments.get_key_value(name) {
            Some((name, env)) => Ok((name.as_str(), env)),
            None if self.environments.is_empty() => {
                anyhow::bail!(
                    "no environment named {name:?}: none is stored yet; add it with `ferry login --env {name} ...`"
                )
            }
            None => anyhow::bail!(
                "no environment named {name:?}; stored: {} (see `ferry env list`)",
                self.names()
            ),
        }
    }

    fn names(&self) -> String {
        self.environments
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// An environment name: what users type after `--env`.
pub fn check_env_name(name: &str) -> anyhow::Result<()> {
    let ok = (1..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !ok {
        anyhow::bail!(
            "environment name {name:?} is not allowed: use 1 to 64 letters, digits, '-', '_' or '.', \
             starting with a letter or digit (e.g. prod, staging-eu)"
        );
    }
    Ok(())
}

/// ferry's home and its config file.
#[derive(Clone, Debug)]
pub struct Store {
    home: PathBuf,
}

/// Held while a command changes the config; released on drop.
pub struct WriteLock(#[allow(dead_code)] File);

impl Store {
    pub fn new(home: PathBuf) -> Self {
        Self { home }
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

    pub fn path(&self) -> PathBuf {
        self.home.join("config.yaml")
    }

    /// Takes the writers' lock, creating the home (0700) if needed.
    pub fn lock(&self) -> anyhow::Result<WriteLock> {
        ensure_private_dir(&self.home)
            .with_context(|| format!("cannot create ferry's home {}", self.home.display()))?;
        let path = self.home.join(".lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        file.lock()
            .with_context(|| format!("cannot lock {}", path.display()))?;
        Ok(WriteLock(file))
    }

    /// The config, or an empty one when there is no file yet.
    pub fn load(&self) -> anyhow::Result<ConfigFile> {
        let path = self.path();
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ConfigFile::default()),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        ConfigFile::parse(&text, &path)
    }

    /// Writes the config atomically (0600 file, 0700 home). Call while holding [`Store::lock`].
    pub fn save(&self, _lock: &WriteLock, config: &ConfigFile) -> anyhow::Result<()> {
        let path = self.path();
        let text = config.to_text()?;
        ensure_private_dir(&self.home)
            .with_context(|| format!("cannot create ferry's home {}", self.home.display()))?;
        remove_stale_temps(&path);
        write_atomic(&path, text.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names() {
        for good in ["prod", "staging-eu", "a", "dev_1.2"] {
            assert!(check_env_name(good).is_ok(), "{good}");
        }
        for bad in ["", "-prod", "has space", "a/b", "é", &"x".repeat(65)] {
            let err = check_env_name(bad).unwrap_err().to_string();
            assert!(err.contains("is not allowed"), "{err}");
        }
    }

    #[test]
    fn save_then_load_round_trips_and_refuses_newer_formats() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::new(tmp.path().join("home"));
        assert_eq!(store.load().unwrap(), ConfigFile::default());
        let mut config = ConfigFile {
            current: Some("prod".into()),
            ..ConfigFile::default()
        };
        config.environments.insert(
            "prod".into(),
            Environment {
                endpoint: "https://api.example.com".into(),
                insecure: false,
                insecure_http: false,
                tenant_uid: "t1".into(),
                project: Some(ProjectRef {
                    name: "Default".into(),
                    uid: "p1".into(),
                }),
                api_key: "ferry:v1:sealed".into(),
                credential_provider: None,
            },
        );
        let lock = store.lock().unwrap();
        store.save(&lock, &config).unwrap();
        assert_eq!(store.load().unwrap(), config);

        fs::write(store.path(), "version: 3\n").unwrap();
        let err = format!("{:#}", store.load().unwrap_err());
        assert!(err.contains("upgrade ferry"), "{err}");
        fs::write(store.path(), "environments: [not, a, map\n").unwrap();
        let err = format!("{:#}", store.load().unwrap_err());
        assert!(err.contains("not a valid ferry config"), "{err}");
    }
}
