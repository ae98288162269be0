//! Byte searches that never ask the CPU what it supports.
//!
//! memchr's top-level functions choose AVX2 at run time, and the first call's detection runs
//! `cpuid` about eight times; in a virtual machine each one traps to the hypervisor (~5 µs), so a
//! one-token run would spend ~40 µs, a tenth of its own time, on the question. SSE2 is part of
//! x86_64 itself, so its searcher needs no question; elsewhere the portable word-at-a-time one is
//! used. Lines and tokens are short: the wider registers would gain little.

#[cfg(not(target_arch = "x86_64"))]
use memchr::arch::all::memchr::One;
#[cfg(target_arch = "x86_64")]
use memchr::arch::x86_64::sse2::memchr::One;

#[inline]
fn searcher(needle: u8) -> One {
    #[cfg(target_arch = "x86_64")]
    {
        // x86_64 always has SSE2: `new` checks it at compile time and cannot fail.
        One::new(needle).unwrap_or_else(|| unreachable!("x86_64 without SSE2"))
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        One::new(needle)
    }
}

/// The first `needle` in `haystack`.
#[inline]
pub fn find(needle: u8, haystack: &[u8]) -> Option<usize> {
    searcher(needle).find(haystack)
}

/// The last `needle` in `haystack`.
#[inline]
pub fn rfind(needle: u8, haystack: &[u8]) -> Option<usize> {
    searcher(needle).rfind(haystack)
}

/// How many times `needle` occurs in `haystack`.
#[inline]
pub fn count(needle: u8, haystack: &[u8]) -> usize {
    searcher(needle).count(haystack)
}

/// The position of every `needle` in `haystack`, in order.
#[inline]
pub fn positions(needle: u8, haystack: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let one = searcher(needle);
    let mut at = 0;
    std::iter::from_fn(move || {
        let found = at + one.find(&haystack[at..])?;
        at = found + 1;
        Some(found)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every search agrees with a plain loop over the bytes, at every length and alignment a
    /// vector loop handles differently.
    #[test]
    fn searches_agree_with_a_byte_loop() {
        let mut hay = Vec::new();
        for len in 0..200usize {
            hay.clear();
            hay.extend((0..len).map(|i| {
                if (i * 7 + len) % 13 == 0 {
                    b'.'
                } else {
                    b'a' + (i % 26) as u8
                }
            }));
            for start in 0..hay.len().min(17) {
                let h = &hay[start..];
                let at: Vec<usize> = (0..h.len()).filter(|&i| h[i] == b'.').collect();
                assert_eq!(find(b'.', h), at.first().copied(), "{len} {start}");
                assert_eq!(rfind(b'.', h), at.last().copied(), "{len} {start}");
                assert_eq!(count(b'.', h), at.len(), "{len} {start}");
                assert_eq!(positions(b'.', h).collect::<Vec<_>>(), at, "{len} {start}");
            }
        }
    }
}
