//! Finding and loading a provider library: only from the directory the policy names, only a file
//! that stays inside it once symlinks are resolved, and only after its ABI version checks out.
//!
//! A loaded library is never unloaded: unloading native code that may have started threads or
//! registered destructors is not safe, and a process asks a provider at most once per environment.

use std::collections::BTreeMap;
use std::ffi::{CStr, c_char};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use libloading::Library;

use super::abi::{self, AbiFn, GetKeyFn};

/// A provider ready to be asked.
#[derive(Clone, Copy)]
pub struct Loaded {
    pub get_key: GetKeyFn,
}

/// Providers loaded by this process, by their resolved path.
static LOADED: Mutex<BTreeMap<PathBuf, Loaded>> = Mutex::new(BTreeMap::new());

/// The library of provider `name` in `dir`: `lib<name>.so` on Linux (`.dylib` on macOS,
/// `<name>.dll` on Windows), resolved, refused if it leads outside `dir`.
pub fn locate(dir: &Path, name: &str) -> Result<PathBuf, String> {
    let root = dir.canonicalize().map_err(|e| {
        format!(
            "the providers directory {} cannot be opened ({e}): create it and put the provider there, \
             or correct `dir` under [credential-providers]",
            dir.display()
        )
    })?;
    let file = root.join(libloading::library_filename(name));
    let resolved = file.canonicalize().map_err(|e| {
        format!(
            "there is no provider {name:?} in {} ({} cannot be opened: {e}); build it and copy its \
             library there (see examples/credential-provider)",
            root.display(),
            file.display()
        )
    })?;
    if !resolved.starts_with(&root) {
        return Err(format!(
            "{} leads outside the providers directory {} (to {}): ferry loads a provider only from \
             the directory the policy names; copy the library into it instead of linking to it",
            file.display(),
            root.display(),
            resolved.display()
        ));
    }
    if !resolved.is_file() {
        return Err(format!(
            "{} is not a file: put the provider's library there",
            resolved.display()
        ));
    }
    Ok(resolved)
}

/// Loads the library at `path` (from [`locate`]) and checks it is a provider this ferry can call.
pub fn load(path: &Path) -> Result<Loaded, String> {
    let mut loaded = LOADED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(found) = loaded.get(path) {
        return Ok(*found);
    }
    // SAFETY: loading runs the library's initializers: native code is trusted code, and the policy
    // opted in to this directory (docs/NATIVE.md).
    let library = unsafe { Library::new(path) }.map_err(|e| {
        format!(
            "{} cannot be loaded as a shared library ({e}): is it a provider built for this system?",
            path.display()
        )
    })?;
    let found = check(&library, path)?;
    // Kept loaded for the rest of the process (see the module's comment).
    std::mem::forget(library);
    loaded.insert(path.to_path_buf(), found);
    Ok(found)
}

/// The ABI version first; only then the other symbol.
fn check(library: &Library, path: &Path) -> Result<Loaded, String> {
    let shown = path.display();
    // SAFETY: the symbol's type is the ABI's; a library that declares it otherwise breaks the ABI.
    let abi_fn = unsafe { library.get::<AbiFn>(abi::ABI_SYMBOL.as_bytes()) }.map_err(|_| {
        format!(
            "{shown} is not a ferry credential provider: it has no `{}` symbol; point the environment \
             at a provider (`ferry login --credential-provider NAME`), built as examples/credential-provider is",
            abi::ABI_SYMBOL
        )
    })?;
    // SAFETY: the ABI's first function takes nothing and returns a NUL-terminated string or null.
    let text = unsafe { abi_fn() };
    if text.is_null() {
        return Err(format!(
            "{shown} answered no ABI version (`{}` returned null): fix the provider",
            abi::ABI_SYMBOL
        ));
    }
    // SAFETY: non-null, NUL-terminated by the ABI's contract.
    let version = unsafe { CStr::from_ptr(text as *const c_char) }
        .to_string_lossy()
        .into_owned();
    let version = abi::compatible(&version).map_err(|why| format!("{shown}: {why}"))?;
    // SAFETY: as for the first symbol.
    let get_key = unsafe { library.get::<GetKeyFn>(abi::GET_KEY_SYMBOL.as_bytes()) }.map_err(|_| {
        format!(
            "{shown} says it speaks provider ABI {version} but has no `{}` symbol: it is incomplete; \
             rebuild it with that function (docs/NATIVE.md)",
            abi::GET_KEY_SYMBOL
        )
    })?;
    Ok(Loaded { get_key: *get_key })
}
