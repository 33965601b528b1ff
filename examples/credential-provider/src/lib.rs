//! An example native credential provider for ferry (the C ABI of docs/NATIVE.md, version 1.0.0):
//! it reads API keys from a file, a stand-in for a vault or an OS keychain.
//!
//! The file is the provider reference given at login (`--credential-provider
//! ferry_credential_file:/path/to/keys`), else the file `FERRY_CREDENTIAL_FILE` names. Each line is
//! `ENVIRONMENT=API_KEY`; blank lines and lines starting with `#` are skipped.
//!
//! Nothing unwinds across the boundary: a panic is caught and reported as an error.

use std::ffi::{CStr, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The ABI this provider was written against.
const ABI: &CStr = c"1.0.0";

/// Where the keys are when the login gave no reference.
const FILE_ENV: &str = "FERRY_CREDENTIAL_FILE";

/// The ABI version, asked first: ferry calls nothing else unless it speaks this version.
#[unsafe(no_mangle)]
pub extern "C" fn ferry_credential_provider_abi() -> *const c_char {
    ABI.as_ptr()
}

/// The API key of `environment`, written to `key` (`*key_len` bytes); on failure 1 and a message
/// in `error` (`*error_len` bytes). See docs/NATIVE.md for the contract.
///
/// # Safety
/// The three strings are NUL-terminated; `key` and `error` are writable for their capacities;
/// `key_len` and `error_len` are writable.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn ferry_credential_provider_get_key(
    environment: *const c_char,
    endpoint: *const c_char,
    reference: *const c_char,
    key: *mut u8,
    key_capacity: usize,
    key_len: *mut usize,
    error: *mut u8,
    error_capacity: usize,
    error_len: *mut usize,
) -> i32 {
    let found = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the caller passes NUL-terminated strings (the contract above).
        let text = |p: *const c_char| unsafe { CStr::from_ptr(p) }.to_str();
        let (Ok(environment), Ok(_endpoint), Ok(reference)) =
            (text(environment), text(endpoint), text(reference))
        else {
            return Err("an argument is not UTF-8".to_owned());
        };
        key_for(environment, reference)
    }))
    .unwrap_or_else(|_| Err("the provider panicked".to_owned()));
    // SAFETY (both arms): the caller's buffers are writable for their capacities (the contract above).
    match found {
        Ok(k) if k.len() <= key_capacity => unsafe {
            write(k.as_bytes(), key, key_capacity, key_len);
            0
        },
        Ok(k) => unsafe {
            let message = format!(
                "the key is {} bytes, more than the {key_capacity} ferry has room for",
                k.len()
            );
            write(message.as_bytes(), error, error_capacity, error_len);
            1
        },
        Err(message) => unsafe {
            write(message.as_bytes(), error, error_capacity, error_len);
            1
        },
    }
}

/// Copies `bytes` (cut to `capacity`) to `out` and their count to `len`.
unsafe fn write(bytes: &[u8], out: *mut u8, capacity: usize, len: *mut usize) {
    let n = bytes.len().min(capacity);
    // SAFETY: `out` is writable for `capacity` bytes and `len` is writable (the caller's contract).
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), out, n);
        *len = n;
    }
}

/// The key of `environment` in the keys file.
fn key_for(environment: &str, reference: &str) -> Result<String, String> {
    let path = if reference.is_empty() {
        std::env::var(FILE_ENV).map_err(|_| {
            format!(
                "no keys file: give one as the provider reference (ferry_credential_file:/path/to/keys) or set {FILE_ENV}"
            )
        })?
    } else {
        reference.to_owned()
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read the keys file {path}: {e}"))?;
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .find(|(name, _)| name.trim() == environment)
        .map(|(_, key)| key.trim().to_owned())
        .ok_or_else(|| format!("the keys file {path} has no line `{environment}=API_KEY`: add one"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(environment: &CStr, reference: &CStr, key_capacity: usize) -> (i32, String) {
        let mut key = vec![0u8; key_capacity];
        let mut error = [0u8; 256];
        let (mut key_len, mut error_len) = (0, 0);
        let status = unsafe {
            ferry_credential_provider_get_key(
                environment.as_ptr(),
                c"https://palette.example".as_ptr(),
                reference.as_ptr(),
                key.as_mut_ptr(),
                key.len(),
                &mut key_len,
                error.as_mut_ptr(),
                error.len(),
                &mut error_len,
            )
        };
        let out = if status == 0 {
            &key[..key_len]
        } else {
            &error[..error_len]
        };
        (status, String::from_utf8(out.to_vec()).unwrap())
    }

    #[test]
    fn finds_the_environments_line_and_says_what_is_missing() {
        let dir =
            std::env::temp_dir().join(format!("ferry-credential-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("keys");
        std::fs::write(&file, "# keys\nstaging=abc\n prod = s3cret-key \n").unwrap();
        let reference = std::ffi::CString::new(file.to_str().unwrap()).unwrap();

        assert_eq!(ask(c"prod", &reference, 64), (0, "s3cret-key".into()));
        let (status, message) = ask(c"dev", &reference, 64);
        assert_eq!(status, 1);
        assert!(message.contains("no line `dev=API_KEY`"), "{message}");
        let (status, message) = ask(c"prod", &reference, 4);
        assert_eq!(status, 1);
        assert!(message.contains("more than the 4"), "{message}");
        let (status, message) = ask(c"prod", c"/no/such/file", 64);
        assert_eq!(status, 1);
        assert!(message.contains("cannot read the keys file"), "{message}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn says_its_abi() {
        let abi = unsafe { CStr::from_ptr(ferry_credential_provider_abi()) };
        assert_eq!(abi.to_str().unwrap(), "1.0.0");
    }
}
