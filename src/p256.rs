//! ES256 verification for a P-256 key that verifies many tokens.
//!
//! ECDSA verification computes u1·G + u2·Q and compares the x coordinate with r. aws-lc (like
//! OpenSSL) multiplies the generator G through a table made in advance (37 additions of table
//! points), but the key's point Q through a window made per call (255 doublings and 52
//! additions): about three quarters of the work. A key that has verified [`EARNED`] tokens
//! gets a table of its own like G's, made once (~1 ms), so that both halves are 37 additions.
//!
//! The arithmetic is aws-lc's own P-256 assembly (the `ecp_nistz256_*` field, order and point
//! functions its ECDSA runs on), linked from aws-lc-sys by name; this module only arranges the
//! calls. Verification handles public data only: nothing here needs to run in constant time.
//! build.rs sets `cfg(p256_asm)` only where the aws-lc library linked defines those functions
//! (Linux x86_64, aws-lc-sys's default build). Without it, or where the CPU lacks AVX (the order
//! inverse needs it), [`Key::verify`] declines and aws-lc verifies as before.
#![cfg_attr(not(p256_asm), allow(dead_code))]

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering::Relaxed};

/// Uses of one key before it gets a table: a table costs about as much as 20 verifications.
pub const EARNED: u32 = 64;

/// Keys with a table, at most (151,552 bytes each): a JWKS of many P-256 keys holds no more.
const MAX_TABLES: usize = 4;

/// A field element or scalar: four 64-bit limbs, least significant first.
type Limbs = [u64; 4];

/// A point in Jacobian coordinates (x = X/Z², y = Y/Z³), in the Montgomery domain; Z = 0 is
/// the point at infinity.
#[repr(C, align(32))]
#[derive(Clone, Copy, Default)]
struct Jacobian {
    x: Limbs,
    y: Limbs,
    z: Limbs,
}

/// A point in affine coordinates, in the Montgomery domain.
#[repr(C, align(32))]
#[derive(Clone, Copy, Default)]
struct Affine {
    x: Limbs,
    y: Limbs,
}

/// The field's prime p.
const P: Limbs = [
    0xffff_ffff_ffff_ffff,
    0x0000_0000_ffff_ffff,
    0x0000_0000_0000_0000,
    0xffff_ffff_0000_0001,
];
/// The group's order n.
const N: Limbs = [
    0xf3b9_cac2_fc63_2551,
    0xbce6_faad_a717_9e84,
    0xffff_ffff_ffff_ffff,
    0xffff_ffff_0000_0000,
];
/// 2^512 mod p: multiplying by it enters the Montgomery domain.
const RR_P: Limbs = [
    0x0000_0000_0000_0003,
    0xffff_fffb_ffff_ffff,
    0xffff_ffff_ffff_fffe,
    0x0000_0004_ffff_fffd,
];
/// 2^512 mod n.
const RR_N: Limbs = [
    0x8324_4c95_be79_eea2,
    0x4699_799c_49bd_6fa6,
    0x2845_b239_2b6b_ec59,
    0x66e1_2d94_f3d9_5620,
];
/// 1 in the Montgomery domain (2^256 mod p).
const ONE: Limbs = [
    0x0000_0000_0000_0001,
    0xffff_ffff_0000_0000,
    0xffff_ffff_ffff_ffff,
    0x0000_0000_ffff_fffe,
];
/// The curve's b: y² = x³ - 3x + b.
const B: Limbs = [
    0x3bce_3c3e_27d2_604b,
    0x651d_06b0_cc53_b0f6,
    0xb3eb_bd55_7698_86bc,
    0x5ac6_35d8_aa3a_93e7,
];
/// The generator's coordinates.
const GX: Limbs = [
    0xf4a1_3945_d898_c296,
    0x7703_7d81_2deb_33a0,
    0xf8bc_e6e5_63a4_40f2,
    0x6b17_d1f2_e12c_4247,
];
const GY: Limbs = [
    0xcbb6_4068_37bf_51f5,
    0x2bce_3357_6b31_5ece,
    0x8ee7_eb4a_7c0f_9e16,
    0x4fe3_42e2_fe1a_7f9b,
];

/// Windows of 7 bits over a 256-bit scalar, with signed digits (|digit| <= 64)…
const WINDOWS: usize = 37;
/// …so a table holds 64 multiples of each window's point.
const MULTIPLES: usize = 64;

