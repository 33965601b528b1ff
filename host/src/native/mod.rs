//! Native credential providers: shared libraries that hand ferry an environment's API key (from a
//! vault, an OS keychain) so that none is stored. They are native code, so trusted code: loaded
//! only when the policy opts in (`[credential-providers]`), only from the directory it names, and
//! only once their ABI version checks out. The ABI and the rules: docs/NATIVE.md.
//!
//! - [`abi`]: the C signatures, the host's ABI version and the semver check.
//! - [`library`]: locating a provider inside the named directory, loading it, checking it.
//!
//! A process asks each provider once per environment: the key is kept in memory for the process
//! and never written anywhere.

pub mod abi;
pub mod library;

use std::collections::BTreeMap;
use std::ffi::CString;
use std::path::Path;
use std::sync::{Mutex, PoisonError};

use zeroize::Zeroizing;

use crate::cli::hints::with_hint;
use crate::palette::ApiKey;
use crate::runtime::policy::{NativeProviders, Policy};

pub use ferry_formats::config::provider::{ProviderRef, check_name};

/// Where a command asks providers: its home and the policy file it was given (`--policy`), if any.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    pub home: &'a Path,
    pub policy: Option<&'a Path>,
}

/// Keys already given in this process, by environment, endpoint and provider.
static GIVEN: Mutex<BTreeMap<String, ApiKey>> = Mutex::new(BTreeMap::new());

/// The API key of environment `env` (at `endpoint`) from `provider`, under the policy in force
/// for `context`. Asked once per process.
pub fn api_key(
    context: Context,
    env: &str,
    endpoint: &str,
    provider: &ProviderRef,
) -> anyhow::Result<ApiKey> {
    let cache_key = format!("{env}\n{endpoint}\n{provider}");
    // Held through the call: providers are asked one at a time, and each key once.
    let mut given = GIVEN.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(key) = given.get(&cache_key) {
        return Ok(key.clone());
    }
    let policy = Policy::load(context.home, context.policy)?;
    let settings = admitted(&policy, context.home, env, &provider.name)?;
    let refused = |why: String| {
        with_hint(
            anyhow::anyhow!(
                "credential provider {:?} of environment {env:?} is refused: {why}",
                provider.name
            ),
            "native code runs with ferry's full rights: load only a provider you would run as a program (docs/NATIVE.md)",
        )
    };
    let path = library::locate(&settings.dir, &provider.name).map_err(refused)?;
    let loaded = library::load(&path).map_err(refused)?;
    let key = ask(loaded, env, endpoint, provider)?;
    given.insert(cache_key, key.clone());
    Ok(key)
}

/// The policy's providers section, if it lets provider `name` be loaded; else what to add.
fn admitted<'p>(
    policy: &'p Policy,
    home: &Path,
    env: &str,
    name: &str,
) -> anyhow::Result<&'p NativeProviders> {
    let example = format!(
        "[credential-providers]\nallow = [\"{name}\"]\ndir = \"/path/to/providers\"   # relative to the policy file"
    );
    let where_to = format!(
        "{} (or the file --policy or FERRY_POLICY names)",
        home.join(crate::runtime::policy::file::HOME_FILE).display()
    );
    let Some(settings) = policy.credential_providers.as_ref() else {
        return Err(with_hint(
            anyhow::anyhow!(
                "environment {env:?} gets its API key from the native credential provider {name:?}, and \
                 the policy does not allow native credential providers"
            ),
            format!(
                "if you trust that provider, opt in by adding to {where_to}:\n\n{example}\n\n\
                 native code runs with ferry's full rights (docs/NATIVE.md)"
            ),
        ));
    };
    if !settings.allows(name) {
        return Err(with_hint(
            anyhow::anyhow!(
                "environment {env:?} gets its API key from the native credential provider {name:?}, and \
                 the policy does not allow that provider ({})",
                settings.allowed_text(),
            ),
            format!(
                "if you trust it, add \"{name}\" to `allow` under [credential-providers]{}",
                policy
                    .origin("credential-providers.allow")
                    .map(|p| format!(" ({p})"))
                    .unwrap_or_default()
            ),
        ));
    }
    Ok(settings)
}

/// Calls the provider; the key's buffer is zeroized whatever happens.
fn ask(
    loaded: library::Loaded,
    env: &str,
    endpoint: &str,
    provider: &ProviderRef,
) -> anyhow::Result<ApiKey> {
    let c = |s: &str| CString::new(s).map_err(|_| anyhow::anyhow!("{s:?} has a NUL character"));
    let (c_env, c_endpoint, c_reference) = (c(env)?, c(endpoint)?, c(&provider.reference)?);
    let mut key = Zeroizing::new(vec![0u8; abi::KEY_CAPACITY]);
    let mut error = vec![0u8; abi::ERROR_CAPACITY];
    let (mut key_len, mut error_len) = (0usize, 0usize);
    tracing::debug!(
        "asking credential provider {} for the key of {env}",
        provider.name
    );
    // SAFETY: the strings are NUL-terminated and outlive the call; each buffer is writable for the
    // capacity passed with it; the lengths are writable. The provider's code is trusted (policy).
    let status = unsafe {
        (loaded.get_key)(
            c_env.as_ptr(),
            c_endpoint.as_ptr(),
            c_reference.as_ptr(),
            key.as_mut_ptr(),
            key.len(),
            &mut key_len,
            error.as_mut_ptr(),
            error.len(),
            &mut error_len,
        )
    };
    let failed = |why: String| {
        with_hint(
            anyhow::anyhow!(
                "credential provider {:?} gave no API key for environment {env:?}: {why}",
                provider.name
            ),
            format!(
                "fix what the provider says (its own setup or the reference {:?}), or point the \
                 environment at another provider with `ferry login --env {env} --credential-provider NAME[:REF]`",
                provider.reference
            ),
        )
    };
    if status != 0 {
        let message = String::from_utf8_lossy(&error[..error_len.min(error.len())]);
        let message = match message.trim() {
            "" => format!("it failed (status {status}) and said nothing"),
            text => text.to_owned(),
        };
        return Err(failed(message));
    }
    if key_len > key.len() {
        return Err(failed(format!(
            "it claims a key of {key_len} bytes in a buffer of {}",
            key.len()
        )));
    }
    let text = std::str::from_utf8(&key[..key_len])
        .map_err(|_| failed("the key it gave is not text".into()))?;
    ApiKey::new(text).map_err(|why| failed(format!("the key it gave is unusable: {why}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse_and_names_cannot_be_paths() {
        let r = ProviderRef::parse("ferry_credential_file:/etc/keys:x").unwrap();
        assert_eq!(
            (r.name.as_str(), r.reference.as_str()),
            ("ferry_credential_file", "/etc/keys:x")
        );
        assert_eq!(r.to_string(), "ferry_credential_file:/etc/keys:x");
        assert_eq!(ProviderRef::parse("vault").unwrap().to_string(), "vault");
        for bad in ["", "../evil", "a/b", "lib.so", ":ref"] {
            let err = ProviderRef::parse(bad).unwrap_err().to_string();
            assert!(err.contains("is not allowed"), "{bad}: {err}");
        }
    }
}
