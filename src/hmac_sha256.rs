//! HMAC-SHA256 through aws-lc's SHA-256 block function (SHA-NI where the CPU has it), without a
//! key object, a context or an allocation per call. Two uses: verify's prepared HS256 key, whose
//! pad blocks are hashed once (each token then costs its message's blocks and one outer block),
//! and the weak-secret search, one message under many keys whose pad blocks the build script
//! hashed (the message is padded once; each key costs the message's blocks and one outer block).
//! With AVX-512 the search runs sixteen keys to a vector, and verify sixteen tokens (`x16`);
//! with the SHA extensions eight keys, or four tokens, at a time (`x4`). The search goes to the
//! SHA extensions first on AMD's CPUs before Zen 5, whose SHA unit is the faster there (see
//! [`crate::cpu::SHA_AHEAD`]); verify's tokens go to the lanes wherever the CPU has them. Tests
//! hold both paths to the one-key path, which a test holds to aws-lc's HMAC.

use aws_lc_rs::digest;

// IV and K, SHA-256's constants, and its message schedule, shared with build.rs.
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
#[cfg_attr(test, derive(Debug))]
pub struct Key {
    inner: [u32; 8],
    outer: [u32; 8],
    /// The inner state after a first message block that four messages shared (see
    /// [`Key::macs`]): a batch's tokens mostly start with the same header and claims, and
    /// then skip that block.
    first: std::sync::OnceLock<FirstBlock>,
}

#[cfg(test)]
impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        (self.inner, self.outer) == (other.inner, other.outer)
    }
}

/// Overwrites key-derived state words; a volatile write is not removed as a dead store.
fn wipe<'a>(words: impl Iterator<Item = &'a mut u32>) {
    for word in words {
        // SAFETY: `word` is a valid, aligned `u32`.
        unsafe { std::ptr::write_volatile(word, 0) };
    }
}

/// The pad states forge as well as the secret does: they are overwritten when the key goes.
impl Drop for Key {
    fn drop(&mut self) {
        wipe(self.inner.iter_mut().chain(self.outer.iter_mut()));
    }
}

/// A first message block and the inner state after it.
#[cfg_attr(test, derive(Debug))]
struct FirstBlock {
    block: [u8; BLOCK],
    state: [u32; 8],
}

/// The state follows from the key's inner pad state as that does from the secret: overwritten
/// when the key goes.
impl Drop for FirstBlock {
    fn drop(&mut self) {
        wipe(self.state.iter_mut());
    }
}