#[cfg(p256_asm)]
mod asm {
    //! aws-lc's P-256 functions, by the names aws-lc-sys gives them (its version is part of
    //! each name, and Cargo.toml pins it). build.rs reads these `link_name`s and looks each up
    //! in the library before it sets `cfg(p256_asm)`.
    //! Inputs and outputs are fully reduced; every function may be called in place.
    use super::{Affine, Jacobian, Limbs};

    unsafe extern "C" {
        /// res = a·b·2^-256 mod p.
        #[link_name = "aws_lc_0_47_0_ecp_nistz256_mul_mont"]
        pub fn mul_mont(res: *mut Limbs, a: *const Limbs, b: *const Limbs);
        /// res = a·a·2^-256 mod p.
        #[link_name = "aws_lc_0_47_0_ecp_nistz256_sqr_mont"]
        pub fn sqr_mont(res: *mut Limbs, a: *const Limbs);
        /// res = -a mod p.
        #[link_name = "aws_lc_0_47_0_ecp_nistz256_neg"]
        pub fn neg(res: *mut Limbs, a: *const Limbs);
        /// res = a·b·2^-256 mod n.
        #[link_name = "aws_lc_0_47_0_ecp_nistz256_ord_mul_mont"]
        pub fn ord_mul_mont(res: *mut Limbs, a: *const Limbs, b: *const Limbs);
        /// out = a^-1 mod m, for 0 < a < m, m odd; returns 1 on success. Uses AVX.
        #[link_name = "aws_lc_0_47_0_beeu_mod_inverse_vartime"]
        pub fn beeu_mod_inverse_vartime(out: *mut Limbs, a: *const Limbs, m: *const Limbs) -> i32;
        /// r = 2a.
        #[link_name = "aws_lc_0_47_0_ecp_nistz256_point_double"]
        pub fn point_double(r: *mut Jacobian, a: *const Jacobian);
        /// r = a + b, for any a and b (equal points are doubled, infinity handled).
        #[link_name = "aws_lc_0_47_0_ecp_nistz256_point_add"]
        pub fn point_add(r: *mut Jacobian, a: *const Jacobian, b: *const Jacobian);
        /// r = a + b; a and b must not be the same point unless both are infinity.
        #[link_name = "aws_lc_0_47_0_ecp_nistz256_point_add_affine"]
        pub fn point_add_affine(r: *mut Jacobian, a: *const Jacobian, b: *const Affine);
    }
}

#[cfg(p256_asm)]
mod field {
    //! Safe wrappers: every pointer is a live reference of the right type.
    use super::{Affine, Jacobian, Limbs, asm};

    pub fn mul(a: &Limbs, b: &Limbs) -> Limbs {
        let mut r = [0; 4];
        // SAFETY: valid pointers to 4-limb arrays; the function reads a, b and writes r.
        unsafe { asm::mul_mont(&mut r, a, b) };
        r
    }
    pub fn sqr(a: &Limbs) -> Limbs {
        let mut r = [0; 4];
        // SAFETY: as in `mul`.
        unsafe { asm::sqr_mont(&mut r, a) };
        r
    }
    pub fn neg(a: &Limbs) -> Limbs {
        let mut r = [0; 4];
        // SAFETY: as in `mul`.
        unsafe { asm::neg(&mut r, a) };
        r
    }
    pub fn ord_mul(a: &Limbs, b: &Limbs) -> Limbs {
        let mut r = [0; 4];
        // SAFETY: as in `mul`.
        unsafe { asm::ord_mul_mont(&mut r, a, b) };
        r
    }
    /// a^-1 mod m (plain, not Montgomery), for 0 < a < m, on a CPU with AVX.
    pub fn inverse_vartime(a: &Limbs, m: &Limbs) -> Option<Limbs> {
        let mut r = [0; 4];
        // SAFETY: as in `mul`. The function uses AVX: it runs only with a table, and
        // `Key::table_now` makes none on a CPU without AVX (tests check before they call it).
        (unsafe { asm::beeu_mod_inverse_vartime(&mut r, a, m) } == 1).then_some(r)
    }
    pub fn double(a: &Jacobian) -> Jacobian {
        let mut r = Jacobian::default();
        // SAFETY: valid pointers to points.
        unsafe { asm::point_double(&mut r, a) };
        r
    }
    pub fn add(a: &Jacobian, b: &Jacobian) -> Jacobian {
        let mut r = Jacobian::default();
        // SAFETY: as in `double`.
        unsafe { asm::point_add(&mut r, a, b) };
        r
    }
    /// a += b, where a is not b (see [`super::Table::times`] for why it cannot be).
    pub fn add_affine(a: &mut Jacobian, b: &Affine) {
        let a: *mut Jacobian = a;
        // SAFETY: valid pointers; the function may be called in place.
        unsafe { asm::point_add_affine(a, a, b) };
    }
}

