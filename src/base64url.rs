//! Base64url without padding (RFC 7515 §2), decoded 64 characters at a time with AVX-512 VBMI:
//! each character looked up in a 128-byte table with one byte permutation, the 6-bit values
//! packed with two multiply-adds and put in order with another permutation. It accepts exactly
//! what the base64 crate's `URL_SAFE_NO_PAD` accepts (a unit test holds the two to each other),
//! so a segment it refuses can be handed to the crate to say why. Without VBMI, base64-simd
//! decodes (held to the crate by a test of its own in the token module).

/// Whether [`decode_append`] can run here (the CPU offers AVX-512 VBMI; asked when a batch
/// starts, see [`crate::cpu`]).
#[inline]
pub fn available() -> bool {
    crate::cpu::known(crate::cpu::AVX512VBMI)
}

/// Appends the bytes `seg` encodes to `out`. False, with `out` as it was, when `seg` is not
/// canonical unpadded base64url: a byte outside the alphabet (`=` too), a length of 4n + 1, or
/// bits set past the last whole byte. 64 characters a step where [`available`] says so, else
/// by base64-simd (AVX2 where the CPU has it).
pub fn decode_append(seg: &[u8], out: &mut Vec<u8>) -> bool {
    #[cfg(target_arch = "x86_64")]
    if available() {
        // SAFETY: the CPU offers AVX-512F, BW and VBMI, and the system saves their registers.
        return unsafe { x64::decode_append(seg, out) };
    }
    let len = out.len();
    let ok = base64_simd::URL_SAFE_NO_PAD.decode_append(seg, out).is_ok();
    if !ok {
        out.truncate(len);
    }
    ok
}

/// The value of each ASCII byte in the base64url alphabet; 0x80 for the others.
const VALUES: [u8; 128] = {
    let mut t = [0x80u8; 128];
    let mut i = 0;
    while i < 26 {
        t[b'A' as usize + i] = i as u8;
        t[b'a' as usize + i] = 26 + i as u8;
        i += 1;
    }
    let mut d = 0;
    while d < 10 {
        t[b'0' as usize + d] = 52 + d as u8;
        d += 1;
    }
    t[b'-' as usize] = 62;
    t[b'_' as usize] = 63;
    t
};

#[cfg(target_arch = "x86_64")]
mod x64 {
    use super::VALUES;
    use std::arch::x86_64::*;

    /// Characters a step.
    const STEP: usize = 64;

    /// Where each output byte of a step is in the packed words: word `j / 3`, its bytes high to
    /// low (the word holds the four characters' 24 bits with the first character highest).
    const ORDER: [u8; 64] = {
        let mut o = [0u8; 64];
        let mut j = 0;
        while j < 48 {
            o[j] = (4 * (j / 3) + 2 - j % 3) as u8;
            j += 1;
        }
        o
    };

    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    pub unsafe fn decode_append(seg: &[u8], out: &mut Vec<u8>) -> bool {
        let tail = seg.len() % 4;
        if tail == 1 {
            return false;
        }
        // Canonical: the last character's bits past the last whole byte are zero (a lone pair
        // carries one byte and 4 spare bits, a triple two bytes and 2).
        if tail > 1 {
            let spare = if tail == 2 { 0x0F } else { 0x03 };
            let last = seg[seg.len() - 1];
            if last >= 0x80 || VALUES[usize::from(last)] & spare != 0 {
                return false;
            }
        }
        let len = seg.len() / 4 * 3 + [0, 0, 1, 2][tail];
        out.reserve(len);
        // SAFETY (the loads and stores below): every load reads `seg` within its length or
        // masked to it; every store writes within the `len` bytes reserved past `out`'s end.
        let table_low = unsafe { _mm512_loadu_si512(VALUES.as_ptr().cast()) };
        let table_high = unsafe { _mm512_loadu_si512(VALUES[64..].as_ptr().cast()) };
        let order = unsafe { _mm512_loadu_si512(ORDER.as_ptr().cast()) };
        let pairs = _mm512_set1_epi32(0x0140_0140);
        let quads = _mm512_set1_epi32(0x0001_1000);
        // The values of 64 characters and whether any is outside the alphabet: the table gives
        // 0x80 for an ASCII byte outside it, and a byte of 0x80 or more keeps its high bit.
        let values = |chars: __m512i| {
            let v = _mm512_permutex2var_epi8(table_low, chars, table_high);
            (v, _mm512_movepi8_mask(_mm512_or_si512(v, chars)) != 0)
        };
        // 48 bytes from 64 values: pairs of values to 12 bits, pairs of those to 24, in order.
        let pack = |v: __m512i| {
            let twelve = _mm512_maddubs_epi16(v, pairs);
            let words = _mm512_madd_epi16(twelve, quads);
            _mm512_permutexvar_epi8(order, words)
        };
        let dst = unsafe { out.as_mut_ptr().add(out.len()) };
        let mut read = 0;
        let mut written = 0;
        while seg.len() - read >= STEP {
            let chars = unsafe { _mm512_loadu_si512(seg.as_ptr().add(read).cast()) };
            let (v, bad) = values(chars);
            if bad {
                return false;
            }
            unsafe {
                _mm512_mask_storeu_epi8(dst.add(written).cast(), (1 << 48) - 1, pack(v));
            }
            read += STEP;
            written += 48;
        }
        let rest = seg.len() - read;
        if rest > 0 {
            // The last characters, the lanes past them read as 'A' (value 0): their bytes are
            // not stored.
            let chars = unsafe {
                _mm512_mask_loadu_epi8(
                    _mm512_set1_epi8(b'A' as i8),
                    (1u64 << rest) - 1,
                    seg.as_ptr().add(read).cast(),
                )
            };
            let (v, bad) = values(chars);
            if bad {
                return false;
            }
            let bytes = len - written;
            unsafe {
                _mm512_mask_storeu_epi8(dst.add(written).cast(), (1u64 << bytes) - 1, pack(v));
            }
            written += bytes;
        }
        debug_assert_eq!(written, len);
        // SAFETY: the `len` bytes past the old end were written above.
        unsafe { out.set_len(out.len() + len) };
        true
    }
}

