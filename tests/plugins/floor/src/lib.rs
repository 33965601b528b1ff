//! A benchmark reference: a masker that imports nothing and does nothing. Without `std` it links
//! no WASI, so its component is a single core instance: what any call costs the runtime at least
//! (fresh store, instantiate, copy the arguments in, call, reset), with no plugin work on top.

#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;

wit_bindgen::generate!({ world: "masker-plugin", path: "../../../wit", generate_all });

use exports::ferry::plugin::masker::Guest;
use ferry::plugin::types::{Context, MaskOutput, PackMeta, PluginError};

struct Floor;

impl Guest for Floor {
    fn mask(
        _cx: Context,
        _document: String,
        _packs: Vec<PackMeta>,
    ) -> Result<MaskOutput, PluginError> {
        Ok(MaskOutput {
            document: None,
            masked: Vec::new(),
        })
    }
}

export!(Floor);

#[cfg(target_arch = "wasm32")]
mod wasm {
    use core::alloc::{GlobalAlloc, Layout};
    use core::cell::UnsafeCell;

    /// Arguments land in a static arena (enough for the 64 KB benchmark document): no
    /// `memory.grow`, so the call pays nothing the runtime would not charge any plugin.
    struct Arena(UnsafeCell<([u8; 256 << 10], usize)>);
    // SAFETY: a wasm instance is single-threaded.
    unsafe impl Sync for Arena {}

    unsafe impl GlobalAlloc for Arena {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            // SAFETY: single-threaded, and no reference into the arena outlives this call.
            let (bytes, used) = unsafe { &mut *self.0.get() };
            let start = (*used + layout.align() - 1) & !(layout.align() - 1);
            match start.checked_add(layout.size()) {
                Some(end) if end <= bytes.len() => {
                    *used = end;
                    bytes[start..].as_mut_ptr()
                }
                _ => core::ptr::null_mut(),
            }
        }

        unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
    }

    #[global_allocator]
    static ARENA: Arena = Arena(UnsafeCell::new(([0; 256 << 10], 0)));

    /// How the host asks for room for the arguments. On wasm32-wasip2 `std` provides it; without
    /// `std` the component supplies its own.
    #[unsafe(no_mangle)]
    unsafe extern "C" fn cabi_realloc(
        old: *mut u8,
        old_len: usize,
        align: usize,
        new_len: usize,
    ) -> *mut u8 {
        if new_len == 0 {
            return align as *mut u8;
        }
        // SAFETY: the canonical ABI passes a power-of-two alignment, and `old` (when there is
        // one) came from this function with `old_len` and `align`.
        let ptr = unsafe {
            match old_len {
                0 => alloc::alloc::alloc(Layout::from_size_align_unchecked(new_len, align)),
                _ => alloc::alloc::realloc(
                    old,
                    Layout::from_size_align_unchecked(old_len, align),
                    new_len,
                ),
            }
        };
        if ptr.is_null() {
            core::arch::wasm32::unreachable()
        }
        ptr
    }

    #[panic_handler]
    fn panic(_: &core::panic::PanicInfo) -> ! {
        core::arch::wasm32::unreachable()
    }
}
