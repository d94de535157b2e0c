//! Which block of an Avro file the reader is in: apache-avro does not say, so the bytes it
//! reads are watched for the file's sync marker, which ends the header and every block.
//! A block is read whole (with its marker) before its first event is handed over, so
//! while block `n`'s events come out, `n + 1` markers have gone by.

use std::cell::Cell;
use std::io::{self, Read};

/// The length of an Avro sync marker.
const MARKER: usize = 16;

/// What the watching reader has seen, shared with the code that reads the events.
#[derive(Debug, Default)]
pub struct Seen {
    /// The marker, once the header is read; until then, the last bytes read.
    marker: Cell<Option<[u8; MARKER]>>,
    last: Cell<[u8; MARKER]>,
    /// Bytes of `last` that were read (fewer than 16 at the very start).
    filled: Cell<usize>,
    markers: Cell<u64>,
}

impl Seen {
    /// Takes the last 16 bytes read as the marker: call once the header is read.
    pub fn header_read(&self) {
        if self.filled.get() >= MARKER {
            self.marker.set(Some(self.last.get()));
            self.markers.set(1);
        }
    }

    /// The 1-based block the events now read come from.
    pub fn block(&self) -> u64 {
        self.whole_blocks().max(1)
    }

    /// Blocks read to their marker.
    pub fn whole_blocks(&self) -> u64 {
        self.markers.get().saturating_sub(1)
    }
}

/// A reader that watches for the marker in what passes through it.
pub struct Watched<'a, R> {
    pub inner: R,
    pub seen: &'a Seen,
}

impl<R: Read> Read for Watched<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        let fresh = &buf[..read];
        let seen = self.seen;
        // The previous bytes and these, so a marker cut between two reads is found.
        let previous = seen.last.get();
        let carried = &previous[MARKER - seen.filled.get().min(MARKER)..];
        let mut joined = Vec::with_capacity(carried.len() + fresh.len());
        joined.extend_from_slice(carried);
        joined.extend_from_slice(fresh);
        if let Some(marker) = seen.marker.get() {
            // Only markers that end in the fresh bytes are new.
            let found = memchr::memmem::find_iter(&joined, &marker)
                .filter(|&at| at + MARKER > carried.len())
                .count();
            seen.markers.set(seen.markers.get() + found as u64);
        }
        let tail = &joined[joined.len().saturating_sub(MARKER)..];
        let mut last = [0; MARKER];
        last[MARKER - tail.len()..].copy_from_slice(tail);
        seen.last.set(last);
        seen.filled.set(tail.len());
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_counted_even_when_a_read_cuts_them() {
        let marker = *b"0123456789abcdef";
        let mut file = b"Obj\x01header".to_vec();
        file.extend_from_slice(&marker);
        let header = file.len();
        for block in [&b"first block"[..], b"second", b"third block's data"] {
            file.extend_from_slice(block);
            file.extend_from_slice(&marker);
        }
        for step in [1, 3, 7, 16, 1000] {
            let seen = Seen::default();
            let mut reader = Watched {
                inner: &file[..],
                seen: &seen,
            };
            let mut buffer = vec![0; header];
            reader.read_exact(&mut buffer).expect("reads");
            seen.header_read();
            assert_eq!(seen.block(), 1);
            let mut chunk = vec![0; step];
            let mut blocks = Vec::new();
            loop {
                let read = reader.read(&mut chunk).expect("reads");
                if read == 0 {
                    break;
                }
                blocks.push(seen.block());
            }
            assert_eq!(seen.markers.get(), 4, "step {step}");
            assert_eq!(seen.block(), 3);
            assert!(blocks.windows(2).all(|w| w[0] <= w[1]));
        }
    }
}