/// For each window i, the multiples 1..=64 of 2^(7i)·B of a point B, affine.
struct Table(Box<[[Affine; MULTIPLES]]>);

#[cfg(p256_asm)]
impl Table {
    /// The table of `base` (affine, Montgomery domain, on the curve and not infinity).
    fn new(base: &Affine) -> Table {
        use field::{add, double, mul, sqr};
        let mut rows = vec![[Affine::default(); MULTIPLES]; WINDOWS].into_boxed_slice();
        let mut b = Jacobian {
            x: base.x,
            y: base.y,
            z: ONE,
        };
        let mut row = [Jacobian::default(); MULTIPLES];
        let mut running = [ONE; MULTIPLES];
        for affine in rows.iter_mut() {
            row[0] = b;
            row[1] = double(&b);
            for j in 2..MULTIPLES {
                row[j] = add(&row[j - 1], &b);
            }
            // 2^7·b is twice the row's last, 64·b.
            b = double(&row[MULTIPLES - 1]);
            // One inversion for the row: the running products of its Z's, inverted once and
            // unwound. No Z is zero: d·2^(7i)·B is never infinity for 1 <= d <= 64 (n is a
            // prime above 2^255).
            let mut product = ONE;
            for (p, r) in row.iter().zip(&mut running) {
                product = mul(&product, &p.z);
                *r = product;
            }
            let mut inverse = invert(&product);
            for j in (0..MULTIPLES).rev() {
                let z_inv = match j {
                    0 => inverse,
                    _ => mul(&inverse, &running[j - 1]),
                };
                inverse = mul(&inverse, &row[j].z);
                let z_inv2 = sqr(&z_inv);
                affine[j] = Affine {
                    x: mul(&row[j].x, &z_inv2),
                    y: mul(&row[j].y, &mul(&z_inv2, &z_inv)),
                };
            }
        }
        Table(rows)
    }

    /// k·B for a scalar k < n.
    ///
    /// k = Σ d_i·2^(7i) with signed digits |d_i| <= 64, and the sum runs from the lowest window.
    /// Before window i it holds S·B with |S| <= 2^(7i-1), and window i adds T·B with
    /// |T| >= 2^(7i): S ≢ T (mod n), since |S - T| < 2^(7i+7) <= n for i <= 35, and for the
    /// last window S - T = -n would need T = 2^256 and k = S + T > 2^256. So the point added is
    /// never the sum so far, which `point_add_affine` requires.
    fn times(&self, k: &Limbs) -> Jacobian {
        let mut sum = Jacobian::default();
        for (row, (size, negative)) in self.0.iter().zip(digits(k)) {
            if size == 0 {
                continue;
            }
            let mut point = row[size as usize - 1];
            if negative {
                point.y = field::neg(&point.y);
            }
            field::add_affine(&mut sum, &point);
        }
        sum
    }
}

/// k's signed digits, lowest window first: k = Σ d_i·2^(7i).
fn digits(k: &Limbs) -> [(u32, bool); WINDOWS] {
    let mut bytes = [0u8; 33];
    for (chunk, limb) in bytes.chunks_exact_mut(8).zip(k) {
        chunk.copy_from_slice(&limb.to_le_bytes());
    }
    std::array::from_fn(|i| {
        // Window i's 7 bits and the bit below them (0 below the first window).
        let bits = match i {
            0 => (u32::from(bytes[0]) << 1) & 0xff,
            _ => {
                let at = 7 * i - 1;
                let two = u32::from(bytes[at / 8]) | u32::from(bytes[at / 8 + 1]) << 8;
                (two >> (at % 8)) & 0xff
            }
        };
        digit(bits)
    })
}

/// A window's signed digit from its 7 bits and the bit below them (`bits` < 256): the window's
/// value plus that bit, less 128 when the window's top bit is set (the next window counts it
/// then). Returns its size (0..=64) and whether it is negative.
fn digit(bits: u32) -> (u32, bool) {
    let value = (bits >> 1) as i32 + (bits & 1) as i32 - ((bits >> 7) << 7) as i32;
    (value.unsigned_abs(), value < 0)
}

