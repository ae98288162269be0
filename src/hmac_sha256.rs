//! HMAC-SHA256 through aws-lc's SHA-256 block function (SHA-NI where the CPU has it), without a
//! key object, a context or an allocation per call. Two uses: verify's prepared HS256 key, whose
//! pad blocks are hashed once (each token then costs its message's blocks and one outer block),
//! and the weak-secret search, one message under many keys whose pad blocks the build script
//! hashed (the message is padded once; each key costs the message's blocks and one outer block).
//! Where the CPU has the SHA extensions the search runs four keys at a time with them
//! (`x4`); a test holds that path to the one-key path, which a test holds to aws-lc's HMAC.

use aws_lc_rs::digest;

// IV and K, SHA-256's constants, shared with build.rs.
include!("sha256_constants.rs");

const BLOCK: usize = 64;

/// Runs whole 64-byte blocks through SHA-256's compression function.
fn compress(state: &mut [u32; 8], blocks: &[u8]) {
    assert!(blocks.len().is_multiple_of(BLOCK));
    // The assembly reads at least one block whatever the count.
    if blocks.is_empty() {
        return;
    }
    // SAFETY: `state` is the eight words the function updates; `blocks` holds
    // `blocks.len() / 64` whole blocks, which it only reads.
    unsafe {
        aws_lc_sys::SHA256_TransformBlocks(
            state.as_mut_ptr(),
            blocks.as_ptr(),
            blocks.len() / BLOCK,
        )
    }
}

