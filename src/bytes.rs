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

/// For eight bytes (read little-endian), the high bit of each byte that is not an ASCII digit:
/// zero when all eight are digits, else the first non-digit is at `trailing_zeros() / 8`.
#[inline]
pub fn non_digits(word: [u8; 8]) -> u64 {
    // '0'..='9' become 0..=9; a byte of 10 or more (or with its high bit set) then carries
    // into its high bit, and no byte carries into the next.
    let w = u64::from_le_bytes(word) ^ 0x3030_3030_3030_3030;
    (((w & 0x7f7f_7f7f_7f7f_7f7f) + 0x7676_7676_7676_7676) | w) & 0x8080_8080_8080_8080
}

/// How many bytes at the start of `bytes` are ASCII digits, eight at a time.
pub fn leading_digits(bytes: &[u8]) -> usize {
    let mut n = 0;
    for word in bytes.chunks_exact(8) {
        let found = non_digits(word.try_into().unwrap_or_default());
        if found != 0 {
            return n + found.trailing_zeros() as usize / 8;
        }
        n += 8;
    }
    n + bytes[n..].iter().take_while(|c| c.is_ascii_digit()).count()
}

/// The value of one to eighteen ASCII digits (any more may not fit an i64); None when there
/// are none, more, or a byte that is not a digit. Eight digits at a time: a NumericDate's ten
/// cost a chain of ten multiply-adds one at a time.
pub fn digits_value(bytes: &[u8]) -> Option<i64> {
    if !(1..=18).contains(&bytes.len()) {
        return None;
    }
    let mut n = 0u64;
    let (words, rest) = bytes.as_chunks::<8>();
    for &word in words {
        if non_digits(word) != 0 {
            return None;
        }
        n = n * 100_000_000 + eight_digits(word);
    }
    for &c in rest {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(c - b'0');
    }
    i64::try_from(n).ok()
}

/// The value of eight ASCII digits, the first the most significant (all digits: see
/// [`non_digits`]).
#[inline]
fn eight_digits(word: [u8; 8]) -> u64 {
    let v = u64::from_le_bytes(word).wrapping_sub(0x3030_3030_3030_3030);
    // Each pair of bytes becomes one of 0..=99, in its first byte…
    let v = v.wrapping_mul(10).wrapping_add(v >> 8);
    // …then the four pairs one number (weights 10^6, 10^4, 10^2, 1), in the high half.
    let pairs = v & 0x0000_00ff_0000_00ff;
    let next = (v >> 16) & 0x0000_00ff_0000_00ff;
    (pairs
        .wrapping_mul(100 + (1_000_000 << 32))
        .wrapping_add(next.wrapping_mul(1 + (10_000 << 32))))
        >> 32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Eight at a time reads what one at a time reads: every length, leading zeros, the
    /// largest values, and every byte that is not a digit in every place.
    #[test]
    fn digits_are_read_as_one_at_a_time_reads_them() {
        let slow = |b: &[u8]| -> Option<i64> {
            if !(1..=18).contains(&b.len()) {
                return None;
            }
            b.iter().try_fold(0i64, |n, &c| {
                c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
            })
        };
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for len in 0..=20 {
            for _ in 0..500 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let digits: Vec<u8> = (0..len)
                    .map(|i| b'0' + ((x >> (i % 16 * 4)) % 10) as u8)
                    .collect();
                assert_eq!(digits_value(&digits), slow(&digits), "{digits:?}");
            }
            let nines = vec![b'9'; len];
            assert_eq!(digits_value(&nines), slow(&nines));
            let zeros = vec![b'0'; len];
            assert_eq!(digits_value(&zeros), slow(&zeros));
        }
        assert_eq!(digits_value(b"1800000900"), Some(1_800_000_900));
        assert_eq!(
            digits_value(b"123456789012345678"),
            Some(123_456_789_012_345_678)
        );
        for b in (0..=255u8).filter(|b| !b.is_ascii_digit()) {
            for len in 1..=18 {
                for at in 0..len {
                    let mut digits = vec![b'5'; len];
                    digits[at] = b;
                    assert_eq!(digits_value(&digits), None, "byte {b} at {at} of {len}");
                }
            }
        }
    }

    /// Every byte value in every place of a word, among digits, and runs of every length.
    #[test]
    fn digits_are_told_from_every_other_byte() {
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut word = *b"01234567";
                word[at] = b;
                let want = if b.is_ascii_digit() {
                    0
                } else {
                    0x80 << (8 * at)
                };
                assert_eq!(non_digits(word), want, "byte {b} at {at}");
            }
            for len in 0..20 {
                let mut bytes = vec![b'7'; 20];
                bytes[len] = b;
                let want = if b.is_ascii_digit() { 20 } else { len };
                assert_eq!(leading_digits(&bytes), want, "byte {b} after {len} digits");
                assert_eq!(leading_digits(&bytes[..len]), len);
            }
        }
    }

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
