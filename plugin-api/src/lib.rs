//! The crate a ferry plugin author depends on.
//!
//! - [`bindings`]: the `ferry:plugin` contract, generated once and shared by every step world, with an
//!   export macro per step: [`export_masker!`], [`export_validator!`], [`export_approver!`],
//!   [`export_exporter!`], [`export_importer!`].
//! - [`document`]: a serde model of Palette's export document that keeps fields it does not know.
//! - [`json_text`]: find a value in a document's JSON text by pointer and edit it in place.
//! - [`values`]: find scalars in a pack's values YAML by dotted path (`a.b.$[].c`) and edit them in place.
//! - [`schema`]: Palette's pack schema mini-language (`{{ required | format "${password}" }}`).
//! - [`refs`]: `{{.spectro.macro|var|system|pack.NAME}}` references in a text.
//! - [`mask`]: Palette's own masking rules, the logic behind the built-in masker.
//! - [`scan`]: secrets found by their key names and shapes, the logic behind `secret-scan`.
//! - [`finding`]: short builders for findings.
//! - [`api`]: calling Palette through the host (`palette-api`), with Palette's errors made readable.
//! - [`export`], [`validate`], [`import`]: the logic of the built-in export, validate and import
//!   steps, written against [`api::Palette`] so it is tested natively with a fake Palette.
//!
//! A masker in Rust:
//!
//! ```ignore
//! use ferry_plugin_api::{export_masker, masker::Guest, types::*};
//! struct Mine;
//! impl Guest for Mine {
//!     fn mask(cx: Context, document: String, packs: Vec<PackMeta>) -> Result<MaskOutput, PluginError> {
//!         /* ... */
//!     }
//! }
//! export_masker!(Mine);
//! ```

#![warn(missing_docs)]

pub mod api;
pub mod document;
pub mod export;
pub mod finding;
pub mod import;
pub mod json_text;
pub mod mask;
pub mod refs;
pub mod scan;
pub mod schema;
pub mod validate;
pub mod values;

/// The contract version this crate was built from: the `@x.y.z` of `package ferry:plugin` in
/// `wit/ferry-plugin.wit`, read by this crate's build script (one source for the version).
pub const CONTRACT_VERSION: &str = env!("FERRY_CONTRACT_VERSION");

/// Generated bindings of the newest contract (`wit/ferry-plugin.wit`). Host interfaces and shared
/// types come from the `sdk` world; each step world reuses them so a `Finding` is the same type
/// whichever step produced it. Their documentation is the WIT's.
#[allow(missing_docs)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "sdk",
        path: "../wit/ferry-plugin.wit",
        generate_all,
    });

    /// One step world: generates only its export, reusing the shared imports above. The
    /// `with:` keys carry the contract version, so the build script writes the invocations
    /// (`step_worlds.rs`) from the WIT's package line.
    macro_rules! step_world {
        ($module:ident, $world:literal, $macro_name:literal, $bindings:literal, { $($with:tt)* }) => {
            pub mod $module {
                wit_bindgen::generate!({
                    world: $world,
                    path: "../wit/ferry-plugin.wit",
                    with: { $($with)* },
                    pub_export_macro: true,
                    export_macro_name: $macro_name,
                    default_bindings_module: $bindings,
                });
            }
        };
    }

    include!(concat!(env!("OUT_DIR"), "/step_worlds.rs"));
}

pub use bindings::approver::export_approver;
pub use bindings::explainer::export_explainer;
pub use bindings::exporter::export_exporter;
pub use bindings::ferry::plugin::{config, http, log, palette_api, types};
pub use bindings::importer::export_importer;
pub use bindings::masker::export_masker;
pub use bindings::validator::export_validator;

/// The trait a masker implements.
pub mod masker {
    pub use crate::bindings::masker::exports::ferry::plugin::masker::Guest;
}
/// The trait a validator implements.
pub mod validator {
    pub use crate::bindings::validator::exports::ferry::plugin::validator::Guest;
}
/// The trait a validator that explains its finding codes implements too (since 1.1.0), exported
/// with [`export_explainer!`] beside [`export_validator!`].
pub mod explainer {
    pub use crate::bindings::explainer::exports::ferry::plugin::explainer::Guest;
}
/// The trait an approver implements.
pub mod approver {
    pub use crate::bindings::approver::exports::ferry::plugin::approver::Guest;
}
/// The trait an exporter implements.
pub mod exporter {
    pub use crate::bindings::exporter::exports::ferry::plugin::exporter::Guest;
}
/// The trait an importer implements.
pub mod importer {
    pub use crate::bindings::importer::exports::ferry::plugin::importer::Guest;
}