impl Key {
    /// A key from its pad states, as the build script computes them for the weak-secret list.
    pub const fn from_states(inner: [u32; 8], outer: [u32; 8]) -> Self {
        Key {
            inner,
            outer,
            first: std::sync::OnceLock::new(),
        }
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
        Key::from_states(inner, outer)
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

    /// The first block the key kept and the inner state after it: the first block that a
    /// group of messages (`messages`, four or sixteen) all shared, hashed once; messages that
    /// start with it start from the state after it. None until such a group came.
    fn first_block(&self, messages: &[&[u8]]) -> Option<&FirstBlock> {
        if let Some(known) = self.first.get() {
            return Some(known);
        }
        let block = *messages.first()?.first_chunk::<BLOCK>()?;
        if !messages
            .iter()
            .all(|m| m.first_chunk::<BLOCK>() == Some(&block))
        {
            return None;
        }
        // (Another thread may keep another block meanwhile: the first kept stays.)
        Some(self.first.get_or_init(|| {
            let mut state = self.inner;
            compress(&mut state, &block);
            FirstBlock { block, state }
        }))
    }

    /// The inner state after the four messages' first block, where they all start with the
    /// block the key kept (see [`Key::first_block`]); None where they do not.
    fn after_first_block(&self, messages: &[&[u8]; 4]) -> Option<[u32; 8]> {
        let known = self.first_block(messages)?;
        messages
            .iter()
            .all(|m| m.first_chunk::<BLOCK>() == Some(&known.block))
            .then_some(known.state)
    }

    /// The HMACs of [`at_once`] messages (a batch of HS256 tokens under one secret), computed
    /// together into `macs`: false, with nothing written, for any other count.
    pub fn macs_at_once(&self, messages: &[&[u8]], macs: &mut [[u8; 32]]) -> bool {
        if messages.len() != at_once() || macs.len() < messages.len() {
            return false;
        }
        let computed = match messages.len() {
            16 => <&[&[u8]; 16]>::try_from(messages)
                .ok()
                .and_then(|sixteen| self.macs16(sixteen))
                .map(|m| macs[..16].copy_from_slice(&m)),
            4 => <[&[u8]; 4]>::try_from(messages)
                .ok()
                .and_then(|four| self.macs(four))
                .map(|m| macs[..4].copy_from_slice(&m)),
            _ => None,
        };
        computed.is_some()
    }

    /// The HMACs of sixteen messages, one to each of AVX-512's lanes (a batch of HS256 tokens
    /// under one secret); None where the CPU lacks AVX-512. Messages that start with the
    /// first block the key kept skip it, as in [`Key::macs`].
    pub fn macs16(&self, messages: &[&[u8]; 16]) -> Option<[[u8; 32]; 16]> {
        #[cfg(target_arch = "x86_64")]
        if x16::available() {
            return Some(x16::macs_of_messages(self, messages));
        }
        let _ = messages;
        None
    }

    /// The HMACs of four messages, their blocks through SHA-256 together (four independent
    /// chains: a batch of HS256 tokens under one secret); None where the CPU lacks the SHA
    /// extensions. Messages that start with the first block that four messages shared before
    /// skip it.
    pub fn macs(&self, messages: [&[u8]; 4]) -> Option<[[u8; 32]; 4]> {
        #[cfg(target_arch = "x86_64")]
        if x4::available() {
            return Some(x4::macs_of_messages(self, messages));
        }
        None
    }
}

/// How many messages [`Key::macs_at_once`] hashes together on this CPU: sixteen in AVX-512's
/// lanes, else four with the SHA extensions, else one (nothing is gained together).
pub fn at_once() -> usize {
    if sixteen_at_once() {
        16
    } else if four_at_once() {
        4
    } else {
        1
    }
}

/// Whether the CPU runs four SHA-256 chains at once (the SHA extensions): where it does not,
/// four HMACs together are no faster than one after another.
fn four_at_once() -> bool {
    #[cfg(target_arch = "x86_64")]
    return x4::available();
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// Whether the CPU runs sixteen SHA-256 chains at once in AVX-512's lanes: then verify's HS256
/// tokens go sixteen at a time ([`Key::macs16`]). Where it also has the SHA extensions, the
/// lanes go first even on AMD's CPUs before Zen 5 ([`crate::cpu::SHA_AHEAD`], which puts the
/// weak-secret search on the SHA extensions): on a Zen 4 EPYC (family 0x19, model 0x11) the
/// two took about the same time for sixteen MACs alone (four at a time ~4% less), and verify
/// of the HS256 corpus on one thread the same to ~10% less with the lanes (eight interleaved
/// runs of 30-60 pairs, the worst 0.4% slower; the same in quiet stretches, less in noisy ones).
fn sixteen_at_once() -> bool {
    #[cfg(target_arch = "x86_64")]
    return x16::available();
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// Whether `tag` is `mac`, compared in constant time: every byte is read, eight at a time,
/// whatever differs (only the length, which is public, ends it early).
pub fn same_tag(mac: &[u8; 32], tag: &[u8]) -> bool {
    let Ok(tag) = <&[u8; 32]>::try_from(tag) else {
        return false;
    };
    let (macs, _) = mac.as_chunks::<8>();
    let (tags, _) = tag.as_chunks::<8>();
    let differ = macs.iter().zip(tags).fold(0u64, |d, (a, b)| {
        d | (u64::from_ne_bytes(*a) ^ u64::from_ne_bytes(*b))
    });
    std::hint::black_box(differ) == 0
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
}

/// Sixteen keys' pad states, word by word (`inner[w][lane]` is word `w` of lane `lane`'s inner
/// state): how the weak-secret search reads a list of keys sixteen at a time ([`x16`]).
#[repr(C, align(64))]
pub struct Keys16 {
    inner: [[u32; 16]; 8],
    outer: [[u32; 16]; 8],
}

impl Keys16 {
    /// Sixteen keys' states, as the build script lays them out.
    pub const fn from_states(inner: [[u32; 16]; 8], outer: [[u32; 16]; 8]) -> Self {
        Keys16 { inner, outer }
    }

    /// The key in lane `lane`.
    pub fn key(&self, lane: usize) -> Key {
        Key::from_states(
            self.inner.map(|word| word[lane]),
            self.outer.map(|word| word[lane]),
        )
    }

    /// `keys` sixteen at a time, the last group filled up with the last key (as the build
    /// script lays out the weak-secret list).
    #[cfg(test)]
    pub fn groups(keys: &[Key]) -> Vec<Keys16> {
        (0..keys.len().div_ceil(16))
            .map(|g| {
                let key = |l: usize| &keys[(g * 16 + l).min(keys.len() - 1)];
                Keys16::from_states(
                    std::array::from_fn(|w| std::array::from_fn(|l| key(l).inner[w])),
                    std::array::from_fn(|w| std::array::from_fn(|l| key(l).outer[w])),
                )
            })
            .collect()
    }
}

/// Groups of sixteen keys the search runs side by side.
#[cfg(target_arch = "x86_64")]
const GROUPS: usize = 2;

impl Message {
    /// The place of the first of `count` keys, laid out sixteen at a time in `groups` (as the
    /// build script lays out the weak-secret list), under which the message's HMAC is `tag`:
    /// sixteen keys to a vector with AVX-512 where the CPU has it, else eight keys at a time
    /// with the SHA extensions, else one at a time. Of the CPUs of bench/RESULTS.md that have
    /// both, the AMD EPYC of its early rounds (family not recorded) searched the list in ~0.23
    /// ms with AVX-512 and ~0.20 ms with the SHA extensions, an Intel Xeon (family 6, model
    /// 207) ~0.45 ms faster with AVX-512 (a one-token decode of an HS256 token 2.10 -> 1.65
    /// ms), an AMD EPYC of family 0x1A (Zen 5) ~0.18 ms faster with AVX-512 (3,000 searches
    /// 925 -> 374 ms): AVX-512 goes first but on AMD's CPUs before Zen 5
    /// ([`crate::cpu::SHA_AHEAD`]).
    pub fn position_in(&self, groups: &[Keys16], count: usize, tag: &[u8]) -> Option<usize> {
        assert!(count <= groups.len() * 16);
        if crate::cpu::offers(crate::cpu::SHA_AHEAD)
            && let Some(found) = self.position8(groups, tag)
        {
            return found;
        }
        if let Some(found) = self.position16(groups, count, tag) {
            return found;
        }
        if let Some(found) = self.position8(groups, tag) {
            return found;
        }
        (0..count).find(|&i| self.mac(&groups[i / 16].key(i % 16))[..] == tag[..])
    }

    /// The place of the first key in `groups` under which the message's HMAC is `tag`, eight
    /// keys at a time; None where the CPU lacks the SHA extensions. Lanes past the list
    /// repeat its last key: a match there is found in its own place first.
    fn position8(&self, groups: &[Keys16], tag: &[u8]) -> Option<Option<usize>> {
        #[cfg(target_arch = "x86_64")]
        if x4::available() {
            let Ok(tag) = <&[u8; 32]>::try_from(tag) else {
                return Some(None);
            };
            return Some(x4::first_match(groups, &schedules(&self.tail), tag));
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = (groups, tag);
        None
    }

    /// The place of the first of `count` keys, laid out sixteen at a time in `groups`, under
    /// which the message's HMAC is `tag`; None where the CPU lacks AVX-512.
    fn position16(&self, groups: &[Keys16], count: usize, tag: &[u8]) -> Option<Option<usize>> {
        #[cfg(target_arch = "x86_64")]
        if x16::available() {
            assert!(count <= groups.len() * 16);
            let Ok(tag) = <[u8; 32]>::try_from(tag) else {
                return Some(None);
            };
            let words: [u32; 8] = std::array::from_fn(|i| {
                u32::from_be_bytes([tag[4 * i], tag[4 * i + 1], tag[4 * i + 2], tag[4 * i + 3]])
            });
            let schedule = schedules(&self.tail);
            // GROUPS groups at a time, the last chunk filled up with its last group (a match is
            // found in the real group first).
            for (c, chunk) in groups.chunks(GROUPS).enumerate() {
                let keys: [&Keys16; GROUPS] =
                    std::array::from_fn(|i| &chunk[i.min(chunk.len() - 1)]);
                // SAFETY: `available` said the CPU has AVX-512 and the system saves its state.
                let lanes = unsafe { x16::matches(keys, &schedule, &words) };
                for (i, lanes) in lanes.into_iter().enumerate() {
                    if lanes != 0 {
                        // Lanes and groups past the list repeat the keys before them: a match
                        // there was found in its own place first.
                        let at = (c * GROUPS + i) * 16 + lanes.trailing_zeros() as usize;
                        debug_assert!(at < count);
                        return Some(Some(at));
                    }
                }
            }
            return Some(None);
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = (groups, count, tag);
        None
    }
}

/// Each block of a padded message's message schedule with the round constants added: W[t] +
/// K[t], the same under every key (the searches compute it once).
#[cfg(target_arch = "x86_64")]
fn schedules(tail: &[u8]) -> Vec<[u32; 64]> {
    tail.chunks_exact(BLOCK)
        .map(|block| {
            let w = schedule(block);
            std::array::from_fn(|t| w[t].wrapping_add(K[t]))
        })
        .collect()
}

/// SHA-256 with AVX-512, sixteen states at a time, one 32-bit lane each: for the weak-secret
/// search, whose keys all read one message. The message's schedule is the same for every key,
/// so it is computed once (with the round constants added) and each round is then a handful of
/// vector instructions for sixteen keys; only the outer block, whose message is each key's own
/// inner digest, computes its schedule in the vectors. And for verify's HS256 tokens, sixteen
/// messages under one key, each block's schedule computed in the vectors: ~23 ns a block and
/// message on an Intel Xeon (family 6, model 207), against ~47 with its SHA extensions.
#[cfg(target_arch = "x86_64")]
mod x16 {
    use super::{BLOCK, K, Key, Keys16, Tail};
    use std::arch::x86_64::*;

    /// Whether the CPU has AVX-512F and the system saves the ZMM registers.
    pub fn available() -> bool {
        crate::cpu::offers(crate::cpu::AVX512)
    }

    /// One round: `d` becomes the new e and `h` the new a; the next round reads the eight
    /// words shifted by one (the old h in a's place), so eight rounds need no moves.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn round(
        a: __m512i,
        b: __m512i,
        c: __m512i,
        d: &mut __m512i,
        e: __m512i,
        f: __m512i,
        g: __m512i,
        h: &mut __m512i,
        wk: __m512i,
    ) {
        // SAFETY: register-only AVX-512F instructions, inlined into functions compiled for
        // AVX-512F.
        unsafe {
            let s1 = _mm512_ternarylogic_epi32::<0x96>(
                _mm512_ror_epi32::<6>(e),
                _mm512_ror_epi32::<11>(e),
                _mm512_ror_epi32::<25>(e),
            );
            // e ? f : g
            let ch = _mm512_ternarylogic_epi32::<0xCA>(e, f, g);
            let t1 = _mm512_add_epi32(_mm512_add_epi32(*h, wk), _mm512_add_epi32(s1, ch));
            let s0 = _mm512_ternarylogic_epi32::<0x96>(
                _mm512_ror_epi32::<2>(a),
                _mm512_ror_epi32::<13>(a),
                _mm512_ror_epi32::<22>(a),
            );
            // the majority of a, b, c
            let maj = _mm512_ternarylogic_epi32::<0xE8>(a, b, c);
            *d = _mm512_add_epi32(*d, t1);
            *h = _mm512_add_epi32(t1, _mm512_add_epi32(s0, maj));
        }
    }

    /// Sixty-four rounds over each of the states `s` (a..h), the round's W + K from `wk`,
    /// eight at a time. States side by side: one round's instructions depend on the last's,
    /// and a second chain keeps the vector units busy while the first waits.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn rounds<const N: usize>(s: &mut [[__m512i; 8]; N], mut wk: impl FnMut(usize) -> __m512i) {
        let mut state = *s;
        for t in (0..64).step_by(8) {
            let w: [__m512i; 8] = std::array::from_fn(|i| wk(t + i));
            for st in &mut state {
                let [a, b, c, d, e, f, g, h] = st;
                round(*a, *b, *c, d, *e, *f, *g, h, w[0]);
                round(*h, *a, *b, c, *d, *e, *f, g, w[1]);
                round(*g, *h, *a, b, *c, *d, *e, f, w[2]);
                round(*f, *g, *h, a, *b, *c, *d, e, w[3]);
                round(*e, *f, *g, h, *a, *b, *c, d, w[4]);
                round(*d, *e, *f, g, *h, *a, *b, c, w[5]);
                round(*c, *d, *e, f, *g, *h, *a, b, w[6]);
                round(*b, *c, *d, e, *f, *g, *h, a, w[7]);
            }
        }
        for (words, after) in s.iter_mut().zip(state) {
            for (word, v) in words.iter_mut().zip(after) {
                *word = _mm512_add_epi32(*word, v);
            }
        }
    }

    /// A block of zeros: what lanes whose messages have no block left read.
    static NO_BLOCK: [u8; BLOCK] = [0; BLOCK];

    /// The HMACs under `key` of sixteen messages, one to a lane: each block of the sixteen
    /// read into the lanes at once, the lanes whose messages have no block left kept as they
    /// are. A lane runs as many blocks as the longest message has, so messages much longer
    /// than the others are left out and hashed alone when that costs less (see [`lanes_up_to`]).
    /// Lanes whose message starts with the first block the key kept start after it. Only
    /// where [`available`].
    pub fn macs_of_messages(key: &Key, messages: &[&[u8]; 16]) -> [[u8; 32]; 16] {
        assert!(available());
        let first = key.first_block(messages);
        let padded = messages.map(Tail::of);
        // The lanes that start after the kept first block, from the state after it.
        let mut skip = [0; 16];
        let mut after_first = 0;
        for (l, (skip, m)) in skip.iter_mut().zip(messages).enumerate() {
            if let Some(known) = first
                && m.first_chunk::<BLOCK>() == Some(&known.block)
            {
                *skip = 1;
                after_first |= 1 << l;
            }
        }
        let starts = (
            key.inner,
            first.map_or(key.inner, |known| known.state),
            after_first,
        );
        let counts: [usize; 16] = std::array::from_fn(|l| {
            let (whole, tail) = &padded[l];
            (whole.len() + tail.len) / BLOCK - skip[l]
        });
        let most = lanes_up_to(&counts);
        // Each lane's blocks: its message's whole blocks after those it skips, then its
        // tail's; none for a lane left out.
        let mut blocks: [_; 16] = std::array::from_fn(|l| {
            let (whole, tail) = &padded[l];
            let (whole, tail) = if counts[l] > most {
                (&[][..], &[][..])
            } else {
                (&whole[(skip[l] * BLOCK).min(whole.len())..], tail.blocks())
            };
            whole
                .as_chunks::<BLOCK>()
                .0
                .iter()
                .chain(tail.as_chunks().0)
        });
        // SAFETY: `available` said the CPU has AVX-512F and the system saves its state.
        let mut macs = unsafe {
            lanes(starts, &key.outer, most, || {
                let mut active = 0;
                let next = std::array::from_fn(|l| match blocks[l].next() {
                    Some(block) => {
                        active |= 1 << l;
                        block
                    }
                    None => &NO_BLOCK,
                });
                (next, active)
            })
        };
        for (l, mac) in macs.iter_mut().enumerate() {
            if counts[l] > most {
                *mac = key.mac(messages[l]);
            }
        }
        macs
    }

    /// How many blocks the lanes run, for messages of `counts` blocks: the count up to which
    /// sixteen lanes cost least, those with more hashed alone. A block in the lanes costs
    /// about half what a block alone does (here ~23 against ~47 ns with the SHA extensions).
    pub(super) fn lanes_up_to(counts: &[usize; 16]) -> usize {
        let mut sorted = *counts;
        sorted.sort_unstable();
        // Up to `sorted[i]`, the lanes after `i` hashed alone: their blocks cost twice.
        let mut alone = 0;
        let mut best = (usize::MAX, 0);
        for i in (0..16).rev() {
            let cost = 16 * sorted[i] + 2 * alone;
            if cost < best.0 {
                best = (cost, sorted[i]);
            }
            alone += sorted[i];
        }
        best.1
    }

    /// Sixteen inner states, `start` but in the lanes `others` (`other_start` there), through
    /// `count` blocks (`next()`: the next block of each lane, and the lanes that have one; the
    /// others keep their state), then the outer hash from the key's outer state `outer`: the
    /// sixteen HMACs.
    #[target_feature(enable = "avx512f")]
    fn lanes<'a>(
        (start, other_start, others): ([u32; 8], [u32; 8], u16),
        outer: &[u32; 8],
        count: usize,
        mut next: impl FnMut() -> ([&'a [u8; BLOCK]; 16], u16),
    ) -> [[u8; 32]; 16] {
        let mut inner: [__m512i; 8] = std::array::from_fn(|w| {
            _mm512_mask_mov_epi32(
                _mm512_set1_epi32(start[w] as i32),
                others,
                _mm512_set1_epi32(other_start[w] as i32),
            )
        });
        for _ in 0..count {
            let before = inner;
            let mut after = [inner];
            let (blocks, active) = next();
            let mut w = words(blocks);
            rounds(&mut after, |t| schedule_plus_k(&mut w, t));
            for ((word, was), now) in inner.iter_mut().zip(before).zip(after[0]) {
                *word = _mm512_mask_mov_epi32(was, active, now);
            }
        }
        let mut outer = [outer.map(|word| _mm512_set1_epi32(word as i32))];
        let mut w = digest_block(inner);
        rounds(&mut outer, |t| schedule_plus_k(&mut w, t));
        let mut rows = [[0u32; 16]; 8];
        for (row, word) in rows.iter_mut().zip(outer[0]) {
            // SAFETY: each row is sixteen words: one unaligned 64-byte store.
            unsafe { _mm512_storeu_si512(row.as_mut_ptr().cast(), word) };
        }
        std::array::from_fn(|l| {
            let mut mac = [0u8; 32];
            for (bytes, row) in mac.chunks_exact_mut(4).zip(&rows) {
                bytes.copy_from_slice(&row[l].to_be_bytes());
            }
            mac
        })
    }

    /// The sixteen big-endian words of each of sixteen blocks, word `t` of every block in
    /// vector `t` (block `l` in lane `l`): the blocks read a vector each, then transposed.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn words(blocks: [&[u8; BLOCK]; 16]) -> [__m512i; 16] {
        // SAFETY: each block is 64 bytes: one unaligned 64-byte load.
        let r = blocks.map(|block| unsafe { _mm512_loadu_si512(block.as_ptr().cast()) });
        // Pairs of blocks' words interleaved: t[2i] has words 4c, 4c+1 and t[2i+1] words
        // 4c+2, 4c+3 of blocks 2i and 2i+1, in each 128-bit part c.
        let t: [__m512i; 16] = std::array::from_fn(|j| {
            let (a, b) = (r[j & !1], r[j | 1]);
            if j % 2 == 0 {
                _mm512_unpacklo_epi32(a, b)
            } else {
                _mm512_unpackhi_epi32(a, b)
            }
        });
        // u[4i+k] has word 4c+k of blocks 4i..4i+4 in part c.
        let u: [__m512i; 16] = std::array::from_fn(|j| {
            let (i, k) = (j / 4, j % 4);
            let (a, b) = (t[4 * i + k / 2], t[4 * i + 2 + k / 2]);
            if k % 2 == 0 {
                _mm512_unpacklo_epi64(a, b)
            } else {
                _mm512_unpackhi_epi64(a, b)
            }
        });
        // v[8i+k] (k < 4) has words k and 8+k, v[8i+4+k] words 4+k and 12+k, of blocks
        // 8i..8i+4 then 8i+4..8i+8.
        let v: [__m512i; 16] = std::array::from_fn(|j| {
            let (i, k) = (j / 8, j % 4);
            let (a, b) = (u[8 * i + k], u[8 * i + 4 + k]);
            if j % 8 < 4 {
                _mm512_shuffle_i32x4::<0x88>(a, b)
            } else {
                _mm512_shuffle_i32x4::<0xDD>(a, b)
            }
        });
        // Word t of all sixteen blocks, its bytes then put in big-endian order.
        let mask = _mm512_set1_epi32(0xFF00_FF00_u32 as i32);
        std::array::from_fn(|t| {
            let (a, b) = (v[t % 8], v[8 + t % 8]);
            let word = if t < 8 {
                _mm512_shuffle_i32x4::<0x88>(a, b)
            } else {
                _mm512_shuffle_i32x4::<0xDD>(a, b)
            };
            // Bytes 3 and 1 from the word rotated by 8, 2 and 0 from it rotated by 24.
            _mm512_ternarylogic_epi32::<0xCA>(
                mask,
                _mm512_ror_epi32::<8>(word),
                _mm512_ror_epi32::<24>(word),
            )
        })
    }

    /// The outer hash's one block in each lane: the inner digest (its words as they are),
    /// 0x80, zeros, and the length in bits of the key block and the digest.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn digest_block(inner: [__m512i; 8]) -> [__m512i; 16] {
        let mut w = [_mm512_setzero_si512(); 16];
        w[..8].copy_from_slice(&inner);
        w[8] = _mm512_set1_epi32(0x8000_0000_u32 as i32);
        w[15] = _mm512_set1_epi32(((BLOCK + 32) * 8) as i32);
        w
    }

    /// Word `t` of a block's message schedule plus the round constant, sixteen lanes at once,
    /// for `t` from 0 to 63 in order: `w` holds the last sixteen words (at first the block's
    /// own), and from word 16 on each replaces the one sixteen before it. A window instead
    /// of the whole schedule: no 4 KiB array to fill and copy for every block.
    #[inline(always)]
    fn schedule_plus_k(w: &mut [__m512i; 16], t: usize) -> __m512i {
        // SAFETY: register-only AVX-512F instructions, inlined into functions compiled for
        // AVX-512F.
        unsafe {
            if t >= 16 {
                let (w15, w2) = (w[(t - 15) % 16], w[(t - 2) % 16]);
                let s0 = _mm512_ternarylogic_epi32::<0x96>(
                    _mm512_ror_epi32::<7>(w15),
                    _mm512_ror_epi32::<18>(w15),
                    _mm512_srli_epi32::<3>(w15),
                );
                let s1 = _mm512_ternarylogic_epi32::<0x96>(
                    _mm512_ror_epi32::<17>(w2),
                    _mm512_ror_epi32::<19>(w2),
                    _mm512_srli_epi32::<10>(w2),
                );
                w[t % 16] = _mm512_add_epi32(
                    _mm512_add_epi32(w[t % 16], s0),
                    _mm512_add_epi32(w[(t - 7) % 16], s1),
                );
            }
            _mm512_add_epi32(w[t % 16], _mm512_set1_epi32(K[t] as i32))
        }
    }

    /// The lanes of each of `keys` under which the message whose schedules are `schedule` has
    /// the HMAC `tag` (as eight big-endian words): bit `i` for lane `i`.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn matches<const N: usize>(
        keys: [&Keys16; N],
        schedule: &[[u32; 64]],
        tag: &[u32; 8],
    ) -> [u16; N] {
        // SAFETY: each row is sixteen words: one unaligned 64-byte load.
        let load = |row: &[u32; 16]| unsafe { _mm512_loadu_si512(row.as_ptr().cast()) };
        let mut inner = keys.map(|k| k.inner.each_ref().map(load));
        for block in schedule {
            rounds(&mut inner, |t| _mm512_set1_epi32(block[t] as i32));
        }
        let mut found = [0; N];
        for ((lanes, inner), keys) in found.iter_mut().zip(inner).zip(keys) {
            *lanes = outer(inner, keys, tag);
        }
        found
    }

    /// The outer hash of each lane's inner digest `inner` under `keys`, compared with `tag`.
    #[target_feature(enable = "avx512f")]
    fn outer(inner: [__m512i; 8], keys: &Keys16, tag: &[u32; 8]) -> u16 {
        // SAFETY: each row is sixteen words: one unaligned 64-byte load.
        let load = |row: &[u32; 16]| unsafe { _mm512_loadu_si512(row.as_ptr().cast()) };
        let mut w = digest_block(inner);
        let mut outer = [keys.outer.each_ref().map(load)];
        rounds(&mut outer, |t| schedule_plus_k(&mut w, t));
        let mut lanes = u16::MAX;
        for (word, &want) in outer[0].iter().zip(tag) {
            lanes &= _mm512_cmpeq_epi32_mask(*word, _mm512_set1_epi32(want as i32));
        }
        lanes
    }
}

/// SHA-256 with the x86 SHA extensions, several independent states at a time: four messages
/// of verify's, eight keys of the weak-secret search.
#[cfg(target_arch = "x86_64")]
mod x4 {
    use super::{BLOCK, K, Key, Keys16, Tail, digest_bytes, outer_block};
    use std::arch::x86_64::*;

