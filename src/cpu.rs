//! What the CPU offers the vectorized paths, asked once for all of them: each `cpuid` is a trap
//! to the hypervisor in a virtual machine (~5 µs), and a general feature detection asks several.
//! A one-token run asks only when a path needs the answer (the weak-secret search); a batch asks
//! when it starts (see [`crate::token::batch_started`]), and its scanner only reads the answer.

#[cfg(target_arch = "x86_64")]
use std::sync::atomic::{AtomicU8, Ordering::Relaxed};

/// The SHA extensions with SSSE3 and SSE4.1.
pub const SHA: u8 = 1 << 1;
/// AVX-512F, with the system saving its registers.
pub const AVX512: u8 = 1 << 2;
/// That and AVX-512VL.
pub const AVX512VL: u8 = 1 << 3;
/// AVX2 with POPCNT and BMI1 (every CPU with AVX2 has them), the system saving its registers.
pub const AVX2: u8 = 1 << 4;
/// An AMD CPU with the SHA extensions from before Zen 5 (family 0x1A), whose SHA unit outruns
/// AVX-512's sixteen lanes (Zen 4 runs 512-bit instructions in two halves): of the CPUs of
/// bench/RESULTS.md with both, the AMD EPYC of its early rounds (family not recorded) hashed a
/// block and message in ~20 ns with the SHA extensions (four messages at a time), an Intel Xeon
/// (family 6, model 207) in ~47 ns with them and ~23 ns in the lanes, and an AMD EPYC of family
/// 0x1A (Zen 5, whole 512-bit units) in ~19 ns with them and ~13.5 ns in the lanes (with the
/// lanes, a one-token decode of an HS256 token took 17% less time, verify of HS256 tokens 11%).
/// It now decides the weak-secret search alone (a Zen 4 EPYC, family 0x19 model 0x11: ~197 us
/// with the SHA extensions, ~235 us in the lanes); verify's tokens go to the lanes wherever the
/// CPU has them (see `hmac_sha256::sixteen_at_once`).
pub const SHA_AHEAD: u8 = 1 << 5;

/// AMD's family of Zen 5, the first whose AVX-512 lanes outrun its SHA unit (see [`SHA_AHEAD`]).
#[cfg(target_arch = "x86_64")]
const ZEN5_FAMILY: u32 = 0x1A;

/// AVX-512F, BW and VBMI (byte permutations), the system saving their registers.
pub const AVX512VBMI: u8 = 1 << 6;

/// Bit 0 set once asked; the others as above.
#[cfg(target_arch = "x86_64")]
static KNOWN: AtomicU8 = AtomicU8::new(0);

/// Whether the CPU offers `feature` (one of the constants above), asking it the first time.
pub fn offers(feature: u8) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        let mut known = KNOWN.load(Relaxed);
        if known == 0 {
            known = ask();
            KNOWN.store(known, Relaxed);
        }
        known & feature != 0
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = feature;
        false
    }
}

/// Whether the CPU offers `feature` as far as is known, without asking: false until something
/// asked (see [`offers`]).
#[inline]
pub fn known(feature: u8) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        KNOWN.load(Relaxed) & feature != 0
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = feature;
        false
    }
}