/// A global allocator for plugins that never frees: every call runs in a fresh instance whose
/// memory is dropped when the call returns, so freeing is wasted work. Allocation becomes a
/// pointer bump; the memory cap still bounds the total. Opt in with
/// `ferry_plugin_api::single_call_allocator!();` in a plugin whose calls allocate a bounded
/// multiple of their input (ferry's built-ins do).
#[macro_export]
macro_rules! single_call_allocator {
    () => {
        #[cfg(target_arch = "wasm32")]
        #[global_allocator]
        static ALLOCATOR: $crate::alloc::Bump = $crate::alloc::Bump;
    };
}

#[doc(hidden)]
pub mod alloc {
    use core::alloc::{GlobalAlloc, Layout};
    use core::cell::UnsafeCell;
    use core::sync::atomic::{AtomicUsize, Ordering};

    /// Allocations are served first from this zero-initialized static, which is part of the
    /// instance's initial memory: a call that fits never runs `memory.grow`, and growing is what
    /// costs (the host remaps the new pages, then unmaps them again after the call). Kept small
    /// because resetting an instance's memory costs in proportion to its size: 256 KiB holds a
    /// 64 KB profile and what a masker that changes nothing allocates for it.
    const ARENA_BYTES: usize = 256 << 10;

    #[repr(C, align(16))]
    struct Arena(UnsafeCell<[u8; ARENA_BYTES]>);
    // SAFETY: wasm instances are single-threaded; the arena is only handed out by `Bump`.
    unsafe impl Sync for Arena {}
    static ARENA: Arena = Arena(UnsafeCell::new([0; ARENA_BYTES]));

    static NEXT: AtomicUsize = AtomicUsize::new(0);
    static END: AtomicUsize = AtomicUsize::new(0);

    pub struct Bump;

    unsafe impl GlobalAlloc for Bump {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            // Wasm instances are single-threaded: relaxed loads and stores are enough.
            if END.load(Ordering::Relaxed) == 0 {
                let base = ARENA.0.get() as usize;
                NEXT.store(base, Ordering::Relaxed);
                END.store(base + ARENA_BYTES, Ordering::Relaxed);
            }
            // Checked: on wasm32 an address plus a large size can wrap past 4 GiB.
            let start = (NEXT.load(Ordering::Relaxed) + layout.align() - 1) & !(layout.align() - 1);
            let end = match start.checked_add(layout.size()) {
                Some(end) if end <= END.load(Ordering::Relaxed) => end,
                _ => return grow(layout),
            };
            NEXT.store(end, Ordering::Relaxed);
            start as *mut u8
        }

        unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            // The newest allocation grows in place: a `String` or `Vec` being filled does not
            // copy itself on every doubling.
            let end = ptr as usize + layout.size();
            if end == NEXT.load(Ordering::Relaxed) {
                match (ptr as usize).checked_add(new_size) {
                    Some(new_end) if new_end <= END.load(Ordering::Relaxed) => {
                        NEXT.store(new_end, Ordering::Relaxed);
                        return ptr;
                    }
                    _ => {}
                }
            }
            // SAFETY: the caller's contract for `realloc` is the one for `alloc` + copy.
            unsafe {
                let new = self.alloc(Layout::from_size_align_unchecked(new_size, layout.align()));
                if !new.is_null() {
                    core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                }
                new
            }
        }
    }

    #[cfg(target_arch = "wasm32")]
    fn grow(layout: Layout) -> *mut u8 {
        const PAGE: usize = 64 * 1024;
        // Past the arena, ask for at least 1 MiB at a time so small allocations rarely grow memory.
        let need = layout.size() + layout.align();
        let pages = need.max(16 * PAGE).div_ceil(PAGE);
        let old = core::arch::wasm32::memory_grow(0, pages);
        if old == usize::MAX {
            return core::ptr::null_mut();
        }
        let base = old * PAGE;
        let start = (base + layout.align() - 1) & !(layout.align() - 1);
        // Saturating: a memory grown to the full 4 GiB ends at 2^32, one past wasm32's `usize`.
        NEXT.store(start.saturating_add(layout.size()), Ordering::Relaxed);
        END.store(base.saturating_add(pages * PAGE), Ordering::Relaxed);
        start as *mut u8
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn grow(_layout: Layout) -> *mut u8 {
        core::ptr::null_mut()
    }
}
