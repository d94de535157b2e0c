//! JSON strings written as serde_json writes them: `"` and `\` escaped with a
//! backslash, the control characters below U+0020 as `\b \t \n \f \r` or `\u00XX` in
//! lower-case hex, everything else (DEL, non-ASCII, U+2028) as it is.
//!
//! serde_json looks each byte up in a table; a report is mostly keys, ids, times and
//! the code table's long texts, with nothing to escape, so here sixteen or eight bytes
//! are checked at once and a string without anything to escape is copied whole.

/// `text` as a quoted JSON string.
pub fn write_str(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    if needs_escape(bytes) {
        write_escaped(out, bytes);
    } else {
        out.extend_from_slice(bytes);
    }
    out.push(b'"');
}

/// Whether any byte is to be escaped. Every length is checked with loads of a fixed
/// size that may overlap, sixteen, eight or four bytes, rather than a byte at a time:
/// most keys are shorter than eight bytes and most values shorter than sixteen.
fn needs_escape(bytes: &[u8]) -> bool {
    let len = bytes.len();
    if len >= 16 {
        let mut blocks = bytes.chunks_exact(16);
        if blocks.any(|block| block_has_escape(block.try_into().expect("sixteen bytes"))) {
            return true;
        }
        let last = &bytes[len - 16..];
        !blocks.remainder().is_empty() && block_has_escape(last.try_into().expect("sixteen bytes"))
    } else if len >= 8 {
        let first = u64::from_le_bytes(bytes[..8].try_into().expect("eight bytes"));
        let last = u64::from_le_bytes(bytes[len - 8..].try_into().expect("eight bytes"));
        escapes(first) | escapes(last) != 0
    } else if len >= 4 {
        let first = u32::from_le_bytes(bytes[..4].try_into().expect("four bytes"));
        let last = u32::from_le_bytes(bytes[len - 4..].try_into().expect("four bytes"));
        escapes(u64::from(first) | (u64::from(last) << 32)) != 0
    } else {
        bytes.iter().any(|&byte| ESCAPE[usize::from(byte)] != 0)
    }
}

/// Whether any of sixteen bytes is below 0x20, `"` or `\`, by SSE2, which every x86-64
/// processor has.
#[cfg(target_arch = "x86_64")]
fn block_has_escape(block: &[u8; 16]) -> bool {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    // SAFETY: SSE2 is part of x86-64, and the unaligned load reads the sixteen bytes
    // of `block`.
    unsafe {
        let bytes = _mm_loadu_si128(block.as_ptr().cast());
        let quote = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'\\' as i8));
        // A byte is below 0x20 when the unsigned minimum with 0x1f leaves it as it is.
        let control = _mm_cmpeq_epi8(_mm_min_epu8(bytes, _mm_set1_epi8(0x1f)), bytes);
        _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control)) != 0
    }
}

/// Whether any of sixteen bytes is below 0x20, `"` or `\`, as two words.
#[cfg(not(target_arch = "x86_64"))]
fn block_has_escape(block: &[u8; 16]) -> bool {
    let (low, high) = block.split_at(8);
    let low = u64::from_le_bytes(low.try_into().expect("eight bytes"));
    let high = u64::from_le_bytes(high.try_into().expect("eight bytes"));
    escapes(low) | escapes(high) != 0
}

/// Of the eight bytes of `word`, those below 0x20, `"` or `\` have their high bit set
/// (and maybe some after them; none when there is no such byte). Each test is the
/// classic "has a byte less than n", `(x - n…n) & !x & 0x80…80`, exact about whether
/// such a byte exists for n up to 0x80; equality is "less than 1" after an exclusive or.
fn escapes(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x;
    let control = below(word, 0x20);
    let quote = below(word ^ (ONES * u64::from(b'"')), 1);
    let backslash = below(word ^ (ONES * u64::from(b'\\')), 1);
    (control | quote | backslash) & HIGH
}

/// `bytes` with their escapes. Rare: kept out of the way of [`write_str`].
#[cold]
#[inline(never)]
fn write_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut start = 0;
    for (at, &byte) in bytes.iter().enumerate() {
        let escape = ESCAPE[usize::from(byte)];
        if escape == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[start..at]);
        if escape == b'u' {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(byte >> 4)]);
            out.push(HEX[usize::from(byte & 0xf)]);
        } else {
            out.extend_from_slice(&[b'\\', escape]);
        }
        start = at + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// For each byte, the letter after the backslash that stands for it (`u` for
/// `\u00XX`), or 0 when it is written as it is.
static ESCAPE: [u8; 256] = {
    let mut table = [0; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = b'u';
        byte += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    fn written(text: &str) -> String {
        let mut out = Vec::new();
        write_str(&mut out, text);
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn every_byte_at_every_place_of_a_word_is_escaped_as_serde_json_does() {
        for byte in 0u8..0x80 {
            let special = char::from(byte).to_string();
            for len in 0..=40 {
                for at in 0..=len {
                    let text = "a".repeat(at) + &special + &"é".repeat(len - at);
                    let expected = serde_json::to_string(&text).expect("serializes");
                    assert_eq!(written(&text), expected, "{byte:#x} at {at} of {len}");
                }
            }
        }
    }

    #[test]
    fn hostile_strings_are_escaped_as_serde_json_does() {
        let cases = [
            "",
            "\"",
            "\\",
            "\"\\\"\\",
            "\u{7f}\u{80}\u{ff}",
            "line\u{2028}separator\u{2029}",
            "\0\u{1}\u{1f} \u{7f}",
            "tab\tnew\nline\rform\u{c}back\u{8}",
            "日本語のデバイス🚀",
            "=cmd|' /C calc'!A0<script>&\"\n::error::x|*_[a](b)",
            "2026-03-02T09:10:04.1234567Z",
            "ends with a quote\"",
            "\\\\\\\\\\\\\\\\\\",
        ];
        for text in cases {
            let expected = serde_json::to_string(text).expect("serializes");
            assert_eq!(written(text), expected, "{text:?}");
        }
    }

    #[test]
    fn the_word_check_agrees_with_the_table_on_every_byte_in_every_lane() {
        for byte in 0u8..=255 {
            for lane in 0..8 {
                for filler in [b'a', 0x7f, 0xff, b'!', b'#', b'[', b']'] {
                    let mut word = [filler; 8];
                    word[lane] = byte;
                    assert_eq!(
                        escapes(u64::from_le_bytes(word)) != 0,
                        ESCAPE[usize::from(byte)] != 0 || ESCAPE[usize::from(filler)] != 0,
                        "{byte:#x} in lane {lane} among {filler:#x}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_block_check_agrees_with_the_table_on_every_byte_in_every_lane() {
        for byte in 0u8..=255 {
            for lane in 0..16 {
                for filler in [b'a', 0x7f, 0x80, 0xff, b'!', b'#', b'[', b']', b' '] {
                    let mut block = [filler; 16];
                    block[lane] = byte;
                    assert_eq!(
                        block_has_escape(&block),
                        ESCAPE[usize::from(byte)] != 0 || ESCAPE[usize::from(filler)] != 0,
                        "{byte:#x} in lane {lane} among {filler:#x}"
                    );
                }
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        #[test]
        fn any_string_is_escaped_as_serde_json_does(text in "(?s).{0,70}|[\\x00-\\x7f]{0,70}|[ -~]{0,70}") {
            proptest::prop_assert_eq!(written(&text), serde_json::to_string(&text).expect("serializes"));
        }
    }
}