/// a^(p-2) = a^-1 in the Montgomery domain (a != 0).
#[cfg(p256_asm)]
fn invert(a: &Limbs) -> Limbs {
    let mut e = P;
    e[0] -= 2;
    power(a, &e)
}

/// a^e in the Montgomery domain.
#[cfg(p256_asm)]
fn power(a: &Limbs, e: &Limbs) -> Limbs {
    let mut r = ONE;
    for bit in (0..256).rev() {
        r = field::sqr(&r);
        if e[bit / 64] >> (bit % 64) & 1 == 1 {
            r = field::mul(&r, a);
        }
    }
    r
}

/// The generator's table, made when the first key earns its own.
#[cfg(p256_asm)]
fn generator() -> &'static Table {
    static G: OnceLock<Table> = OnceLock::new();
    G.get_or_init(|| {
        Table::new(&Affine {
            x: field::mul(&GX, &RR_P),
            y: field::mul(&GY, &RR_P),
        })
    })
}

/// Keys given a table so far (see [`MAX_TABLES`]).
static TABLES: AtomicUsize = AtomicUsize::new(0);

/// A P-256 public key, counted as it verifies, with a table once it has earned one.
pub struct Key {
    /// The point: affine, Montgomery domain.
    q: Affine,
    uses: AtomicU32,
    table: OnceLock<Option<Table>>,
}

impl Key {
    /// The key of an uncompressed SEC1 point (0x04 ‖ x ‖ y) on the curve; None for any other
    /// point or form, or where this module cannot run.
    pub fn new(sec1: &[u8]) -> Option<Key> {
        if !cfg!(p256_asm) {
            return None;
        }
        let (x, y) = halves(sec1.strip_prefix(&[4])?)?;
        if !below(&x, &P) || !below(&y, &P) {
            return None;
        }
        // aws-lc has checked it; a point off the curve would make every verdict meaningless, so
        // this module checks again rather than trust its caller.
        let q = to_montgomery(&x, &y);
        if !on_curve(&q) {
            return None;
        }
        Some(Key {
            q,
            uses: AtomicU32::new(0),
            table: OnceLock::new(),
        })
    }

    /// The verdict on an ES256 signature (r ‖ s, 64 bytes) of `message`, or None when this key
    /// has no table (yet): the caller verifies another way then.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Option<bool> {
        let table = match self.table.get() {
            Some(table) => table.as_ref()?,
            None if self.uses.fetch_add(1, Relaxed) < EARNED => return None,
            None => self.table.get_or_init(|| self.make_table()).as_ref()?,
        };
        Some(verify_with(table, message, signature))
    }

    /// The key with its table made now, outside the count and the limit: for tests and
    /// benchmarks.
    #[doc(hidden)]
    pub fn with_table(sec1: &[u8]) -> Option<Key> {
        let key = Key::new(sec1)?;
        let table = key.table_now()?;
        key.table.set(Some(table)).ok()?;
        Some(key)
    }

    fn make_table(&self) -> Option<Table> {
        if TABLES.fetch_add(1, Relaxed) >= MAX_TABLES {
            return None;
        }
        self.table_now()
    }

    #[cfg(p256_asm)]
    fn table_now(&self) -> Option<Table> {
        if !std::arch::is_x86_feature_detected!("avx") {
            return None;
        }
        generator();
        Some(Table::new(&self.q))
    }

    #[cfg(not(p256_asm))]
    fn table_now(&self) -> Option<Table> {
        None
    }
}

/// ECDSA verification (FIPS 186-5 §6.4.2) with the key's table.
#[cfg(p256_asm)]
fn verify_with(table: &Table, message: &[u8], signature: &[u8]) -> bool {
    let Some((r, s)) = halves(signature) else {
        return false;
    };
    if r == [0; 4] || s == [0; 4] || !below(&r, &N) || !below(&s, &N) {
        return false;
    }
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, message);
    let mut e = from_be(digest.as_ref().try_into().unwrap());
    if !below(&e, &N) {
        e = subtract(&e, &N).0;
    }
    let Some(s_inverse) = field::inverse_vartime(&s, &N) else {
        return false;
    };
    // s^-1 in the Montgomery domain; each product with it leaves the domain again.
    let s_inverse = field::ord_mul(&s_inverse, &RR_N);
    let u1 = field::ord_mul(&e, &s_inverse);
    let u2 = field::ord_mul(&r, &s_inverse);
    let point = field::add(&generator().times(&u1), &table.times(&u2));
    x_is(&point, &r)
}