    /// Whether the CPU has the SHA extensions (and SSSE3 and SSE4.1, which every such CPU has).
    pub fn available() -> bool {
        crate::cpu::offers(crate::cpu::SHA)
    }

    /// The place of the first key in `groups` (sixteen lanes each, as the build script lays
    /// out the weak-secret list) under which the message whose blocks' schedules are
    /// `schedule` (each block's W + K, the same under every key) has the HMAC `tag`. Eight keys
    /// at a time, their states in registers through every block: each round's W + K is read
    /// once for the eight, and eight independent chains keep the SHA unit busy (four left it
    /// waiting a tenth of the time). Only when [`available`]. Compiled a second time for
    /// AVX-512, as [`compress_all`] is (a search of the list ~0.20 ms, ~0.21 without it).
    pub fn first_match(groups: &[Keys16], schedule: &[[u32; 64]], tag: &[u8; 32]) -> Option<usize> {
        assert!(available());
        if crate::cpu::offers(crate::cpu::AVX512VL) {
            // SAFETY: the CPU has the SHA extensions (above), AVX-512F and AVX-512VL, and the
            // system saves their registers.
            unsafe { first_match_wide(groups, schedule, tag) }
        } else {
            // SAFETY: the CPU has the SHA extensions (above).
            unsafe { first_match_narrow(groups, schedule, tag) }
        }
    }

    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    pub(super) unsafe fn first_match_narrow(
        groups: &[Keys16],
        schedule: &[[u32; 64]],
        tag: &[u8; 32],
    ) -> Option<usize> {
        // SAFETY: compiled for the features the body's instructions need.
        unsafe { first_match_in(groups, schedule, tag) }
    }