#[cfg(target_arch = "x86_64")]
fn ask() -> u8 {
    use std::arch::x86_64::{__cpuid, __cpuid_count, _xgetbv};
    let vendor = __cpuid(0);
    let amd = (vendor.ebx, vendor.edx, vendor.ecx) == (0x6874_7541, 0x6974_6e65, 0x444d_4163);
    let basic = __cpuid(1);
    let family = family(basic.eax);
    let extended = __cpuid_count(7, 0);
    let ssse3 = basic.ecx & (1 << 9) != 0;
    let sse41 = basic.ecx & (1 << 19) != 0;
    let osxsave = basic.ecx & (1 << 27) != 0;
    let avx = basic.ecx & (1 << 28) != 0;
    let popcnt = basic.ecx & (1 << 23) != 0;
    let bmi1 = extended.ebx & (1 << 3) != 0;
    let avx2 = extended.ebx & (1 << 5) != 0;
    let sha = extended.ebx & (1 << 29) != 0;
    let avx512f = extended.ebx & (1 << 16) != 0;
    let avx512vl = extended.ebx & (1 << 31) != 0;
    let avx512bw = extended.ebx & (1 << 30) != 0;
    let avx512vbmi = extended.ecx & (1 << 1) != 0;
    // XCR0: SSE and AVX state saved (bits 1, 2); for AVX-512 also the opmask, ZMM0-15's upper
    // halves and ZMM16-31 (bits 5-7).
    // SAFETY: xgetbv is available where the OS set OSXSAVE.
    let xcr0 = if osxsave { unsafe { _xgetbv(0) } } else { 0 };
    let ymm_saved = xcr0 & 0x6 == 0x6;
    let zmm_saved = xcr0 & 0xE6 == 0xE6;
    1 | if ssse3 && sse41 && sha { SHA } else { 0 }
        | if ssse3 && sse41 && sha && amd && family < ZEN5_FAMILY {
            SHA_AHEAD
        } else {
            0
        }
        | if avx512f && zmm_saved { AVX512 } else { 0 }
        | if avx512f && avx512vl && zmm_saved {
            AVX512VL
        } else {
            0
        }
        | if avx512f && avx512bw && avx512vbmi && zmm_saved {
            AVX512VBMI
        } else {
            0
        }
        | if avx && avx2 && popcnt && bmi1 && ymm_saved {
            AVX2
        } else {
            0
        }
}

/// The CPU's family from `cpuid` leaf 1's EAX: the base family, plus the extended family where
/// the base is 0xF (as AMD's and Intel's manuals define it).
#[cfg(target_arch = "x86_64")]
fn family(eax: u32) -> u32 {
    let base = (eax >> 8) & 0xF;
    if base == 0xF {
        base + ((eax >> 20) & 0xFF)
    } else {
        base
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;

    /// Each feature is detected as the standard library sees it.
    #[test]
    fn features_are_detected_as_the_standard_library_sees_them() {
        use std::arch::is_x86_feature_detected as has;
        assert_eq!(offers(SHA), has!("sha") && has!("ssse3") && has!("sse4.1"));
        assert_eq!(offers(AVX512), has!("avx512f"));
        assert_eq!(offers(AVX512VL), has!("avx512f") && has!("avx512vl"));
        assert_eq!(
            offers(AVX512VBMI),
            has!("avx512f") && has!("avx512bw") && has!("avx512vbmi")
        );
        let avx2 = has!("avx2") && has!("popcnt") && has!("bmi1");
        assert_eq!(offers(AVX2), avx2);
        assert_eq!(known(AVX2), avx2);
        // The vendor string, as the CPU spells it.
        let vendor = std::arch::x86_64::__cpuid(0);
        let name: Vec<u8> = [vendor.ebx, vendor.edx, vendor.ecx]
            .iter()
            .flat_map(|word| word.to_le_bytes())
            .collect();
        let amd = name == b"AuthenticAMD";
        let family = family(std::arch::x86_64::__cpuid(1).eax);
        assert_eq!(
            offers(SHA_AHEAD),
            amd && family < ZEN5_FAMILY && offers(SHA)
        );
    }

    /// Families as the manuals give them for known signatures.
    #[test]
    fn families_from_signatures() {
        // AMD EPYC 9004 (Zen 4), 9005 (Zen 5), 7003 (Zen 3); Intel Xeon (Sapphire Rapids),
        // an old Pentium 4.
        assert_eq!(family(0x00A1_0F11), 0x19);
        assert_eq!(family(0x00B0_0F21), ZEN5_FAMILY);
        assert_eq!(family(0x00A0_0F11), 0x19);
        assert_eq!(family(0x0008_06F8), 6);
        assert_eq!(family(0x0000_0F29), 0xF);
    }
}
