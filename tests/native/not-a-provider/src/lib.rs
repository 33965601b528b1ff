//! A real shared library that is not a credential provider: ferry must refuse it by name.

/// Something to export, so the library is not empty.
#[unsafe(no_mangle)]
pub extern "C" fn ferry_test_not_a_provider() -> i32 {
    7
}