    #[target_feature(enable = "sha,sse2,ssse3,sse4.1,avx512f,avx512vl")]
    pub(super) unsafe fn first_match_wide(
        groups: &[Keys16],
        schedule: &[[u32; 64]],
        tag: &[u8; 32],
    ) -> Option<usize> {
        // SAFETY: compiled for the features the body's instructions need.
        unsafe { first_match_in(groups, schedule, tag) }
    }

    /// [`first_match`]'s body.
    ///
    /// # Safety
    /// Only inlined into a function compiled with the SHA extensions, SSSE3 and SSE4.1.
    #[inline(always)]
    unsafe fn first_match_in(
        groups: &[Keys16],
        schedule: &[[u32; 64]],
        tag: &[u8; 32],
    ) -> Option<usize> {
        // SAFETY: inlined into functions compiled with the SHA extensions, SSSE3 and SSE4.1;
        // the loads read a block's W + K four words at a time.
        unsafe {
            let tag = lanes(&std::array::from_fn(|i| {
                u32::from_be_bytes([tag[4 * i], tag[4 * i + 1], tag[4 * i + 2], tag[4 * i + 3]])
            }));
            for (g, group) in groups.iter().enumerate() {
                for half in 0..2 {
                    let mut states = eight_states(&group.inner, half);
                    for block in schedule {
                        let start = states;
                        for wk in block.chunks_exact(4) {
                            let wk = _mm_loadu_si128(wk.as_ptr().cast());
                            for s in &mut states {
                                *s = two_rounds(*s, wk);
                            }
                        }
                        add(&mut states, start);
                    }
                    let outer = outer(states, eight_states(&group.outer, half));
                    for (j, (abef, cdgh)) in outer.into_iter().enumerate() {
                        let same = _mm_and_si128(
                            _mm_cmpeq_epi32(abef, tag.0),
                            _mm_cmpeq_epi32(cdgh, tag.1),
                        );
                        if _mm_movemask_epi8(same) == 0xFFFF {
                            return Some(g * 16 + half * 8 + j);
                        }
                    }
                }
            }
            None
        }
    }