#[cfg(not(p256_asm))]
fn verify_with(_: &Table, _: &[u8], _: &[u8]) -> bool {
    unreachable!("no table is made on this target")
}

/// Whether the point is not infinity and its x coordinate, reduced mod n, is r: X = r·Z²
/// (mod p), or X = (r + n)·Z² where r + n < p.
#[cfg(p256_asm)]
fn x_is(point: &Jacobian, r: &Limbs) -> bool {
    if point.z == [0; 4] {
        return false;
    }
    let z2 = field::sqr(&point.z);
    // Both sides out of the Montgomery domain: X·2^256 times 1, and r times Z²·2^256, each
    // product taking a 2^-256.
    let x = field::mul(&point.x, &[1, 0, 0, 0]);
    if field::mul(r, &z2) == x {
        return true;
    }
    let (r_n, carry) = add_limbs(r, &N);
    !carry && below(&r_n, &P) && field::mul(&r_n, &z2) == x
}

/// x³ - 3x + b, in the Montgomery domain: y² for a point of the curve.
#[cfg(p256_asm)]
fn curve_rhs(x: &Limbs) -> Limbs {
    let cube = field::mul(&field::sqr(x), x);
    let three_x = add_mod(&add_mod(x, x), x);
    add_mod(
        &add_mod(&cube, &field::neg(&three_x)),
        &field::mul(&B, &RR_P),
    )
}

/// Whether the point (Montgomery domain) is on the curve.
#[cfg(p256_asm)]
fn on_curve(point: &Affine) -> bool {
    field::sqr(&point.y) == curve_rhs(&point.x)
}

#[cfg(not(p256_asm))]
fn on_curve(_: &Affine) -> bool {
    false
}

/// a + b mod p, for a, b < p.
fn add_mod(a: &Limbs, b: &Limbs) -> Limbs {
    let (sum, carry) = add_limbs(a, b);
    match carry || !below(&sum, &P) {
        true => subtract(&sum, &P).0,
        false => sum,
    }
}

#[cfg(p256_asm)]
fn to_montgomery(x: &Limbs, y: &Limbs) -> Affine {
    Affine {
        x: field::mul(x, &RR_P),
        y: field::mul(y, &RR_P),
    }
}

#[cfg(not(p256_asm))]
fn to_montgomery(_: &Limbs, _: &Limbs) -> Affine {
    Affine::default()
}

/// 32 big-endian bytes as limbs.
fn from_be(bytes: &[u8; 32]) -> Limbs {
    let mut limbs = [0; 4];
    for (limb, chunk) in limbs.iter_mut().zip(bytes.rchunks_exact(8)) {
        *limb = u64::from_be_bytes(chunk.try_into().unwrap());
    }
    limbs
}

/// 64 bytes as two 32-byte big-endian numbers (a point's x and y, a signature's r and s);
/// None for any other length.
fn halves(bytes: &[u8]) -> Option<(Limbs, Limbs)> {
    let (a, b) = bytes.split_first_chunk::<32>()?;
    Some((from_be(a), from_be(b.try_into().ok()?)))
}

/// a < b.
fn below(a: &Limbs, b: &Limbs) -> bool {
    a.iter().rev().cmp(b.iter().rev()) == std::cmp::Ordering::Less
}

/// a - b and whether it borrowed.
fn subtract(a: &Limbs, b: &Limbs) -> (Limbs, bool) {
    with_carries(a, b, u64::overflowing_sub)
}

/// a + b and whether it carried.
fn add_limbs(a: &Limbs, b: &Limbs) -> (Limbs, bool) {
    with_carries(a, b, u64::overflowing_add)
}

