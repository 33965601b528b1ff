//! Which native credential provider gives an environment its API key (`ferry login
//! --credential-provider NAME[:REF]`), as the config file records it. Loading and asking the
//! provider is the host's (`ferry::native`); this is the part a config file holds.

use serde::{Deserialize, Serialize};

/// Which provider gives an environment its key, and what the provider is told to look up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderRef {
    /// The library's name: `lib<name>.so` in the providers directory.
    pub name: String,
    /// Provider-specific (a vault path, a keychain entry); empty when none was given.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reference: String,
}

impl ProviderRef {
    /// Parses `NAME[:REFERENCE]` as `ferry login --credential-provider` takes it.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let (name, reference) = text.split_once(':').unwrap_or((text, ""));
        check_name(name)?;
        if reference.contains('\0') {
            anyhow::bail!(
                "the provider reference has a NUL character: it cannot be passed to a provider"
            );
        }
        Ok(Self {
            name: name.to_owned(),
            reference: reference.to_owned(),
        })
    }
}

impl std::fmt::Display for ProviderRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.reference.as_str() {
            "" => f.write_str(&self.name),
            reference => write!(f, "{}:{reference}", self.name),
        }
    }
}

/// A provider name: a library's name, so no path (no `/`, no `..`) can hide in it.
pub fn check_name(name: &str) -> anyhow::Result<()> {
    let ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    if !ok {
        anyhow::bail!(
            "credential provider name {name:?} is not allowed: use 1 to 64 letters, digits, '-' or '_' \
             (the library's name without `lib` and `.so`, e.g. ferry_credential_file); the provider is \
             looked up in the directory the policy names, never by a path"
        );
    }
    Ok(())
}
