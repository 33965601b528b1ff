//! A library that answers the ABI question and nothing else: with `FERRY_TEST_PROVIDER_ABI` set to
//! another major or a newer minor it is a provider of an ABI ferry does not speak; left at "1.0.0"
//! it is one that lacks `ferry_credential_provider_get_key`.

use std::ffi::{CString, c_char};
use std::sync::OnceLock;

/// The version this library claims, read once (the pointer stays valid for the process).
#[unsafe(no_mangle)]
pub extern "C" fn ferry_credential_provider_abi() -> *const c_char {
    static ABI: OnceLock<CString> = OnceLock::new();
    ABI.get_or_init(|| {
        let text = std::env::var("FERRY_TEST_PROVIDER_ABI").unwrap_or_else(|_| "1.0.0".into());
        CString::new(text).unwrap_or_default()
    })
    .as_ptr()
}
