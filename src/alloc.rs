//! The allocator the `jwtctl` binary installs: the system's until a batch starts, mimalloc after.
//!
//! One token is judged in a few hundred allocations, most of them clap's: the system allocator
//! packs them into a few pages, where mimalloc touches a fresh page for each size class (about
//! 90 more page faults, a fifth of a one-token run's time, and 0.5 MiB). A batch of many tokens
//! is faster with mimalloc, on one thread and more so across threads. So the binary allocates
//! from the system until [`batch_started`] and from mimalloc after; every free goes to the
//! allocator that owns the block, asked of mimalloc's page map.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether new blocks come from mimalloc. Set once, never cleared.
static MIMALLOC: AtomicBool = AtomicBool::new(false);

/// From now on new blocks come from mimalloc (called when a batch of tokens starts).
pub fn batch_started() {
    MIMALLOC.store(true, Ordering::Relaxed);
}

/// The system allocator first, mimalloc once a batch has started.
pub struct Hybrid;

fn mimalloc_now() -> bool {
    MIMALLOC.load(Ordering::Relaxed)
}

/// Whether mimalloc made the block at `ptr`. Before mimalloc has been used it made none; after,
/// its page map knows its own blocks and answers false for any other address.
fn from_mimalloc(ptr: *mut u8) -> bool {
    // SAFETY: mi_is_in_heap_region reads mimalloc's page map for any address, made by it or not.
    mimalloc_now() && unsafe { libmimalloc_sys::mi_is_in_heap_region(ptr.cast()) }
}

// SAFETY: each block is made by exactly one of two allocators and returned to that one
// (`from_mimalloc`); a block moved by `realloc` from the system to mimalloc is copied and freed
// from the system.
unsafe impl GlobalAlloc for Hybrid {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's layout is passed on unchanged.
        unsafe {
            if mimalloc_now() {
                mimalloc::MiMalloc.alloc(layout)
            } else {
                System.alloc(layout)
            }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as in alloc.
        unsafe {
            if mimalloc_now() {
                mimalloc::MiMalloc.alloc_zeroed(layout)
            } else {
                System.alloc_zeroed(layout)
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the block goes back to the allocator that made it.
        unsafe {
            if from_mimalloc(ptr) {
                mimalloc::MiMalloc.dealloc(ptr, layout)
            } else {
                System.dealloc(ptr, layout)
            }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: a block is resized by the allocator that made it, or, once mimalloc is in use,
        // a system block is copied into a new mimalloc one (the smaller of the two sizes) and
        // freed from the system; the caller guarantees new_size is valid for layout.align().
        unsafe {
            if from_mimalloc(ptr) {
                mimalloc::MiMalloc.realloc(ptr, layout, new_size)
            } else if !mimalloc_now() {
                System.realloc(ptr, layout, new_size)
            } else {
                let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
                let new = mimalloc::MiMalloc.alloc(new_layout);
                if !new.is_null() {
                    std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                    System.dealloc(ptr, layout);
                }
                new
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks made before and after the switch are freed and resized by their own allocator,
    /// and keep their bytes across the move.
    #[test]
    fn blocks_from_either_allocator_come_back_to_it() {
        let a = Hybrid;
        let layout = Layout::from_size_align(100, 8).unwrap();
        // SAFETY: every block is written within its size and freed once with its layout.
        unsafe {
            let before = a.alloc(layout);
            let before2 = a.alloc(layout);
            assert!(!before.is_null() && !from_mimalloc(before));
            std::ptr::write_bytes(before2, 7, 100);
            batch_started();
            let after = a.alloc(layout);
            assert!(!after.is_null() && from_mimalloc(after));
            assert!(!from_mimalloc(before));
            let moved = a.realloc(before2, layout, 4000);
            assert!(from_mimalloc(moved));
            assert!(
                std::slice::from_raw_parts(moved, 100)
                    .iter()
                    .all(|b| *b == 7)
            );
            a.dealloc(before, layout);
            a.dealloc(after, layout);
            a.dealloc(moved, Layout::from_size_align(4000, 8).unwrap());
        }
    }
}
