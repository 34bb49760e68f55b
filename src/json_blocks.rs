//! The structural classifier both JSON scanners share: which bytes of a 64-byte block are
//! quotes, backslashes, opening and closing brackets, and which lie inside strings. The
//! CloudTrail record splitter (`activity::record_splitter`) and the snapshot locator
//! (`inventory::json_scan`) build their scans on it; each keeps its own handling of escapes
//! and nesting, which differ (a stream over refills, a slice in memory).
//!
//! This module holds the project's one SIMD `unsafe` block: SSE2 on x86-64 (part of the
//! architecture's baseline), a portable byte loop elsewhere, tested against each other.

/// Which bytes of a 64-byte block are quotes, backslashes, `{`/`[` and `}`/`]` (bit `i`
/// for byte `i`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Masks {
    pub quote: u64,
    pub backslash: u64,
    /// `{` or `[`.
    pub open: u64,
    /// `}` or `]`.
    pub close: u64,
}

/// The masks of `block`, by SSE2 (part of every x86-64 CPU).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub fn masks(block: &[u8; 64]) -> Masks {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let mut masks = Masks::default();
    // SAFETY: SSE2 is in the x86-64 baseline, so every CPU this code runs on has these
    // intrinsics. Each load reads the 16 bytes at `lane * 16`, `lane < 4`, all inside the
    // 64-byte `block`; `_mm_loadu_si128` has no alignment requirement.
    unsafe {
        let bits = |vector: __m128i, byte: u8| {
            u64::from(_mm_movemask_epi8(_mm_cmpeq_epi8(vector, _mm_set1_epi8(byte as i8))) as u16)
        };
        for lane in 0..4 {
            let bytes = _mm_loadu_si128(block.as_ptr().add(lane * 16).cast::<__m128i>());
            // `{` and `[` differ only in bit 0x20, as do `}` and `]`; no other byte ORs to them.
            let folded = _mm_or_si128(bytes, _mm_set1_epi8(0x20));
            let shift = 16 * lane;
            masks.quote |= bits(bytes, b'"') << shift;
            masks.backslash |= bits(bytes, b'\\') << shift;
            masks.open |= bits(folded, b'{') << shift;
            masks.close |= bits(folded, b'}') << shift;
        }
    }
    masks
}

/// The masks of `block`, on other architectures.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub fn masks(block: &[u8; 64]) -> Masks {
    masks_portable(block)
}

/// The masks of `block`, byte by byte (other architectures; and the reference the SSE2
/// version is tested against).
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn masks_portable(block: &[u8; 64]) -> Masks {
    let mut masks = Masks::default();
    for (index, &byte) in block.iter().enumerate() {
        let bit = 1u64 << index;
        match byte {
            b'"' => masks.quote |= bit,
            b'\\' => masks.backslash |= bit,
            b'{' | b'[' => masks.open |= bit,
            b'}' | b']' => masks.close |= bit,
            _ => {}
        }
    }
    masks
}

/// Bit `i` is the XOR of bits `0..=i`: with the (unescaped) quote mask, the bytes from an
/// opening quote up to, not including, its closing quote.
#[inline(always)]
pub fn prefix_xor(mut bits: u64) -> u64 {
    bits ^= bits << 1;
    bits ^= bits << 2;
    bits ^= bits << 4;
    bits ^= bits << 8;
    bits ^= bits << 16;
    bits ^= bits << 32;
    bits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse2_masks_equal_the_portable_ones() {
        let mut block = [0u8; 64];
        for seed in 0u8..=255 {
            for (index, byte) in block.iter_mut().enumerate() {
                // Every byte value appears, at every position, mixed with structure.
                let structural = b"\"\\{}[]a z"[(index + usize::from(seed)) % 9];
                *byte = if index % 3 == 0 {
                    seed.wrapping_add(index as u8)
                } else {
                    structural
                };
            }
            assert_eq!(masks(&block), masks_portable(&block), "seed {seed}");
        }
    }

    #[test]
    fn prefix_xor_marks_string_insides() {
        // Quotes at 1 and 4: bytes 1, 2, 3 are inside (opening quote included).
        assert_eq!(prefix_xor(0b1_0010), 0b0_1110);
        assert_eq!(prefix_xor(1 << 63), 1 << 63);
        assert_eq!(prefix_xor(1), u64::MAX);
    }
}
