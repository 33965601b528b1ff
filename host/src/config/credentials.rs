//! Stored credentials, unlocked once per command: the passphrase is checked and the key derived a
//! single time, then every secret of the home opens with that key ([`Credentials::key`] is also what
//! the rest of the host seals its own secrets with, through [`super::crypto`]).
//!
//! Every value is sealed for its place (see [`Environment::api_key_place`]). Once a file is in the
//! current format, an old unbound `v1` value in it is refused: it can only have been put there by
//! hand, to get around that binding.

use anyhow::Context;

use super::crypto::{self, CryptoError, Key};
use super::passphrase::{self, Passphrase, Source};
use super::store::{CHECK_PLACE, ConfigFile, Environment, FORMAT_VERSION};
use crate::native;
use crate::palette::{ApiKey, Client, ClientOptions, Scope};

/// The plaintext of the passphrase check value.
const CHECK_PLAINTEXT: &[u8] = b"ferry passphrase check";

/// What the `api_key` of an environment whose key a provider gives seals: no key, a marker bound to
/// the entry (endpoint, scope, provider), so an edited entry is refused before any provider is asked.
const PROVIDER_MARKER: &[u8] = b"ferry: the API key comes from the credential provider";

/// The config with its key: what a command that uses secrets works with.
pub struct Credentials {
    config: ConfigFile,
    key: Key,
    /// Kept (zeroized on drop) to re-seal an old file under a key of the current derivation.
    passphrase: Passphrase,
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
        Ok(Self {
            config,
            key,
            passphrase,
        })
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
        config.version = FORMAT_VERSION;
        config.passphrase_check = Some(crypto::seal(&key, CHECK_PLAINTEXT, CHECK_PLACE));
        Ok(Self {
            config,
            key,
            passphrase,
        })
    }

    /// Brings a file of an older format to the current one before it is written: every value
    /// re-sealed, bound to its place, under a fresh key of the current derivation.
    pub fn upgrade(&mut self) -> anyhow::Result<()> {
        if self.config.version >= FORMAT_VERSION {
            return Ok(());
        }
        let (config, key) = self.resealed(&self.passphrase.clone())?;
        tracing::info!(
            "re-sealed the config's secrets in format {FORMAT_VERSION} (each bound to its environment)"
        );
        self.config = config;
        self.key = key;
        Ok(())
    }

    /// Re-seals every secret under `new` (fresh salt) and returns the new config; `self` is untouched.
    pub fn resealed(&self, new: &Passphrase) -> anyhow::Result<(ConfigFile, Key)> {
        let key = Key::generate(new);
        let mut config = self.config.clone();
        for (place, sealed) in config.sealed_values_mut() {
            let plain = self
                .open(sealed, &place)
                .map_err(|e| anyhow::anyhow!("{place}: {e}"))?;
            *sealed = crypto::seal(&key, &plain, &place);
        }
        config.version = FORMAT_VERSION;
        Ok((config, key))
    }

    /// Opens a value of this file sealed for `place`, refusing an unbound one in a current file.
    fn open(&self, sealed: &str, place: &str) -> Result<zeroize::Zeroizing<Vec<u8>>, CryptoError> {
        if self.config.version >= FORMAT_VERSION && crypto::is_legacy(sealed) {
            return Err(CryptoError::Decrypt);
        }
        crypto::open(&self.key, sealed, place)
    }

    /// The passphrase that unlocked the home (to open what another home sealed with it).
    pub fn passphrase(&self) -> &Passphrase {
        &self.passphrase
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

    /// The API key of environment `name`: the stored one, or its credential provider's answer
    /// (asked under the policy `native` names).
    pub fn api_key(&self, name: &str, native: native::Context) -> anyhow::Result<ApiKey> {
        let env = self
            .config
            .environments
            .get(name)
            .with_context(|| format!("no environment named {name:?}"))?;
        let plain = self
            .open(&env.api_key, &env.api_key_place(name))
            .map_err(|e| match e {
                // The passphrase opened the check value: this value was moved or changed.
                CryptoError::Decrypt => anyhow::anyhow!(
                    "the API key of environment {name:?} does not open in this entry: it was sealed for \
                     another environment, endpoint, TLS setting or scope, or the file was edited; \
                     ferry sends it nowhere. Log in again with `ferry login --env {name}` if the entry is right"
                ),
                e => anyhow::anyhow!("the API key of environment {name:?}: {e}"),
            })?;
        if let Some(provider) = &env.credential_provider {
            if plain.as_slice() != PROVIDER_MARKER {
                anyhow::bail!(
                    "environment {name:?} names credential provider {provider}, but its sealed value is not the \
                     provider's marker: the file was edited; log in again with `ferry login --env {name} ...`"
                );
            }
            return native::api_key(native, name, &env.endpoint, provider);
        }
        let text = std::str::from_utf8(&plain).context("the stored API key is not text")?;
        ApiKey::new(text)
            .map_err(|why| anyhow::anyhow!("the stored API key of {name:?} is unusable: {why}"))
    }

    /// Seals `api_key` for the entry `env` of environment `name` (set `env.api_key` to the result).
    pub fn seal_api_key(&self, api_key: &ApiKey, name: &str, env: &Environment) -> String {
        crypto::seal(
            &self.key,
            api_key.expose().as_bytes(),
            &env.api_key_place(name),
        )
    }

    /// Seals the marker of an entry whose key credential provider `env.credential_provider` gives.
    pub fn seal_provider_marker(&self, name: &str, env: &Environment) -> String {
        crypto::seal(&self.key, PROVIDER_MARKER, &env.api_key_place(name))
    }

    /// A client for environment `name`, in its stored scope.
    pub fn client(&self, name: &str, native: native::Context) -> anyhow::Result<Client> {
        let env = self
            .config
            .environments
            .get(name)
            .with_context(|| format!("no environment named {name:?}"))?;
        client_for(env, self.api_key(name, native)?)
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
        insecure_http: env.insecure_http,
        ..ClientOptions::default()
    };
    Ok(Client::new(&env.endpoint, key, scope, &options)?)
}

/// Derives the key from `passphrase` and proves it opens the config (its check value, or the first
/// secret of a file that lost its check), before anything is written.
fn verify(config: &ConfigFile, passphrase: &Passphrase, source: Source) -> anyhow::Result<Key> {
    let (verifier, place) = config
        .passphrase_check
        .as_deref()
        .map(|check| (check, CHECK_PLACE.to_owned()))
        .or_else(|| {
            config
                .environments
                .iter()
                .map(|(name, e)| (e.api_key.as_str(), e.api_key_place(name)))
                .next()
        })
        .context("the config holds no sealed value to check the passphrase against")?;
    if config.version >= FORMAT_VERSION && crypto::is_legacy(verifier) {
        anyhow::bail!(
            "the config's passphrase check is in the old unbound format inside a current file: the file was edited; nothing was changed"
        );
    }
    let key = Key::for_envelope(passphrase, verifier)
        .map_err(|e| anyhow::anyhow!("the config's passphrase check: {e}"))?;
    match crypto::open(&key, verifier, &place) {
        Ok(_) => Ok(key),
        Err(CryptoError::Decrypt) => anyhow::bail!(
            "cannot decrypt: wrong passphrase or tampered file (the passphrase came from {source}); nothing was changed"
        ),
        Err(e) => Err(anyhow::anyhow!("the config's passphrase check: {e}")),
    }
}
