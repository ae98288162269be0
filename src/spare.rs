//! Spare buffers, per thread, for what every token of a batch allocates: its text, its decoded
//! payload and signature (bytes, [`take`] and [`give`]), its payload's entry list (a [`Shelf`]
//! of its own in the token module). A block's tokens are made one after another and freed after
//! they are written, an order in which the allocator reuses little (each free and allocation
//! then takes its slow path); a buffer given back here is taken again by a later token.

use std::cell::RefCell;
use std::thread::LocalKey;

/// Buffers a shelf keeps at most…
const KEPT: usize = 1024;
/// …and their bytes at most: about one block's tokens.
const KEPT_BYTES: usize = 512 * 1024;
/// A buffer larger than this is freed, not kept.
const LARGEST: usize = 4096;

/// One thread's spare buffers of one element type.
pub struct Shelf<T> {
    buffers: Vec<Vec<T>>,
    bytes: usize,
}

impl<T> Default for Shelf<T> {
    fn default() -> Self {
        Shelf::new()
    }
}

impl<T> Shelf<T> {
    pub const fn new() -> Self {
        Shelf {
            buffers: Vec::new(),
            bytes: 0,
        }
    }

    /// An empty buffer with room for `capacity` elements: a kept one if there is one.
    pub fn take(shelf: &'static LocalKey<RefCell<Self>>, capacity: usize) -> Vec<T> {
        let kept = shelf
            .try_with(|s| {
                let mut s = s.borrow_mut();
                let buffer = s.buffers.pop()?;
                s.bytes -= size_of::<T>() * buffer.capacity();
                Some(buffer)
            })
            .ok()
            .flatten();
        match kept {
            Some(mut buffer) => {
                buffer.reserve(capacity);
                buffer
            }
            None => Vec::with_capacity(capacity),
        }
    }

    /// Keeps `buffer` for a later [`Shelf::take`], or frees it.
    pub fn give(shelf: &'static LocalKey<RefCell<Self>>, mut buffer: Vec<T>) {
        let size = size_of::<T>() * buffer.capacity();
        if size == 0 || size > LARGEST {
            return;
        }
        buffer.clear();
        let _ = shelf.try_with(|s| {
            let mut s = s.borrow_mut();
            if s.buffers.len() < KEPT && s.bytes + size <= KEPT_BYTES {
                s.bytes += size;
                s.buffers.push(buffer);
            }
        });
    }
}

thread_local! {
    static BYTES: RefCell<Shelf<u8>> = const { RefCell::new(Shelf::new()) };
}

/// An empty byte buffer with room for `capacity` bytes: a kept one if there is one.
pub fn take(capacity: usize) -> Vec<u8> {
    Shelf::take(&BYTES, capacity)
}

/// Keeps `buffer` for a later [`take`], or frees it.
pub fn give(buffer: Vec<u8>) {
    Shelf::give(&BYTES, buffer);
}

/// An empty string with room for `capacity` bytes, in a kept buffer if there is one (see
/// [`take`]); [`give`] it back with `String::into_bytes`.
pub fn take_text(capacity: usize) -> String {
    // Empty: a kept buffer is cleared when it is taken, and empty bytes are UTF-8.
    String::from_utf8(take(capacity)).unwrap_or_default()
}

/// `text` copied into [`take_text`]'s string.
pub fn text(text: &str) -> String {
    let mut out = take_text(text.len());
    out.push_str(text);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_buffer_is_taken_again_empty_and_large_ones_are_not_kept() {
        let mut b = take(100);
        b.extend_from_slice(b"secret bytes");
        let at = b.as_ptr();
        give(b);
        let again = take(10);
        assert_eq!(again.as_ptr(), at);
        assert!(again.is_empty() && again.capacity() >= 100);
        give(again);
        let big = Vec::with_capacity(LARGEST + 1);
        let big_at = big.as_ptr();
        give(big);
        let next = take(1);
        assert_ne!(next.as_ptr(), big_at);
        // The buffer kept above, and then nothing.
        assert_eq!(next.as_ptr(), at);
        assert_eq!(BYTES.with(|s| s.borrow().bytes), 0);
    }

    #[test]
    fn a_thread_keeps_a_bounded_number_of_bytes() {
        for _ in 0..4 * KEPT {
            give(Vec::with_capacity(LARGEST));
        }
        BYTES.with(|s| {
            let s = s.borrow();
            assert!(s.bytes <= KEPT_BYTES && s.buffers.len() <= KEPT);
            assert_eq!(s.bytes, s.buffers.iter().map(Vec::capacity).sum::<usize>());
        });
    }
}
