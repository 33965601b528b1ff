//! The C ABI of native credential providers, as docs/NATIVE.md states it for provider authors:
//!
//! ```c
//! const char *ferry_credential_provider_abi(void);          /* "1.0.0", NUL-terminated */
//! int32_t ferry_credential_provider_get_key(
//!     const char *environment, const char *endpoint, const char *reference,
//!     uint8_t *key, size_t key_capacity, size_t *key_len,
//!     uint8_t *error, size_t error_capacity, size_t *error_len);   /* 0: key; else error */
//! ```
//!
//! The version is checked ([`compatible`]) before any other symbol is looked up.

use std::ffi::c_char;

use semver::Version;

/// The ABI this ferry speaks: a provider of the same major and a minor up to this one works.
pub const HOST_ABI: Version = Version::new(1, 0, 0);

/// The one symbol ferry looks up before it knows the provider's ABI version.
pub const ABI_SYMBOL: &str = "ferry_credential_provider_abi";
/// Asks for an environment's API key.
pub const GET_KEY_SYMBOL: &str = "ferry_credential_provider_get_key";

pub type AbiFn = unsafe extern "C" fn() -> *const c_char;
pub type GetKeyFn = unsafe extern "C" fn(
    environment: *const c_char,
    endpoint: *const c_char,
    reference: *const c_char,
    key: *mut u8,
    key_capacity: usize,
    key_len: *mut usize,
    error: *mut u8,
    error_capacity: usize,
    error_len: *mut usize,
) -> i32;

/// Room for the key ferry hands the provider (Palette's keys are far shorter).
pub const KEY_CAPACITY: usize = 8192;
/// Room for the provider's error message.
pub const ERROR_CAPACITY: usize = 2048;

/// Whether this ferry can call a provider that says it speaks ABI `theirs`; if not, why and what to do.
pub fn compatible(theirs: &str) -> Result<Version, String> {
    let version = Version::parse(theirs).map_err(|e| {
        format!(
            "it says its ABI version is {theirs:?}, which is not a semver version ({e}): it was not built \
             against ferry's provider ABI; rebuild it as examples/credential-provider is built (docs/NATIVE.md)"
        )
    })?;
    let host = &HOST_ABI;
    if version.major != host.major {
        return Err(format!(
            "it speaks provider ABI {version} and this ferry speaks {host} (the major versions must match): \
             rebuild the provider against ABI {}.x (docs/NATIVE.md), or use a ferry that speaks ABI {}.x",
            host.major, version.major
        ));
    }
    if version.minor > host.minor {
        return Err(format!(
            "it speaks provider ABI {version}, newer than this ferry's {host}: it may rely on what ABI {}.{} \
             lacks; upgrade ferry, or use a build of the provider for ABI {}.{}",
            host.major, host.minor, host.major, host.minor
        ));
    }
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_major_and_no_newer_minor() {
        assert!(compatible("1.0.0").is_ok());
        assert!(compatible("1.0.7").is_ok(), "patches do not change the ABI");
        let newer = compatible("1.1.0").unwrap_err();
        assert!(
            newer.contains("newer than this ferry's 1.0.0") && newer.contains("upgrade ferry"),
            "{newer}"
        );
        for other in ["2.0.0", "0.9.0"] {
            let err = compatible(other).unwrap_err();
            assert!(err.contains("major versions must match"), "{err}");
        }
        let junk = compatible("one").unwrap_err();
        assert!(junk.contains("not a semver version"), "{junk}");
    }
}
