//! Reading JSON from raw bytes without parsing it: whitespace, an object member's key up
//! to its value, the end of a string, and the extent of a whole value, resumable when the
//! value runs past the bytes read so far.

use crate::input::fields::KeyKind;
use std::borrow::Cow;

pub(super) fn skip_whitespace(buf: &[u8], mut pos: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\t' | b'\r') = buf.get(pos) {
        pos += 1;
    }
    pos
}

/// A key, as a wrapper and as a table would take it.
pub(super) struct Key {
    pub(super) kind: KeyKind,
    pub(super) columns: bool,
    pub(super) rows: bool,
}

impl Key {
    pub(super) fn of(key: &str) -> Key {
        Key {
            kind: KeyKind::of(key),
            columns: key.eq_ignore_ascii_case("columns"),
            rows: key.eq_ignore_ascii_case("rows"),
        }
    }
}

pub(super) enum Header<'a> {
    More,
    Invalid,
    /// The key and where its value starts.
    Member(Cow<'a, str>, usize),
}

/// Reads `"key"`, the `:` and the whitespace around it, up to the first byte of the value.
pub(super) fn member_header(buf: &[u8], pos: usize) -> Header<'_> {
    let Some(end) = string_end(buf, pos + 1) else {
        return Header::More;
    };
    let raw = &buf[pos..end];
    let key = if memchr::memchr(b'\\', raw).is_some() {
        match serde_json::from_slice::<String>(raw) {
            Ok(key) => Cow::Owned(key),
            Err(_) => return Header::Invalid,
        }
    } else {
        match std::str::from_utf8(&raw[1..raw.len() - 1]) {
            Ok(key) if !key.bytes().any(|b| b < 0x20) => Cow::Borrowed(key),
            _ => return Header::Invalid,
        }
    };
    let colon = skip_whitespace(buf, end);
    match buf.get(colon) {
        None => return Header::More,
        Some(b':') => {}
        Some(_) => return Header::Invalid,
    }
    let value = skip_whitespace(buf, colon + 1);
    if value >= buf.len() {
        return Header::More;
    }
    Header::Member(key, value)
}

/// The end (after the closing quote) of the string whose content starts at `from`.
fn string_end(buf: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let at = from + memchr::memchr2(b'"', b'\\', buf.get(from..)?)?;
        if buf[at] == b'"' {
            return Some(at + 1);
        }
        from = at + 2;
    }
}

/// The scan through one value, resumable when the value runs past the bytes read.
#[derive(Debug, Clone, Copy)]
pub(super) struct Extent {
    resume: usize,
    depth: usize,
    pub(super) max_depth: usize,
    in_string: bool,
    scalar: bool,
}

impl Extent {
    /// Begins at the value's first byte; `None` when no JSON value starts with it.
    pub(super) fn start(byte: u8, at: usize) -> Option<Extent> {
        let extent = Extent {
            resume: at,
            depth: 0,
            max_depth: 0,
            in_string: false,
            scalar: false,
        };
        match byte {
            b'{' | b'[' | b'"' => Some(extent),
            b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => Some(Extent {
                scalar: true,
                ..extent
            }),
            _ => None,
        }
    }

    /// Scans on; the end of the value once it is whole.
    pub(super) fn scan(&mut self, buf: &[u8]) -> Option<usize> {
        let mut at = self.resume;
        if self.scalar {
            // Whatever follows is serde's to judge, as part of the unit or after it.
            while let Some(&byte) = buf.get(at) {
                if matches!(
                    byte,
                    b',' | b']' | b'}' | b':' | b'"' | b'[' | b'{' | b' ' | b'\n' | b'\t' | b'\r'
                ) {
                    return Some(at);
                }
                at += 1;
            }
            self.resume = at;
            return None;
        }
        loop {
            if self.in_string {
                let Some(found) = buf
                    .get(at..)
                    .and_then(|rest| memchr::memchr2(b'"', b'\\', rest))
                else {
                    self.resume = buf.len();
                    return None;
                };
                at += found;
                if buf[at] == b'\\' {
                    if at + 1 >= buf.len() {
                        // Read on from the backslash once the escaped byte is there.
                        self.resume = at;
                        return None;
                    }
                    at += 2;
                    continue;
                }
                self.in_string = false;
                at += 1;
                if self.depth == 0 {
                    return Some(at);
                }
            }
            loop {
                let Some(&byte) = buf.get(at) else {
                    self.resume = at;
                    return None;
                };
                at += 1;
                match byte {
                    b'"' => {
                        self.in_string = true;
                        break;
                    }
                    b'{' | b'[' => {
                        self.depth += 1;
                        self.max_depth = self.max_depth.max(self.depth);
                    }
                    b'}' | b']' => {
                        self.depth = self.depth.saturating_sub(1);
                        if self.depth == 0 {
                            return Some(at);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}