    /// The states after a block: each plus its state before it.
    #[inline(always)]
    fn add<const N: usize>(states: &mut [(__m128i, __m128i); N], start: [(__m128i, __m128i); N]) {
        for ((abef, cdgh), (abef0, cdgh0)) in states.iter_mut().zip(start) {
            // SAFETY: register-only SSE2 instructions.
            unsafe {
                *abef = _mm_add_epi32(*abef, abef0);
                *cdgh = _mm_add_epi32(*cdgh, cdgh0);
            }
        }
    }

    /// The outer hashes of inner states, from the keys' outer states: one block each, the
    /// inner digest padded, each group of its schedule computed in the registers just before
    /// its rounds (as in [`compress_all`]).
    ///
    /// # Safety
    /// Only inlined into a function compiled with the SHA extensions, SSSE3 and SSE4.1.
    #[inline(always)]
    unsafe fn outer<const N: usize>(
        inner: [(__m128i, __m128i); N],
        mut states: [(__m128i, __m128i); N],
    ) -> [(__m128i, __m128i); N] {
        // SAFETY: inlined into functions compiled with the SHA extensions, SSSE3 and SSE4.1;
        // the loads read K's groups of four words (g < 16).
        unsafe {
            // W[0..8] the digest's words, W[8] 0x80000000, W[15] the length in bits of the key
            // block and the digest; four words a group, W[4g] in the lowest lane.
            let w = inner.map(|(abef, cdgh)| {
                let (dcba, hgfe) = in_order(abef, cdgh);
                [
                    dcba,
                    hgfe,
                    _mm_set_epi32(0, 0, 0, 0x8000_0000_u32 as i32),
                    _mm_set_epi32(((BLOCK + 32) * 8) as i32, 0, 0, 0),
                ]
            });
            scheduled_block(&mut states, w);
            states
        }
    }

    /// Each state through one block whose first sixteen schedule words are `w` (four groups
    /// of four, W[4g] in the lowest lane), each later group computed just before its rounds:
    /// the schedule's chain of dependent instructions then runs beside the rounds' chains
    /// (~20 ns a block and state, against ~27 with the block's whole schedule first).
    ///
    /// # Safety
    /// Only inlined into a function compiled with the SHA extensions, SSSE3 and SSE4.1.
    #[inline(always)]
    unsafe fn scheduled_block<const N: usize>(
        states: &mut [(__m128i, __m128i); N],
        mut w: [[__m128i; 4]; N],
    ) {
        // SAFETY: inlined into functions compiled with the SHA extensions, SSSE3 and SSE4.1;
        // the loads read K's groups of four words (g < 16).
        unsafe {
            let k = |g: usize| _mm_loadu_si128(K.as_ptr().add(4 * g).cast());
            let start = *states;
            for g in 0..4 {
                let k = k(g);
                for (w, s) in w.iter().zip(states.iter_mut()) {
                    *s = two_rounds(*s, _mm_add_epi32(w[g], k));
                }
            }
            for g in 4..16 {
                let k = k(g);
                for (w, s) in w.iter_mut().zip(states.iter_mut()) {
                    // W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16], four words at a time.
                    let [w0, w1, w2, w3] = *w;
                    let partial =
                        _mm_add_epi32(_mm_sha256msg1_epu32(w0, w1), _mm_alignr_epi8(w3, w2, 4));
                    let next = _mm_sha256msg2_epu32(partial, w3);
                    *w = [w1, w2, w3, next];
                    *s = two_rounds(*s, _mm_add_epi32(next, k));
                }
            }
            add(states, start);
        }
    }

    /// The states of eight of sixteen lanes (`half` 0 for lanes 0..8, 1 for 8..16) of a group's
    /// rows, in the SHA instructions' form.
    #[inline]
    #[target_feature(enable = "sse2,ssse3,sse4.1")]
    fn eight_states(rows: &[[u32; 16]; 8], half: usize) -> [(__m128i, __m128i); 8] {
        let (low, high) = (four_states(rows, 2 * half), four_states(rows, 2 * half + 1));
        std::array::from_fn(|j| if j < 4 { low[j] } else { high[j - 4] })
    }

    /// The states of four of sixteen lanes (`quad` 0 for lanes 0..4, 1 for 4..8, ...) of a
    /// group's rows, in the SHA instructions' form.
    #[inline]
    #[target_feature(enable = "sse2,ssse3,sse4.1")]
    fn four_states(rows: &[[u32; 16]; 8], quad: usize) -> [(__m128i, __m128i); 4] {
        // Row `w` holds word `w` of every lane: four rows of four lanes, turned, are four
        // lanes' four words.
        let turn = |rows: &[[u32; 16]]| -> [__m128i; 4] {
            // SAFETY: a row's lanes 4 * quad .. 4 * quad + 4 are four words: one unaligned
            // 16-byte load (`quad` < 4).
            let r: [__m128i; 4] = std::array::from_fn(|w| unsafe {
                _mm_loadu_si128(rows[w][4 * quad..][..4].as_ptr().cast())
            });
            let low = (
                _mm_unpacklo_epi32(r[0], r[1]),
                _mm_unpacklo_epi32(r[2], r[3]),
            );
            let high = (
                _mm_unpackhi_epi32(r[0], r[1]),
                _mm_unpackhi_epi32(r[2], r[3]),
            );
            [
                _mm_unpacklo_epi64(low.0, low.1),
                _mm_unpackhi_epi64(low.0, low.1),
                _mm_unpacklo_epi64(high.0, high.1),
                _mm_unpackhi_epi64(high.0, high.1),
            ]
        };
        let (dcba, hgfe) = (turn(&rows[..4]), turn(&rows[4..]));
        std::array::from_fn(|j| from_order(dcba[j], hgfe[j]))
    }

