//! Compressed streams: gzip and zip told apart from plain content by their first bytes
//! (peeked without losing them), and the cap that makes a decompressed stream fail once
//! it passes `--max-decompressed-size`.

use std::io::{self, Cursor, Read};

/// How a stream is compressed, told from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Compression {
    Gzip,
    Zip,
    None,
}

impl Compression {
    /// Needs the first four bytes (fewer only at the end of the input).
    pub(super) fn of(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
            Compression::Zip
        } else {
            Compression::None
        }
    }
}

/// Reads the first bytes and hands back a reader that yields them again.
pub(super) fn peek<'a>(
    mut reader: impl Read + 'a,
) -> io::Result<(Compression, Box<dyn Read + 'a>)> {
    let mut head = [0; 4];
    let filled = read_head(&mut reader, &mut head)?;
    let again = Cursor::new(head).take(filled as u64);
    Ok((
        Compression::of(&head[..filled]),
        Box::new(again.chain(reader)),
    ))
}

/// Fills `head` unless the input ends first; a pipe may hand over fewer bytes per read.
pub(super) fn read_head(reader: &mut dyn Read, head: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < head.len() {
        match reader.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(filled)
}

/// Fails once the stream has produced more than `limit` bytes.
pub(super) struct Limited<R> {
    inner: R,
    remaining: u64,
    limit: u64,
}

impl<R> Limited<R> {
    pub(super) fn new(inner: R, limit: u64) -> Limited<R> {
        Limited {
            inner,
            remaining: limit,
            limit,
        }
    }
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // One byte past the limit is enough to know it was passed.
        let room = usize::try_from(self.remaining.saturating_add(1)).unwrap_or(usize::MAX);
        let wanted = buf.len().min(room);
        let read = self.inner.read(&mut buf[..wanted])?;
        if read as u64 > self.remaining {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "decompressed size exceeds the limit of {} bytes (--max-decompressed-size)",
                    self.limit
                ),
            ));
        }
        self.remaining -= read as u64;
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::bundle::Limits;
    use crate::input::bundle::tests::{bundle, contents, expand_paths, gzip};

    #[test]
    fn a_decompression_bomb_stops_at_the_limit() {
        let limits = Limits {
            max_decompressed: 1 << 20,
            ..Limits::default()
        };
        let (units, _) = expand_paths(&[&bundle("bomb.gz")], &limits);
        let units = units.expect("expands");
        let err = contents(&units[0], &limits).expect_err("stopped");
        assert!(
            format!("{err:#}").ends_with(
                "decompressed size exceeds the limit of 1048576 bytes (--max-decompressed-size)"
            ),
            "{err:#}"
        );
    }

    #[test]
    fn the_limit_allows_exactly_its_size() {
        let read = |limit| {
            let mut bytes = Vec::new();
            Limited::new(&b"0123456789"[..], limit)
                .read_to_end(&mut bytes)
                .map(|_| bytes.len())
        };
        assert_eq!(read(10).expect("fits"), 10);
        assert_eq!(
            read(9).expect_err("too big").kind(),
            io::ErrorKind::InvalidData
        );
    }

    #[test]
    fn compression_is_told_from_the_first_bytes() {
        let cases: [(&[u8], Compression); 7] = [
            (&[0x1f, 0x8b, 0x08, 0x00], Compression::Gzip),
            (&[0x1f, 0x8b], Compression::Gzip),
            (b"PK\x03\x04", Compression::Zip),
            (b"PK\x05\x06", Compression::Zip),
            (b"PK\x03", Compression::None),
            (b"{\"ti", Compression::None),
            (b"", Compression::None),
        ];
        for (head, expected) in cases {
            assert_eq!(Compression::of(head), expected, "{head:?}");
        }
    }

    /// Hands over one byte per read, as a slow pipe may.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let Some((first, rest)) = self.0.split_first() else {
                return Ok(0);
            };
            buf[0] = *first;
            self.0 = rest;
            Ok(1)
        }
    }

    #[test]
    fn a_peeked_stream_keeps_its_first_bytes_even_from_a_slow_pipe() {
        let compressed = gzip(b"{}\n");
        let (compression, mut stream) = peek(Trickle(&compressed)).expect("peeks");
        assert_eq!(compression, Compression::Gzip);
        let mut again = Vec::new();
        stream.read_to_end(&mut again).expect("reads");
        assert_eq!(again, compressed);
        let (compression, _) = peek(Trickle(b"{")).expect("peeks");
        assert_eq!(compression, Compression::None);
    }
}