fn digest_bytes(state: &[u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// The outer hash's last block: the inner digest, padded (the key block came before it).
fn outer_block(inner: &[u32; 8]) -> [u8; BLOCK] {
    let mut last = [0u8; BLOCK];
    last[..32].copy_from_slice(&digest_bytes(inner));
    last[32] = 0x80;
    last[BLOCK - 8..].copy_from_slice(&(((BLOCK + 32) as u64) * 8).to_be_bytes());
    last
}

/// A key whose pad blocks are hashed: the states after `key ^ ipad` and `key ^ opad`.
#[cfg_attr(test, derive(PartialEq, Debug))]
pub struct Key {
    inner: [u32; 8],
    outer: [u32; 8],
}

/// The pad states forge as well as the secret does: they are overwritten when the key goes.
impl Drop for Key {
    fn drop(&mut self) {
        for word in self.inner.iter_mut().chain(self.outer.iter_mut()) {
            // SAFETY: `word` is a valid, aligned `u32` of this key; a volatile write is not
            // removed as a dead store.
            unsafe { std::ptr::write_volatile(word, 0) };
        }
    }
}

impl Key {
    /// A key from its pad states, as the build script computes them for the weak-secret list.
    pub const fn from_states(inner: [u32; 8], outer: [u32; 8]) -> Self {
        Key { inner, outer }
    }

    pub fn new(key: &[u8]) -> Self {
        let mut block = [0u8; BLOCK];
        if key.len() > BLOCK {
            block[..32].copy_from_slice(digest::digest(&digest::SHA256, key).as_ref());
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let pad = |byte: u8| block.map(|b| b ^ byte);
        let (mut inner, mut outer) = (IV, IV);
        compress(&mut inner, &pad(0x36));
        compress(&mut outer, &pad(0x5c));
        Key { inner, outer }
    }

    /// The outer hash of an inner state that has read the whole padded message.
    fn finish(&self, inner: &[u32; 8]) -> [u8; 32] {
        let mut outer = self.outer;
        compress(&mut outer, &outer_block(inner));
        digest_bytes(&outer)
    }

    /// HMAC-SHA256 (RFC 2104) of `message`: its whole blocks are read where they are, the rest
    /// is padded on the stack.
    pub fn mac(&self, message: &[u8]) -> [u8; 32] {
        let (whole, tail) = Tail::of(message);
        let mut inner = self.inner;
        compress(&mut inner, whole);
        compress(&mut inner, tail.blocks());
        self.finish(&inner)
    }

    /// Whether `tag` is the HMAC of `message`, compared in constant time.
    pub fn verify(&self, message: &[u8], tag: &[u8]) -> bool {
        same_tag(&self.mac(message), tag)
    }

    /// The HMACs of four messages, their blocks through SHA-256 together (four independent
    /// chains: a batch of HS256 tokens under one secret); None where [`four_at_once`] is false.
    pub fn macs(&self, messages: [&[u8]; 4]) -> Option<[[u8; 32]; 4]> {
        #[cfg(target_arch = "x86_64")]
        if x4::available() {
            return Some(x4::macs_of_messages(self, messages));
        }
        None
    }
}

/// Whether the CPU runs four SHA-256 chains at once (the SHA extensions): where it does not,
/// four HMACs together are no faster than one after another.
pub fn four_at_once() -> bool {
    #[cfg(target_arch = "x86_64")]
    return x4::available();
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// Whether `tag` is `mac`, compared in constant time.
pub fn same_tag(mac: &[u8; 32], tag: &[u8]) -> bool {
    tag.len() == mac.len()
        && std::hint::black_box(mac.iter().zip(tag).fold(0u8, |d, (a, b)| d | (a ^ b))) == 0
}

/// The end of a message as the inner hash reads it: the bytes after its last whole block, the
/// 0x80 byte, zeros and the length in bits (counting the key block): one block or two.
struct Tail {
    bytes: [u8; 2 * BLOCK],
    len: usize,
}

impl Tail {
    /// The message's whole blocks (read where they are) and its padded tail.
    fn of(message: &[u8]) -> (&[u8], Tail) {
        let whole = message.len() - message.len() % BLOCK;
        let rest = &message[whole..];
        let mut bytes = [0u8; 2 * BLOCK];
        bytes[..rest.len()].copy_from_slice(rest);
        bytes[rest.len()] = 0x80;
        // The length and the 0x80 byte fit after the rest in one block or need a second.
        let len = if rest.len() < BLOCK - 8 {
            BLOCK
        } else {
            2 * BLOCK
        };
        let bits = ((BLOCK + message.len()) as u64) * 8;
        bytes[len - 8..len].copy_from_slice(&bits.to_be_bytes());
        (&message[..whole], Tail { bytes, len })
    }

    fn blocks(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// A message ready to be authenticated under many keys: its bytes as the inner hash reads them
/// after the key block, padded.
pub struct Message {
    tail: Vec<u8>,
}

impl Message {
    pub fn new(message: &[u8]) -> Self {
        let (whole, end) = Tail::of(message);
        let mut tail = Vec::with_capacity(whole.len() + end.len);
        tail.extend_from_slice(whole);
        tail.extend_from_slice(end.blocks());
        Message { tail }
    }

    /// HMAC-SHA256 (RFC 2104) of the message under `key`.
    pub fn mac(&self, key: &Key) -> [u8; 32] {
        let mut inner = key.inner;
        compress(&mut inner, &self.tail);
        key.finish(&inner)
    }

    /// The place of the first of `keys` under which the message's HMAC is `tag`. Where the CPU
    /// has the SHA extensions, four keys at a time: one key's blocks are a chain of dependent
    /// instructions, and four independent chains keep the SHA unit busy (a search of the
    /// weak-secret list takes about half the time it takes one key at a time).
    pub fn position(&self, keys: &[Key], tag: &[u8]) -> Option<usize> {
        #[cfg(target_arch = "x86_64")]
        if x4::available() {
            let mut i = 0;
            while i + 4 <= keys.len() {
                let four = [&keys[i], &keys[i + 1], &keys[i + 2], &keys[i + 3]];
                let macs = x4::macs(&four, &self.tail);
                if let Some(j) = macs.iter().position(|mac| mac[..] == tag[..]) {
                    return Some(i + j);
                }
                i += 4;
            }
            return (i..keys.len()).find(|&k| self.mac(&keys[k])[..] == tag[..]);
        }
        keys.iter().position(|key| self.mac(key)[..] == tag[..])
    }
}

/// SHA-256 with the x86 SHA extensions, four independent states at a time.
#[cfg(target_arch = "x86_64")]
mod x4 {
    use super::{BLOCK, K, Key, Tail, digest_bytes, outer_block};
    use std::arch::x86_64::*;
    use std::sync::atomic::{AtomicU8, Ordering::Relaxed};

    /// Whether the CPU has the SHA extensions (and SSSE3 and SSE4.1, which every such CPU has).
    /// Asked once, of `cpuid` directly: two questions, where a general feature detection asks
    /// several, each a trap to the hypervisor in a virtual machine.
    pub fn available() -> bool {
        static KNOWN: AtomicU8 = AtomicU8::new(0);
        match KNOWN.load(Relaxed) {
            1 => false,
            2 => true,
            _ => {
                let basic = __cpuid(1);
                let extended = __cpuid_count(7, 0);
                let ssse3 = basic.ecx & (1 << 9) != 0;
                let sse41 = basic.ecx & (1 << 19) != 0;
                let sha = extended.ebx & (1 << 29) != 0;
                let has = ssse3 && sse41 && sha;
                KNOWN.store(if has { 2 } else { 1 }, Relaxed);
                has
            }
        }
    }

    /// The HMACs of one padded inner message (`tail`, whole blocks) under four keys. Only when
    /// [`available`].
    pub fn macs(keys: &[&Key; 4], tail: &[u8]) -> [[u8; 32]; 4] {
        assert!(available() && tail.len().is_multiple_of(BLOCK));
        let mut inner = keys.map(|k| k.inner);
        for block in tail.chunks_exact(BLOCK) {
            // SAFETY: `available` said the CPU has the features `compress` is compiled for.
            unsafe { compress(&mut inner, [block; 4]) };
        }
        finish(keys.map(|k| k.outer), inner)
    }

    /// The four HMACs of inner states that have read their whole padded messages, from the
    /// keys' outer states. Only when [`available`].
    fn finish(mut outer: [[u32; 8]; 4], inner: [[u32; 8]; 4]) -> [[u8; 32]; 4] {
        let last = inner.map(|state| outer_block(&state));
        // SAFETY: the callers hold `available`, which said the CPU has the features `compress`
        // is compiled for.
        unsafe { compress(&mut outer, [&last[0], &last[1], &last[2], &last[3]]) };
        outer.map(|state| digest_bytes(&state))
    }

    /// The HMACs of four messages under one key. Their blocks go through four at a time as
    /// long as every message has one left; the longer messages' last blocks go one at a time.
    /// Only when [`available`].
    pub fn macs_of_messages(key: &Key, messages: [&[u8]; 4]) -> [[u8; 32]; 4] {
        assert!(available());
        let padded = messages.map(Tail::of);
        let count = |j: usize| (padded[j].0.len() + padded[j].1.len) / BLOCK;
        // Block `b` of message `j`: one of its whole blocks, then its tail's.
        let block = |j: usize, b: usize| -> &[u8] {
            let (whole, tail) = &padded[j];
            let at = b * BLOCK;
            if at < whole.len() {
                &whole[at..at + BLOCK]
            } else {
                &tail.blocks()[at - whole.len()..][..BLOCK]
            }
        };
        let together = (0..4).map(count).min().unwrap_or(0);
        let mut inner = [key.inner; 4];
        for b in 0..together {
            // SAFETY: `available` said the CPU has the features `compress` is compiled for.
            unsafe {
                compress(
                    &mut inner,
                    [block(0, b), block(1, b), block(2, b), block(3, b)],
                )
            };
        }
        for (j, state) in inner.iter_mut().enumerate() {
            for b in together..count(j) {
                super::compress(state, block(j, b));
            }
        }
        finish([key.outer; 4], inner)
    }

    /// Four states, each through SHA-256's compression function over its own 64-byte block.
    /// The instructions keep a state as two registers, ABEF and CDGH (A in the highest lane).
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    unsafe fn compress(states: &mut [[u32; 8]; 4], blocks: [&[u8]; 4]) {
        // Big-endian words: each 4-byte group reversed.
        let swap = _mm_set_epi64x(0x0c0d_0e0f_0809_0a0b, 0x0405_0607_0001_0203);
        let mut abef = [_mm_setzero_si128(); 4];
        let mut cdgh = [_mm_setzero_si128(); 4];
        // The message schedule, four words a group.
        let mut w = [[_mm_setzero_si128(); 16]; 4];
        for j in 0..4 {
            assert!(blocks[j].len() == BLOCK);
            // SAFETY: `states[j]` is eight words: two unaligned 16-byte loads.
            let (dcba, hgfe) = unsafe {
                let p = states[j].as_ptr().cast::<__m128i>();
                (_mm_loadu_si128(p), _mm_loadu_si128(p.add(1)))
            };
            let cdab = _mm_shuffle_epi32(dcba, 0xB1);
            let efgh = _mm_shuffle_epi32(hgfe, 0x1B);
            abef[j] = _mm_alignr_epi8(cdab, efgh, 8);
            cdgh[j] = _mm_blend_epi16(efgh, cdab, 0xF0);
            if j > 0 && std::ptr::eq(blocks[j], blocks[0]) {
                w[j] = w[0];
                continue;
            }
            for (slot, words) in w[j].iter_mut().zip(blocks[j].chunks_exact(16)) {
                // SAFETY: `words` is 16 bytes: one unaligned load.
                *slot = _mm_shuffle_epi8(unsafe { _mm_loadu_si128(words.as_ptr().cast()) }, swap);
            }
            for g in 4..16 {
                // W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16], four words at a time.
                let partial = _mm_add_epi32(
                    _mm_sha256msg1_epu32(w[j][g - 4], w[j][g - 3]),
                    _mm_alignr_epi8(w[j][g - 1], w[j][g - 2], 4),
                );
                w[j][g] = _mm_sha256msg2_epu32(partial, w[j][g - 1]);
            }
        }
        let (abef0, cdgh0) = (abef, cdgh);
        for (g, k) in K.chunks_exact(4).enumerate() {
            // SAFETY: `k` is four words: one unaligned 16-byte load.
            let k = unsafe { _mm_loadu_si128(k.as_ptr().cast()) };
            for j in 0..4 {
                // Two rounds return the new ABEF; the old ABEF is the new CDGH.
                let wk = _mm_add_epi32(w[j][g], k);
                let next = _mm_sha256rnds2_epu32(cdgh[j], abef[j], wk);
                let after = _mm_sha256rnds2_epu32(abef[j], next, _mm_shuffle_epi32(wk, 0x0E));
                cdgh[j] = next;
                abef[j] = after;
            }
        }
        for j in 0..4 {
            let abef = _mm_add_epi32(abef[j], abef0[j]);
            let cdgh = _mm_add_epi32(cdgh[j], cdgh0[j]);
            let feba = _mm_shuffle_epi32(abef, 0x1B);
            let dchg = _mm_shuffle_epi32(cdgh, 0xB1);
            let dcba = _mm_blend_epi16(feba, dchg, 0xF0);
            let hgfe = _mm_alignr_epi8(dchg, feba, 8);
            // SAFETY: as the loads above.
            unsafe {
                let p = states[j].as_mut_ptr().cast::<__m128i>();
                _mm_storeu_si128(p, dcba);
                _mm_storeu_si128(p.add(1), hgfe);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::hmac;

    /// Every padding case of the message (lengths around the block edges) and of the key (empty,
    /// short, a whole block, longer than a block and hashed), against aws-lc's HMAC.
    #[test]
    fn agrees_with_aws_lc() {
        let bytes: Vec<u8> = (0..400u32).map(|i| (i * 7 + 3) as u8).collect();
        for msg_len in (0..200).chain([250, 311, 319, 320, 383, 384, 399]) {
            let message = &bytes[..msg_len];
            let m = Message::new(message);
            for key_len in [0, 1, 31, 32, 55, 56, 63, 64, 65, 100, 200] {
                let key = &bytes[200..200 + key_len];
                let want = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), message);
                let k = Key::new(key);
                assert_eq!(
                    &m.mac(&k)[..],
                    want.as_ref(),
                    "message {msg_len}, key {key_len}"
                );
                assert_eq!(
                    &k.mac(message)[..],
                    want.as_ref(),
                    "key's mac: message {msg_len}, key {key_len}"
                );
                assert!(k.verify(message, want.as_ref()));
                let mut wrong = want.as_ref().to_vec();
                wrong[msg_len % 32] ^= 1;
                assert!(!k.verify(message, &wrong), "a changed byte");
                assert!(!k.verify(message, &want.as_ref()[..31]), "a short tag");
                assert!(!k.verify(message, &[]), "an empty tag");
            }
        }
    }

    /// Four keys at a time give each key's HMAC (messages of one to eleven blocks, keys of every
    /// padding case), and the search reports the first key that matches, wherever it stands
    /// (in a group of four or in the rest after the last group).
    #[test]
    fn four_at_a_time_agrees_with_one_at_a_time() {
        let bytes: Vec<u8> = (0..700u32).map(|i| (i * 13 + 5) as u8).collect();
        // The last is a repeat of the third: the search must report the first.
        let keys: Vec<Key> = [0, 1, 31, 32, 55, 63, 64, 65, 100, 31]
            .iter()
            .map(|&n| Key::new(&bytes[n..2 * n]))
            .collect();
        for msg_len in (0..130).chain([311, 383, 384, 447, 448, 640]) {
            let m = Message::new(&bytes[..msg_len]);
            for (t, key) in keys.iter().enumerate() {
                let tag = m.mac(key);
                let first = if t == keys.len() - 1 { 2 } else { t };
                assert_eq!(
                    m.position(&keys, &tag),
                    Some(first),
                    "message {msg_len}, key {t}"
                );
            }
            assert_eq!(m.position(&keys, &[0; 32]), None);
            assert_eq!(
                m.position(&keys, &m.mac(&keys[3])[..31]),
                None,
                "a short tag"
            );
            #[cfg(target_arch = "x86_64")]
            if x4::available() {
                for start in 0..=keys.len() - 4 {
                    let four = [
                        &keys[start],
                        &keys[start + 1],
                        &keys[start + 2],
                        &keys[start + 3],
                    ];
                    let macs = x4::macs(&four, &m.tail);
                    for j in 0..4 {
                        assert_eq!(
                            macs[j],
                            m.mac(four[j]),
                            "message {msg_len}, key {}",
                            start + j
                        );
                    }
                }
            }
        }
    }

    /// Four messages under one key give each message's HMAC, whether their block counts are
    /// equal or differ (lengths around every padding edge, one to eleven blocks, in every lane).
    #[test]
    fn four_messages_at_a_time_agree_with_one_at_a_time() {
        let bytes: Vec<u8> = (0..700u32).map(|i| (i * 11 + 7) as u8).collect();
        let lengths: Vec<usize> = (0..130)
            .chain([183, 311, 383, 384, 447, 448, 640])
            .collect();
        for key_len in [0, 32, 64, 65] {
            let key = Key::new(&bytes[600..600 + key_len]);
            for (n, &len) in lengths.iter().enumerate() {
                // The other lanes: the same length, the next lengths, and a much longer one.
                let others = [
                    len,
                    lengths[(n + 1) % lengths.len()],
                    lengths[(n + 60) % lengths.len()],
                ];
                for lane in 0..4 {
                    let mut messages = [&bytes[..0]; 4];
                    let mut k = 0;
                    for (j, m) in messages.iter_mut().enumerate() {
                        *m = if j == lane {
                            &bytes[..len]
                        } else {
                            k += 1;
                            &bytes[k..k + others[k - 1]]
                        };
                    }
                    let Some(macs) = key.macs(messages) else {
                        assert!(!four_at_once());
                        return;
                    };
                    for j in 0..4 {
                        assert_eq!(
                            macs[j],
                            key.mac(messages[j]),
                            "key {key_len}, lane {j} of {:?}",
                            messages.map(<[u8]>::len)
                        );
                    }
                    assert!(same_tag(&macs[lane], &key.mac(&bytes[..len])));
                }
            }
        }
    }

    /// Where the CPU has the SHA extensions (this project's CI machines do), the four-way path
    /// is the one the search takes, so the test above checks it.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_sha_extensions_are_detected_as_the_standard_library_sees_them() {
        assert_eq!(
            x4::available(),
            std::arch::is_x86_feature_detected!("sha")
                && std::arch::is_x86_feature_detected!("ssse3")
                && std::arch::is_x86_feature_detected!("sse4.1")
        );
    }
}