    /// A state's eight words as the SHA instructions keep them: ABEF and CDGH (A in the
    /// highest lane).
    #[inline]
    #[target_feature(enable = "sse2,ssse3,sse4.1")]
    fn lanes(state: &[u32; 8]) -> (__m128i, __m128i) {
        // SAFETY: `state` is eight words: two unaligned 16-byte loads.
        let (dcba, hgfe) = unsafe {
            let p = state.as_ptr().cast::<__m128i>();
            (_mm_loadu_si128(p), _mm_loadu_si128(p.add(1)))
        };
        from_order(dcba, hgfe)
    }

    /// ABEF and CDGH from the state's words in order (A in the lowest lane of DCBA).
    #[inline]
    #[target_feature(enable = "sse2,ssse3,sse4.1")]
    fn from_order(dcba: __m128i, hgfe: __m128i) -> (__m128i, __m128i) {
        let cdab = _mm_shuffle_epi32(dcba, 0xB1);
        let efgh = _mm_shuffle_epi32(hgfe, 0x1B);
        (
            _mm_alignr_epi8(cdab, efgh, 8),
            _mm_blend_epi16(efgh, cdab, 0xF0),
        )
    }

    /// The state's words in order (DCBA and HGFE, A in the lowest lane) from ABEF and CDGH.
    #[inline]
    #[target_feature(enable = "sse2,ssse3,sse4.1")]
    fn in_order(abef: __m128i, cdgh: __m128i) -> (__m128i, __m128i) {
        let feba = _mm_shuffle_epi32(abef, 0x1B);
        let dchg = _mm_shuffle_epi32(cdgh, 0xB1);
        (
            _mm_blend_epi16(feba, dchg, 0xF0),
            _mm_alignr_epi8(dchg, feba, 8),
        )
    }

    /// The eight words of a state kept as ABEF and CDGH.
    #[inline]
    #[target_feature(enable = "sse2,ssse3,sse4.1")]
    fn words(abef: __m128i, cdgh: __m128i) -> [u32; 8] {
        let (dcba, hgfe) = in_order(abef, cdgh);
        let mut state = [0u32; 8];
        // SAFETY: `state` is eight words: two unaligned 16-byte stores.
        unsafe {
            let p = state.as_mut_ptr().cast::<__m128i>();
            _mm_storeu_si128(p, dcba);
            _mm_storeu_si128(p.add(1), hgfe);
        }
        state
    }

    /// The four HMACs of inner states that have read their whole padded messages, from the
    /// keys' outer states. Only when [`available`].
    fn finish(mut outer: [[u32; 8]; 4], inner: [[u32; 8]; 4]) -> [[u8; 32]; 4] {
        let last = inner.map(|state| outer_block(&state));
        compress_all(&mut outer, 1, |j, _| &last[j]);
        outer.map(|state| digest_bytes(&state))
    }

    /// The HMACs of four messages under one key. Their blocks go through four at a time as
    /// long as every message has one left; the longer messages' last blocks go one at a time.
    /// A first block the four share with the one the key kept is not hashed again (see
    /// [`Key::macs`]). Only when [`available`].
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
        // The blocks the four start after: their shared first block, if it is the key's.
        let (start, skip) = match key.after_first_block(&messages) {
            Some(state) => (state, 1),
            None => (key.inner, 0),
        };
        let mut inner = [start; 4];
        compress_all(&mut inner, together - skip, |j, b| block(j, b + skip));
        for (j, state) in inner.iter_mut().enumerate() {
            for b in together..count(j) {
                super::compress(state, block(j, b));
            }
        }
        finish([key.outer; 4], inner)
    }

