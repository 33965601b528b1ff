//! Stored credentials, unlocked once per command: the passphrase is checked and the key derived a
//! single time, then every secret of the home opens with that key ([`Credentials::key`] is also what
//! the rest of the host seals its own secrets with, through [`super::crypto`]).

use anyhow::Context;

use super::crypto::{self, CryptoError, Key};
use super::passphrase::{self, Passphrase, Source};
use super::store::{ConfigFile, Environment};
use crate::palette::{ApiKey, Client, ClientOptions, Scope};

/// The plaintext of the passphrase check value.
const CHECK_PLAINTEXT: &[u8] = b"ferry passphrase check";

/// The config with its key: what a command that uses secrets works with.
pub struct Credentials {
    config: ConfigFile,
    key: Key,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("environments", &self.config.environments.keys())
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// Unlocks a config that holds secrets, with the passphrase from `flag`, the environment or a prompt.
    pub fn unlock(config: ConfigFile, flag: Option<&str>) -> anyhow::Result<Self> {
        if !config.has_secrets() {
            anyhow::bail!(
                "no environment is stored yet: run `ferry login --env NAME --endpoint URL --api-key-stdin` first"
            );
        }
        let (passphrase, source) = passphrase::obtain(flag, false)?;
        let key = verify(&config, &passphrase, source)?;
        Ok(Self { config, key })
    }

    /// Unlocks the config, or, when it holds no secret yet, takes a new passphrase (which must meet
    /// the policy) and writes its check value into `config`. Used by `ferry login`.
    pub fn unlock_or_init(mut config: ConfigFile, flag: Option<&str>) -> anyhow::Result<Self> {
        if config.has_secrets() {
            return Self::unlock(config, flag);
        }
        let (passphrase, source) = passphrase::obtain(flag, true)?;
        passphrase
            .check_policy()
            .with_context(|| format!("the passphrase from {source} cannot be used"))?;
        let key = Key::generate(&passphrase);
        config.passphrase_check = Some(crypto::seal(&key, CHECK_PLAINTEXT));
        Ok(Self { config, key })
    }

    /// Re-seals every secret under `new` (fresh salt) and returns the new config; `self` is untouched.
    pub fn resealed(&self, new: &Passphrase) -> anyhow::Result<(ConfigFile, Key)> {
        let key = Key::generate(new);
        let mut config = self.config.clone();
        for sealed in config.sealed_values_mut() {
            let plain = crypto::open(&self.key, sealed)
                .map_err(|e| anyhow::anyhow!("a stored secret {e}"))?;
            *sealed = crypto::seal(&key, &plain);
        }
        Ok((config, key))
    }

    /// The key every secret of this home is sealed with.
    pub fn key(&self) -> &Key {
        &self.key
    }

    pub fn config(&self) -> &ConfigFile {
        &self.config
    }

    /// The config, to change and save (the key stays valid for it).
    pub fn config_mut(&mut self) -> &mut ConfigFile {
        &mut self.config
    }

    /// The API key of environment `name`.
    pub fn api_key(&self, name: &str) -> anyhow::Result<ApiKey> {
        let env = self
            .config
            .environments
            .get(name)
            .with_context(|| format!("no environment named {name:?}"))?;
        let plain = crypto::open(&self.key, &env.api_key)
            .map_err(|e| anyhow::anyhow!("the API key of environment {name:?}: {e}"))?;
        let text = std::str::from_utf8(&plain).context("the stored API key is not text")?;
        ApiKey::new(text)
            .map_err(|why| anyhow::anyhow!("the stored API key of {name:?} is unusable: {why}"))
    }

    /// Seals `api_key` for storing in an environment entry.
    pub fn seal_api_key(&self, api_key: &ApiKey) -> String {
        crypto::seal(&self.key, api_key.expose().as_bytes())
    }

    /// A client for environment `name`, in its stored scope.
    pub fn client(&self, name: &str) -> anyhow::Result<Client> {
        let env = self
            .config
            .environments
            .get(name)
            .with_context(|| format!("no environment named {name:?}"))?;
        client_for(env, self.api_key(name)?)
    }
}

/// A client for a stored environment with its key, in the environment's scope.
pub fn client_for(env: &Environment, key: ApiKey) -> anyhow::Result<Client> {
    let scope = match &env.project {
        Some(project) => Scope::Project(project.uid.clone()),
        None => Scope::Tenant,
    };
    let options = ClientOptions {
        insecure: env.insecure,
        ..ClientOptions::default()
    };
    Ok(Client::new(&env.endpoint, key, scope, &options)?)
}

/// Derives the key from `passphrase` and proves it opens the config (its check value, or the first
/// secret of a file that lost its check), before anything is written.
fn verify(config: &ConfigFile, passphrase: &Passphrase, source: Source) -> anyhow::Result<Key> {
    let verifier = config
        .passphrase_check
        .as_deref()
        .or_else(|| {
            config
                .environments
                .values()
                .map(|e| e.api_key.as_str())
                .next()
        })
        .context("the config holds no sealed value to check the passphrase against")?;
    let key = Key::for_envelope(passphrase, verifier)
        .map_err(|e| anyhow::anyhow!("the config's passphrase check: {e}"))?;
    match crypto::open(&key, verifier) {
        Ok(_) => Ok(key),
        Err(CryptoError::Decrypt) => anyhow::bail!(
            "cannot decrypt: wrong passphrase or tampered file (the passphrase came from {source}); nothing was changed"
        ),
        Err(e) => Err(anyhow::anyhow!("the config's passphrase check: {e}")),
    }
}