/// Calls `f` with every string of up to `longest` bytes from `alphabet` (for the decoders'
/// tests).
#[cfg(test)]
pub(crate) fn every_string(alphabet: &[u8], longest: usize, f: &dyn Fn(&[u8])) {
    fn all(s: &mut Vec<u8>, alphabet: &[u8], left: usize, f: &dyn Fn(&[u8])) {
        f(s);
        if left == 0 {
            return;
        }
        for &b in alphabet {
            s.push(b);
            all(s, alphabet, left - 1, f);
            s.pop();
        }
    }
    all(&mut Vec::new(), alphabet, longest, f);
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    /// Accepts and decodes exactly what the base64 crate does, appending to what `out` held
    /// and leaving it as it was on a refusal: every string of up to four
    /// characters from an alphabet with edge characters, `=`, `+`, `/`, a space and a non-ASCII
    /// byte; a long valid segment with each of them put in each place (in the whole steps and
    /// the last part); and every length up to 300 (whole steps, every tail, 4n + 1).
    #[test]
    fn agrees_with_the_base64_crate() {
        crate::cpu::offers(crate::cpu::AVX2);
        if !available() {
            // What is left to test is base64-simd's path, and that a refusal leaves `out` be.
            eprintln!("no AVX-512 VBMI here: the vectorized base64url decoder is not tested");
        }
        let agree = |s: &[u8]| {
            let mut out = b"kept".to_vec();
            let ours = decode_append(s, &mut out);
            let theirs = URL_SAFE_NO_PAD.decode(s).ok();
            match theirs {
                Some(bytes) => {
                    assert!(ours, "{s:?}");
                    assert_eq!(&out[..4], b"kept");
                    assert_eq!(out[4..], bytes, "{s:?}");
                }
                None => {
                    assert!(!ours, "{s:?}");
                    assert_eq!(out, b"kept");
                }
            }
        };
        let alphabet: &[u8] = b"AQgwBZaz09-_+/= \x80\xff\x7f";
        every_string(alphabet, 4, &agree);
        let bytes: Vec<u8> = (0..=255u8).cycle().take(300).collect();
        let valid = URL_SAFE_NO_PAD.encode(&bytes);
        for at in 0..200 {
            for &b in alphabet {
                let mut s = valid.clone().into_bytes();
                s[at] = b;
                agree(&s[..200]);
                agree(&s[..at + 1]);
            }
        }
        for len in 0..=valid.len() {
            agree(&valid.as_bytes()[..len]);
        }
        for len in 0..300 {
            agree(URL_SAFE_NO_PAD.encode(&bytes[..len]).as_bytes());
        }
    }
}