    /// Four states, each through SHA-256's compression function over `count` blocks of its
    /// own (`block(j, b)` is block `b` of state `j`'s message), kept in registers from the
    /// first block to the last. Only when [`available`]. Where the CPU has AVX-512, the same
    /// code is compiled for it: the instructions around the SHA ones then have sixteen more
    /// registers and three operands (~17 ns a block and message against ~20).
    pub fn compress_all<'a>(
        states: &mut [[u32; 8]; 4],
        count: usize,
        block: impl Fn(usize, usize) -> &'a [u8],
    ) {
        assert!(available());
        if crate::cpu::offers(crate::cpu::AVX512VL) {
            // SAFETY: the CPU has the SHA extensions (above), AVX-512F and AVX-512VL, and the
            // system saves their registers.
            unsafe { compress_all_wide(states, count, block) }
        } else {
            // SAFETY: the CPU has the SHA extensions (above).
            unsafe { compress_all_narrow(states, count, block) }
        }
    }

    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    pub(super) unsafe fn compress_all_narrow<'a>(
        states: &mut [[u32; 8]; 4],
        count: usize,
        block: impl Fn(usize, usize) -> &'a [u8],
    ) {
        // SAFETY: compiled for the features the body's instructions need.
        unsafe { compress_all_in(states, count, block) }
    }

    #[target_feature(enable = "sha,sse2,ssse3,sse4.1,avx512f,avx512vl")]
    pub(super) unsafe fn compress_all_wide<'a>(
        states: &mut [[u32; 8]; 4],
        count: usize,
        block: impl Fn(usize, usize) -> &'a [u8],
    ) {
        // SAFETY: compiled for the features the body's instructions need.
        unsafe { compress_all_in(states, count, block) }
    }

    /// [`compress_all`]'s body: each block through [`scheduled_block`].
    ///
    /// # Safety
    /// Only inlined into a function compiled with the SHA extensions, SSSE3 and SSE4.1.
    #[inline(always)]
    unsafe fn compress_all_in<'a>(
        states: &mut [[u32; 8]; 4],
        count: usize,
        block: impl Fn(usize, usize) -> &'a [u8],
    ) {
        // SAFETY: inlined into functions compiled with the SHA extensions, SSSE3 and SSE4.1;
        // the loads read a block's four 16-byte pieces.
        unsafe {
            // Big-endian words: each 4-byte group reversed.
            let swap = _mm_set_epi64x(0x0c0d_0e0f_0809_0a0b, 0x0405_0607_0001_0203);
            let mut st = [(_mm_setzero_si128(), _mm_setzero_si128()); 4];
            for (s, state) in st.iter_mut().zip(states.iter()) {
                *s = lanes(state);
            }
            for b in 0..count {
                // Each block's first sixteen schedule words, its bytes read as big-endian words.
                let mut w = [[_mm_setzero_si128(); 4]; 4];
                for (j, w) in w.iter_mut().enumerate() {
                    let bytes = block(j, b);
                    assert!(bytes.len() == BLOCK);
                    for (slot, words) in w.iter_mut().zip(bytes.chunks_exact(16)) {
                        *slot = _mm_shuffle_epi8(_mm_loadu_si128(words.as_ptr().cast()), swap);
                    }
                }
                scheduled_block(&mut st, w);
            }
            for (state, (abef, cdgh)) in states.iter_mut().zip(st) {
                *state = words(abef, cdgh);
            }
        }
    }

    /// Four rounds of a state kept as ABEF and CDGH, with their four W + K.
    #[inline(always)]
    fn two_rounds((abef, cdgh): (__m128i, __m128i), wk: __m128i) -> (__m128i, __m128i) {
        // SAFETY: register-only SHA and SSE2 instructions, inlined into functions compiled for
        // them.
        unsafe {
            // Two rounds return the new ABEF; the old ABEF is the new CDGH.
            let next = _mm_sha256rnds2_epu32(cdgh, abef, wk);
            let after = _mm_sha256rnds2_epu32(abef, next, _mm_shuffle_epi32(wk, 0x0E));
            (after, next)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::hmac;

    /// A tag is the MAC exactly: any one bit off, or any other length, is not.
    #[test]
    fn a_tag_is_the_mac_to_the_bit() {
        let mac: [u8; 32] = std::array::from_fn(|i| (i * 37 + 5) as u8);
        assert!(same_tag(&mac, &mac));
        for byte in 0..32 {
            for bit in 0..8 {
                let mut tag = mac;
                tag[byte] ^= 1 << bit;
                assert!(!same_tag(&mac, &tag), "byte {byte} bit {bit}");
            }
        }
        assert!(!same_tag(&mac, &mac[..31]));
        assert!(!same_tag(&mac, &[mac.as_slice(), &[0]].concat()));
        assert!(!same_tag(&mac, &[]));
    }

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

    /// The search eight keys at a time (the SHA extensions) reports the first key whose HMAC
    /// is the tag, wherever it stands (in any lane of a group, in the last group, whose spare
    /// lanes repeat the last key), for messages of one to eleven blocks and keys of every
    /// padding case; so does the one-at-a-time search it falls back to.
    #[test]
    fn eight_at_a_time_agrees_with_one_at_a_time() {
        let bytes: Vec<u8> = (0..700u32).map(|i| (i * 13 + 5) as u8).collect();
        // The last is a repeat of the third: the search must report the first.
        let mut keys: Vec<Key> = [0, 1, 31, 32, 55, 63, 64, 65, 100, 31]
            .iter()
            .map(|&n| Key::new(&bytes[n..2 * n]))
            .collect();
        keys.extend((0..9).map(|n| Key::new(&bytes[200 + n..240 + 2 * n])));
        for count in [1, 4, 10, 19] {
            let keys = &keys[..count];
            let groups = Keys16::groups(keys);
            for msg_len in (0..130).chain([311, 383, 384, 447, 448, 640]) {
                let m = Message::new(&bytes[..msg_len]);
                let Some(none) = m.position8(&groups, &[0; 32]) else {
                    #[cfg(target_arch = "x86_64")]
                    assert!(!x4::available());
                    return;
                };
                assert_eq!(none, None, "{count} keys, message {msg_len}");
                for (t, key) in keys.iter().enumerate() {
                    let tag = m.mac(key);
                    let first = if t == 9 { 2 } else { t };
                    assert_eq!(
                        m.position8(&groups, &tag),
                        Some(Some(first)),
                        "{count} keys, message {msg_len}, key {t}"
                    );
                    assert_eq!(m.position8(&groups, &tag[..31]), Some(None), "a short tag");
                    // Both compilations of the search (position8 takes one of them).
                    #[cfg(target_arch = "x86_64")]
                    {
                        let schedule = schedules(&m.tail);
                        // SAFETY: `available` said the CPU has the SHA extensions.
                        let narrow = unsafe { x4::first_match_narrow(&groups, &schedule, &tag) };
                        assert_eq!(narrow, Some(first), "compiled without AVX-512");
                        if crate::cpu::offers(crate::cpu::AVX512VL) {
                            // SAFETY: the CPU has the SHA extensions, AVX-512F and AVX-512VL.
                            let wide = unsafe { x4::first_match_wide(&groups, &schedule, &tag) };
                            assert_eq!(wide, Some(first), "compiled with AVX-512");
                        }
                    }
                    assert_eq!(
                        (0..count).find(|&i| m.mac(&groups[i / 16].key(i % 16)) == tag),
                        Some(first),
                        "{count} keys, message {msg_len}, key {t}, one at a time"
                    );
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
                    each_as_alone(&key, &messages, &macs);
                    assert!(same_tag(&macs[lane], &key.mac(&bytes[..len])));
                }
            }
        }
    }

    /// Each of `macs`, computed together, is its message's HMAC computed alone.
    fn each_as_alone(key: &Key, messages: &[&[u8]], macs: &[[u8; 32]]) {
        assert_eq!(macs.len(), messages.len());
        let lengths: Vec<usize> = messages.iter().map(|m| m.len()).collect();
        for (l, (mac, message)) in macs.iter().zip(messages).enumerate() {
            assert_eq!(*mac, key.mac(message), "lane {l} of {lengths:?}");
        }
    }

    /// `macs_at_once` takes as many messages as this CPU hashes together, gives each one's
    /// HMAC, and refuses any other count without writing.
    #[test]
    fn at_once_messages_are_hashed_together_and_other_counts_refused() {
        let bytes: Vec<u8> = (0..800u32).map(|i| (i * 7 + 3) as u8).collect();
        let key = Key::new(b"a secret long enough for HS256 use, 32+ bytes");
        let n = at_once();
        let messages: Vec<&[u8]> = (0..n).map(|i| &bytes[i..100 + 23 * i]).collect();
        let mut macs = [[0u8; 32]; 16];
        assert_eq!(key.macs_at_once(&messages, &mut macs), n > 1);
        if n > 1 {
            each_as_alone(&key, &messages, &macs[..n]);
        }
        let mut untouched = [[7u8; 32]; 16];
        assert!(!key.macs_at_once(&messages[..n - 1], &mut untouched));
        assert!(!key.macs_at_once(&[&bytes[..]; 5], &mut untouched));
        assert_eq!(untouched, [[7u8; 32]; 16]);
    }

    /// Sixteen messages under one key give each message's HMAC, in every lane: lengths around
    /// every padding edge, lanes of equal and unequal block counts, lanes whose messages are so
    /// much longer than the others' that they are hashed alone, and lanes that start with the
    /// key's kept first block beside lanes that do not.
    #[test]
    fn sixteen_messages_at_a_time_agree_with_one_at_a_time() {
        let bytes: Vec<u8> = (0..3000u32).map(|i| (i * 11 + 7) as u8).collect();
        let lengths: Vec<usize> = (0..130)
            .chain([183, 311, 352, 383, 384, 447, 448, 640, 2900])
            .collect();
        let check = |key: &Key, messages: &[&[u8]; 16]| {
            let Some(macs) = key.macs16(messages) else {
                #[cfg(target_arch = "x86_64")]
                assert!(!x16::available());
                return false;
            };
            each_as_alone(key, messages, &macs);
            true
        };
        for key_len in [0, 32, 64, 65] {
            let key = Key::new(&bytes[2900..2900 + key_len]);
            for (n, &len) in lengths.iter().enumerate() {
                // Lane `n % 16` has the length; the others the same, or the lengths after it.
                let same: [&[u8]; 16] = std::array::from_fn(|l| &bytes[l..l + len]);
                if !check(&key, &same) {
                    return;
                }
                let mixed: [&[u8]; 16] = std::array::from_fn(|l| {
                    let len = lengths[(n + l * 7) % lengths.len()];
                    &bytes[l..l + len]
                });
                check(&key, &mixed);
            }
        }
        // Fifteen short messages and one long one: the long one is hashed alone.
        let key = Key::new(b"a secret long enough for HS256 use, 32+ bytes");
        let mut messages: [&[u8]; 16] = [&bytes[..300]; 16];
        messages[9] = &bytes[..2900];
        check(&key, &messages);
        // Kept from sixteen that share a first block; then lanes that start with it skip it,
        // beside lanes that do not.
        let shared: [&[u8]; 16] = std::array::from_fn(|l| &bytes[..64 + 37 * l]);
        check(&key, &shared);
        let kept = key.first.get().map(|f| f.block);
        assert_eq!(kept.as_ref().map(|b| &b[..]), Some(&bytes[..64]));
        let some: [&[u8]; 16] = std::array::from_fn(|l| match l % 3 {
            0 => &bytes[..64 + 29 * l],
            1 => &bytes[1..100 + 31 * l],
            _ => &bytes[..l],
        });
        check(&key, &some);
        assert_eq!(key.first.get().map(|f| f.block), kept);
    }

    /// The lanes run as many blocks as cost least (a block alone costing two in the lanes):
    /// every message's where many have the most, else the shorter ones', the few longer ones
    /// hashed alone.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_lanes_run_the_blocks_that_cost_least() {
        let counts = |pairs: &[(usize, usize)]| -> [usize; 16] {
            let mut counts = Vec::new();
            for &(count, n) in pairs {
                counts.extend(std::iter::repeat_n(count, n));
            }
            counts.try_into().unwrap()
        };
        assert_eq!(x16::lanes_up_to(&counts(&[(6, 16)])), 6);
        assert_eq!(x16::lanes_up_to(&counts(&[(6, 8), (7, 8)])), 7);
        assert_eq!(x16::lanes_up_to(&counts(&[(6, 13), (7, 3)])), 7);
        assert_eq!(x16::lanes_up_to(&counts(&[(6, 15), (9, 1)])), 6);
        assert_eq!(x16::lanes_up_to(&counts(&[(6, 15), (100, 1)])), 6);
        assert_eq!(x16::lanes_up_to(&counts(&[(1, 14), (50, 2)])), 1);
        assert_eq!(x16::lanes_up_to(&counts(&[(0, 15), (3, 1)])), 0);
    }

    /// Four messages that start with the key's kept first block start from the state after
    /// it, and their HMACs are what they are alone: the block is kept only from four messages
    /// that share it (not from a lone first message, nor from messages shorter than a block),
    /// and messages that do not all start with it are hashed from the start.
    #[test]
    fn a_shared_first_block_is_hashed_once_and_the_macs_stay_the_same() {
        let bytes: Vec<u8> = (0..900u32).map(|i| (i * 13 + 5) as u8).collect();
        // Messages of lengths around the padding edges, all starting with `bytes[..64]`.
        let shared = |len: usize| &bytes[..len];
        let check = |key: &Key, messages: [&[u8]; 4]| {
            let Some(macs) = key.macs(messages) else {
                assert!(!four_at_once());
                return false;
            };
            each_as_alone(key, &messages, &macs);
            true
        };
        let key = Key::new(b"a secret long enough for HS256 use, 32+ bytes");
        // Not kept: a message shorter than a block, or one first block unlike the others.
        if !check(&key, [shared(63), shared(64), shared(100), shared(200)]) {
            return;
        }
        assert!(key.first.get().is_none());
        check(&key, [&bytes[1..300], shared(64), shared(100), shared(200)]);
        assert!(key.first.get().is_none());
        // Kept from four that share it, then used for any four that start with it.
        check(&key, [shared(64), shared(119), shared(120), shared(128)]);
        let kept = key.first.get().map(|f| f.block);
        assert_eq!(kept.as_ref().map(|b| &b[..]), Some(&bytes[..64]));
        for lengths in [
            [64, 64, 64, 64],
            [119, 120, 183, 184],
            [311, 383, 384, 447],
            [640, 65, 100, 899],
        ] {
            let messages = lengths.map(shared);
            assert!(key.after_first_block(&messages).is_some());
            check(&key, messages);
        }
        // Four that do not all start with it: hashed from the start, and the kept block stays.
        let other = &bytes[64..500];
        for lane in 0..4 {
            let mut messages = [shared(300), shared(400), shared(128), shared(64)];
            messages[lane] = other;
            assert!(key.after_first_block(&messages).is_none());
            check(&key, messages);
            messages[lane] = &bytes[..63];
            assert!(key.after_first_block(&messages).is_none());
            check(&key, messages);
        }
        assert_eq!(key.first.get().map(|f| f.block), kept);
    }

    /// The four-way compression, compiled with and without AVX-512, gives each state what
    /// aws-lc's one-state compression gives it, over zero to five blocks.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_four_way_compression_agrees_with_one_at_a_time_in_both_compilations() {
        if !x4::available() {
            return;
        }
        let bytes: Vec<u8> = (0..4 * 320u32).map(|i| (i * 29 + 11) as u8).collect();
        let message = |j: usize| &bytes[j * 320..(j + 1) * 320];
        let starts: [[u32; 8]; 4] = std::array::from_fn(|j| {
            let mut state = IV;
            compress(&mut state, &bytes[j * 64..(j + 1) * 64]);
            state
        });
        for count in 0..=5 {
            let want: [[u32; 8]; 4] = std::array::from_fn(|j| {
                let mut state = starts[j];
                compress(&mut state, &message(j)[..count * BLOCK]);
                state
            });
            let block = |j: usize, b: usize| &message(j)[b * BLOCK..(b + 1) * BLOCK];
            let mut narrow = starts;
            // SAFETY: `available` said the CPU has the SHA extensions.
            unsafe { x4::compress_all_narrow(&mut narrow, count, block) };
            assert_eq!(narrow, want, "{count} blocks, compiled without AVX-512");
            if crate::cpu::offers(crate::cpu::AVX512VL) {
                let mut wide = starts;
                // SAFETY: the CPU has the SHA extensions, AVX-512F and AVX-512VL.
                unsafe { x4::compress_all_wide(&mut wide, count, block) };
                assert_eq!(wide, want, "{count} blocks, compiled with AVX-512");
            }
        }
    }

    /// Sixteen keys at a time (two groups side by side, and a last group alone or filled up)
    /// find the first key whose HMAC is the tag, wherever it stands, for messages of one to
    /// eleven blocks; so do the same groups read eight keys at a time.
    #[test]
    fn sixteen_at_a_time_agrees_with_one_at_a_time() {
        let bytes: Vec<u8> = (0..700u32).map(|i| (i * 17 + 1) as u8).collect();
        for count in [1, 15, 16, 17, 32, 47, 49] {
            let mut keys: Vec<Key> = (0..count)
                .map(|n| Key::new(&bytes[n..n + n % 70]))
                .collect();
            // The last key repeats the first: the search must report the first.
            if count > 1 {
                keys[count - 1] = Key::new(&bytes[0..0]);
            }
            let groups = Keys16::groups(&keys);
            for msg_len in [0, 1, 55, 56, 63, 64, 119, 311, 383, 640] {
                let m = Message::new(&bytes[..msg_len]);
                let Some(none) = m.position16(&groups, count, &[0; 32]) else {
                    #[cfg(target_arch = "x86_64")]
                    assert!(!x16::available());
                    return;
                };
                assert_eq!(none, None, "{count} keys, message {msg_len}");
                for (t, key) in keys.iter().enumerate() {
                    let tag = m.mac(key);
                    let first = if t == count - 1 && count > 1 { 0 } else { t };
                    assert_eq!(
                        m.position16(&groups, count, &tag),
                        Some(Some(first)),
                        "{count} keys, message {msg_len}, key {t}"
                    );
                    assert_eq!(
                        m.position16(&groups, count, &tag[..31]),
                        Some(None),
                        "a short tag"
                    );
                    // With the SHA extensions, the same groups are searched eight at a time.
                    if let Some(found) = m.position8(&groups, &tag) {
                        assert_eq!(
                            found,
                            Some(first),
                            "{count} keys, message {msg_len}, key {t}"
                        );
                    }
                }
            }
        }
    }

    /// Where the CPU has AVX-512 the sixteen-way search is the one the weak-secret lint takes.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx512_is_detected_as_the_standard_library_sees_it() {
        assert_eq!(
            x16::available(),
            std::arch::is_x86_feature_detected!("avx512f")
        );
        assert_eq!(
            crate::cpu::offers(crate::cpu::AVX512VL),
            std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512vl")
        );
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
