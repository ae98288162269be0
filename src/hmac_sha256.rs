//! HMAC-SHA256 through aws-lc's SHA-256 block function (SHA-NI where the CPU has it), without a
//! key object, a context or an allocation per call. Two uses: verify's prepared HS256 key, whose
//! pad blocks are hashed once (each token then costs its message's blocks and one outer block),
//! and the weak-secret search, one message under many keys (the message is padded once; each key
//! costs its two pad blocks, the message's blocks and one outer block).

use aws_lc_rs::digest;

/// SHA-256's initial state (FIPS 180-4, 5.3.3).
const IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

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

/// A key whose pad blocks are hashed: the states after `key ^ ipad` and `key ^ opad`.
#[derive(Clone)]
#[cfg_attr(test, derive(PartialEq, Debug))]
pub struct Key {
    inner: [u32; 8],
    outer: [u32; 8],
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
        let mut last = [0u8; BLOCK];
        last[..32].copy_from_slice(&digest_bytes(inner));
        last[32] = 0x80;
        last[BLOCK - 8..].copy_from_slice(&(((BLOCK + 32) as u64) * 8).to_be_bytes());
        let mut outer = self.outer;
        compress(&mut outer, &last);
        digest_bytes(&outer)
    }

    /// HMAC-SHA256 (RFC 2104) of `message`: its whole blocks are read where they are, the rest
    /// is padded on the stack.
    pub fn mac(&self, message: &[u8]) -> [u8; 32] {
        let whole = message.len() - message.len() % BLOCK;
        let mut inner = self.inner;
        compress(&mut inner, &message[..whole]);
        let rest = &message[whole..];
        let mut tail = [0u8; 2 * BLOCK];
        tail[..rest.len()].copy_from_slice(rest);
        tail[rest.len()] = 0x80;
        // The length and the 0x80 byte fit after the rest in one block or need a second.
        let end = if rest.len() < BLOCK - 8 {
            BLOCK
        } else {
            2 * BLOCK
        };
        let bits = ((BLOCK + message.len()) as u64) * 8;
        tail[end - 8..end].copy_from_slice(&bits.to_be_bytes());
        compress(&mut inner, &tail[..end]);
        self.finish(&inner)
    }

    /// Whether `tag` is the HMAC of `message`, compared in constant time.
    pub fn verify(&self, message: &[u8], tag: &[u8]) -> bool {
        let mac = self.mac(message);
        tag.len() == mac.len()
            && std::hint::black_box(mac.iter().zip(tag).fold(0u8, |d, (a, b)| d | (a ^ b))) == 0
    }
}

/// A message ready to be authenticated under many keys: its bytes as the inner hash reads them
/// after the key block, padded.
pub struct Message {
    tail: Vec<u8>,
}

impl Message {
    pub fn new(message: &[u8]) -> Self {
        // The inner hash reads the 64-byte key block, then the message.
        let bits = ((BLOCK + message.len()) as u64) * 8;
        let mut tail = Vec::with_capacity(message.len() + BLOCK + 9);
        tail.extend_from_slice(message);
        tail.push(0x80);
        while tail.len() % BLOCK != BLOCK - 8 {
            tail.push(0);
        }
        tail.extend_from_slice(&bits.to_be_bytes());
        Message { tail }
    }

    /// HMAC-SHA256 (RFC 2104) of the message under `key`.
    pub fn mac(&self, key: &Key) -> [u8; 32] {
        let mut inner = key.inner;
        compress(&mut inner, &self.tail);
        key.finish(&inner)
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
}