/// `step` (an overflowing add or subtract) limb by limb, each carry or borrow into the next.
fn with_carries(a: &Limbs, b: &Limbs, step: fn(u64, u64) -> (u64, bool)) -> (Limbs, bool) {
    let mut r = [0; 4];
    let mut carry = false;
    for k in 0..4 {
        let (d, c1) = step(a[k], b[k]);
        let (d, c2) = step(d, u64::from(carry));
        (r[k], carry) = (d, c1 || c2);
    }
    (r, carry)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A default build for Linux x86_64 has the tables: build.rs found every function
    /// (otherwise its warning says which it missed, and ES256 runs at aws-lc's speed).
    #[test]
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    fn linux_x86_64_builds_the_tables() {
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let alg = &ECDSA_P256_SHA256_FIXED_SIGNING;
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref()).unwrap();
        assert!(
            Key::new(pair.public_key().as_ref()).is_some(),
            "build.rs left the ES256 key tables out: see its warning"
        );
    }

    /// The value of k's digits, Σ d_i·2^(7i), mod 2^256.
    fn sum_of_digits(k: &Limbs) -> Limbs {
        let mut sum = [0; 4];
        for (i, (size, negative)) in digits(k).into_iter().enumerate() {
            let (shift, limb) = ((7 * i) % 64, (7 * i) / 64);
            let mut term = [0u64; 4];
            term[limb] = u64::from(size) << shift;
            if limb < 3 && shift > 57 {
                term[limb + 1] = u64::from(size) >> (64 - shift);
            }
            sum = match negative {
                true => subtract(&sum, &term).0,
                false => add_limbs(&sum, &term).0,
            };
        }
        sum
    }

    #[test]
    fn digits_are_signed_and_small_and_add_up_to_the_scalar() {
        for bits in 0..256 {
            let (size, negative) = digit(bits);
            assert!(size <= 64 && (size > 0 || !negative), "{bits}");
        }
        let mut k: Limbs = [0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210, 7, 1 << 63];
        let mut scalars = vec![
            [0; 4],
            [1, 0, 0, 0],
            subtract(&N, &[1, 0, 0, 0]).0,
            [u64::MAX; 4],
        ];
        for _ in 0..2000 {
            // A cheap mix of bits (xorshift on each limb).
            for limb in &mut k {
                *limb ^= *limb << 13;
                *limb ^= *limb >> 7;
                *limb ^= *limb << 17;
            }
            scalars.push(k);
        }
        for k in scalars {
            assert_eq!(sum_of_digits(&k), k, "{k:x?}");
        }
    }

    #[test]
    fn the_constants_are_p256s() {
        // 2^256 - 2^224 + 2^192 + 2^96 - 1, and n as FIPS 186 gives it.
        let hex = |limbs: &Limbs| {
            limbs
                .iter()
                .rev()
                .map(|l| format!("{l:016x}"))
                .collect::<String>()
        };
        assert_eq!(
            hex(&P),
            "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff"
        );
        assert_eq!(
            hex(&N),
            "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"
        );
    }

    #[cfg(p256_asm)]
    #[test]
    fn the_montgomery_constants_agree_with_the_field() {
        // ONE is 2^256 mod p: 1 in the domain, leaving it as 1.
        assert_eq!(field::mul(&ONE, &[1, 0, 0, 0]), [1, 0, 0, 0]);
        // RR_P enters the domain: x·RR_P·2^-256 = x·2^256, and leaving gives x back.
        let x = [5, 6, 7, 8];
        assert_eq!(field::mul(&field::mul(&x, &RR_P), &[1, 0, 0, 0]), x);
        assert_eq!(field::mul(&RR_P, &[1, 0, 0, 0]), ONE);
        // RR_N likewise mod n.
        assert_eq!(field::ord_mul(&field::ord_mul(&x, &RR_N), &[1, 0, 0, 0]), x);
        // The inverse: a·a^-1 = 1.
        let a = field::mul(&x, &RR_P);
        assert_eq!(field::mul(&a, &invert(&a)), ONE);
    }

    /// The table's verdict.
    fn fast(key: &Key, message: &[u8], signature: &[u8]) -> Option<bool> {
        key.verify(message, signature)
    }

    #[cfg(p256_asm)]
    #[test]
    fn a_key_gets_its_table_once_it_has_verified_enough_tokens() {
        use aws_lc_rs::signature::KeyPair;
        if !std::arch::is_x86_feature_detected!("avx") {
            return;
        }
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let alg = &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING;
        let pkcs8 = aws_lc_rs::signature::EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
        let pair = aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref()).unwrap();
        let key = Key::new(pair.public_key().as_ref()).unwrap();
        let signature = pair.sign(&rng, b"a.b").unwrap();
        for _ in 0..EARNED {
            assert_eq!(key.verify(b"a.b", signature.as_ref()), None);
        }
        // The only test that counts toward MAX_TABLES: the others make theirs directly.
        assert_eq!(key.verify(b"a.b", signature.as_ref()), Some(true));
        assert_eq!(key.verify(b"a.c", signature.as_ref()), Some(false));
    }

    #[cfg(p256_asm)]
    #[test]
    fn verdicts_agree_with_aws_lc_on_good_and_altered_signatures() {
        use aws_lc_rs::rand::SystemRandom;
        use aws_lc_rs::signature::{self as s, EcdsaKeyPair, KeyPair, UnparsedPublicKey};
        if !std::arch::is_x86_feature_detected!("avx") {
            return;
        }
        let rng = SystemRandom::new();
        let alg = &s::ECDSA_P256_SHA256_FIXED_SIGNING;
        for round in 0..3 {
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
            let pair = EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref()).unwrap();
            let public = pair.public_key().as_ref().to_vec();
            let key = Key::with_table(&public).expect("an uncompressed point");
            let other = EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
            let other = EcdsaKeyPair::from_pkcs8(alg, other.as_ref()).unwrap();
            let aws = UnparsedPublicKey::new(&s::ECDSA_P256_SHA256_FIXED, &public);
            for i in 0..200 {
                let message = format!("eyJhbGciOiJFUzI1NiJ9.{round}-{i}").into_bytes();
                let good = pair.sign(&rng, &message).unwrap().as_ref().to_vec();
                let mut cases = vec![
                    (message.clone(), good.clone()),
                    (
                        message.clone(),
                        other.sign(&rng, &message).unwrap().as_ref().to_vec(),
                    ),
                    ([&message[..], b"x"].concat(), good.clone()),
                ];
                let mut flipped = good.clone();
                flipped[i % 64] ^= 1 << (i % 8);
                cases.push((message.clone(), flipped));
                // s and n - s both verify in ECDSA (-k gives the same x).
                let mut high = good.clone();
                let s_value = from_be(good[32..].try_into().unwrap());
                let minus = subtract(&N, &s_value).0;
                for (chunk, limb) in high[32..].rchunks_exact_mut(8).zip(minus) {
                    chunk.copy_from_slice(&limb.to_be_bytes());
                }
                cases.push((message.clone(), high));
                for (m, sig) in cases {
                    let expected = aws.verify(&m, &sig).is_ok();
                    assert_eq!(fast(&key, &m, &sig), Some(expected), "{m:?} {sig:x?}");
                }
            }
        }
    }

    /// The point's affine coordinates, out of the Montgomery domain, as SEC1 bytes.
    #[cfg(p256_asm)]
    fn sec1(point: &Jacobian) -> Vec<u8> {
        let z_inv = invert(&point.z);
        let z_inv2 = field::sqr(&z_inv);
        let x = field::mul(&field::mul(&point.x, &z_inv2), &[1, 0, 0, 0]);
        let y = field::mul(
            &field::mul(&point.y, &field::mul(&z_inv2, &z_inv)),
            &[1, 0, 0, 0],
        );
        let mut bytes = vec![4];
        bytes.extend(
            x.iter()
                .rev()
                .chain(y.iter().rev())
                .flat_map(|l| l.to_be_bytes()),
        );
        bytes
    }

    fn be(limbs: &Limbs) -> Vec<u8> {
        limbs.iter().rev().flat_map(|l| l.to_be_bytes()).collect()
    }

    /// The rare case of ECDSA: the point's x is n or more, so r is x - n. A key is made for
    /// such a point R (Q = u2^-1·(R - u1·G) for a chosen s), since no signing finds one.
    #[cfg(p256_asm)]
    #[test]
    fn an_x_coordinate_above_the_order_is_compared_reduced() {
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
        if !std::arch::is_x86_feature_detected!("avx") {
            return;
        }
        // (p + 1) / 4: square roots, as p ≡ 3 (mod 4).
        let mut root = add_limbs(&P, &[1, 0, 0, 0]).0;
        for k in 0..4 {
            root[k] = root[k] >> 2 | root.get(k + 1).map_or(0, |next| next << 62);
        }
        let (r, point) = (1..100u64)
            .find_map(|t| {
                let x = add_limbs(&N, &[t, 0, 0, 0]).0;
                let xm = field::mul(&x, &RR_P);
                let rhs = curve_rhs(&xm);
                let y = power(&rhs, &root);
                (field::sqr(&y) == rhs).then_some(([t, 0, 0, 0], Jacobian { x: xm, y, z: ONE }))
            })
            .expect("half of all x have a point");
        let message = b"eyJhbGciOiJFUzI1NiJ9.e30";
        let s: Limbs = [0x1234_5678, 0, 0, 1];
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, message);
        let e = from_be(digest.as_ref().try_into().unwrap());
        let e = if below(&e, &N) { e } else { subtract(&e, &N).0 };
        let montgomery = |v: &Limbs| field::ord_mul(&field::inverse_vartime(v, &N).unwrap(), &RR_N);
        let u1 = field::ord_mul(&e, &montgomery(&s));
        let u2_inverse = field::ord_mul(&s, &montgomery(&r));
        let a = field::add(&point, &generator().times(&subtract(&N, &u1).0));
        let a = from_sec1(&sec1(&a));
        let q = sec1(&Table::new(&a).times(&u2_inverse));
        let signature = [be(&r), be(&s)].concat();
        let aws = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &q);
        assert!(aws.verify(message, &signature).is_ok(), "aws-lc accepts it");
        let key = Key::with_table(&q).unwrap();
        assert_eq!(key.verify(message, &signature), Some(true));
        // Not with r = x itself (above n), nor with another r.
        let unreduced = [be(&add_limbs(&N, &r).0), be(&s)].concat();
        assert_eq!(key.verify(message, &unreduced), Some(false));
        let other = [be(&[r[0] + 1, 0, 0, 0]), be(&s)].concat();
        assert_eq!(key.verify(message, &other), Some(false));
    }

    /// Wycheproof's ECDSA P-256/SHA-256 cases (raw r ‖ s), each key with its table: every
    /// verdict as the case says, and as aws-lc's.
    #[cfg(p256_asm)]
    #[test]
    fn wycheproof_p256_cases_through_the_tables() {
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
        if !std::arch::is_x86_feature_detected!("avx") {
            return;
        }
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/vectors/wycheproof/ecdsa_secp256r1_sha256_p1363_test.json"
        );
        let set: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let hex = |v: &serde_json::Value| -> Vec<u8> {
            let text = v.as_str().unwrap();
            (0..text.len())
                .step_by(2)
                .map(|k| u8::from_str_radix(&text[k..k + 2], 16).unwrap())
                .collect()
        };
        let (mut cases, mut valid) = (0, 0);
        for group in set["testGroups"].as_array().unwrap() {
            let point = hex(&group["publicKey"]["uncompressed"]);
            let key = Key::with_table(&point).expect("a key and its table");
            let aws = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point);
            for case in group["tests"].as_array().unwrap() {
                let (message, signature) = (hex(&case["msg"]), hex(&case["sig"]));
                let verdict = key.verify(&message, &signature);
                let aws = aws.verify(&message, &signature).is_ok();
                let id = &case["tcId"];
                assert_eq!(verdict, Some(aws), "case {id}: not aws-lc's verdict");
                match case["result"].as_str().unwrap() {
                    "valid" => assert_eq!(verdict, Some(true), "case {id}"),
                    "invalid" => assert_eq!(verdict, Some(false), "case {id}"),
                    _ => {}
                }
                cases += 1;
                valid += usize::from(verdict == Some(true));
            }
        }
        assert_eq!((cases, valid), (252, 169));
    }

    #[cfg(p256_asm)]
    fn from_sec1(bytes: &[u8]) -> Affine {
        let (x, y) = halves(&bytes[1..]).unwrap();
        to_montgomery(&x, &y)
    }

    #[cfg(p256_asm)]
    #[test]
    fn out_of_range_parts_and_other_forms_are_refused() {
        use aws_lc_rs::signature::KeyPair;
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let alg = &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING;
        let pkcs8 = aws_lc_rs::signature::EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
        let pair = aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref()).unwrap();
        let public = pair.public_key().as_ref();
        assert!(Key::new(&public[..64]).is_none());
        let mut off = public.to_vec();
        off[64] ^= 1;
        assert!(Key::new(&off).is_none(), "a point off the curve");
        assert!(Key::new(&[&[2u8][..], &public[1..33]].concat()).is_none());
        let key = Key::with_table(public).unwrap();
        let message = b"a.b";
        let good = pair.sign(&rng, message).unwrap().as_ref().to_vec();
        assert_eq!(fast(&key, message, &good), Some(true));
        let n_bytes: Vec<u8> = N.iter().rev().flat_map(|l| l.to_be_bytes()).collect();
        for (at, part) in [
            (0, [0u8; 32].to_vec()),
            (32, vec![0; 32]),
            (0, n_bytes.clone()),
            (32, n_bytes),
        ] {
            let mut bad = good.clone();
            bad[at..at + 32].copy_from_slice(&part);
            assert_eq!(fast(&key, message, &bad), Some(false));
        }
        assert_eq!(fast(&key, message, &good[..63]), Some(false));
        assert_eq!(fast(&key, message, &[]), Some(false));
    }
}
