//! Where each analyzed record is, by arrival number, in eight bytes: a finding points at
//! the first record of its evidence, and the events themselves stay a few words each.

use crate::model::Position;

/// At most this many places are kept (512 MiB); the records after them are found by
/// their device's first record of the code instead.
const MOST: usize = 1 << 26;

/// Bits of the line or record number; the input and the number's kind take the rest.
const NUMBER_BITS: u32 = 46;
const LINE_BIT: u64 = 1 << NUMBER_BITS;
const INPUT_SHIFT: u32 = NUMBER_BITS + 1;
/// Inputs are numbered from 1 in the packed form; 0 is "not kept".
const INPUTS: usize = (1 << (64 - INPUT_SHIFT)) - 1;

/// Places per chunk: chunks are allocated whole and never moved, so that keeping a
/// place never copies the ones before it.
const CHUNK_BITS: u32 = 16;
const CHUNK: usize = 1 << CHUNK_BITS;

/// Places by arrival number (1, 2, ...).
#[derive(Debug, Default)]
pub struct Places {
    chunks: Vec<Vec<u64>>,
    len: usize,
}

impl Places {
    /// Keeps where the record with arrival number `sequence` is.
    pub fn push(&mut self, sequence: u32, at: &Position) {
        let index = sequence as usize - 1;
        if index != self.len || index >= MOST {
            return;
        }
        if index.is_multiple_of(CHUNK) {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        if let Some(chunk) = self.chunks.last_mut() {
            chunk.push(pack(at));
            self.len += 1;
        }
    }

    /// Where the record with arrival number `sequence` is, if kept.
    pub fn get(&self, sequence: u32) -> Option<Position> {
        let index = (sequence as usize).checked_sub(1)?;
        let packed = *self.chunks.get(index >> CHUNK_BITS)?.get(index % CHUNK)?;
        unpack(packed)
    }
}

fn pack(at: &Position) -> u64 {
    if at.input >= INPUTS {
        return 0;
    }
    let input = (at.input as u64 + 1) << INPUT_SHIFT;
    let number = |n: u64| n.min(LINE_BIT - 1);
    match (at.line, at.record) {
        (Some(line), _) => input | LINE_BIT | number(line),
        (None, Some(record)) => input | number(record),
        (None, None) => 0,
    }
}

fn unpack(packed: u64) -> Option<Position> {
    let input = (packed >> INPUT_SHIFT).checked_sub(1)? as usize;
    let number = packed & (LINE_BIT - 1);
    Some(if packed & LINE_BIT != 0 {
        Position::line(input, number)
    } else {
        Position::record(input, number)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_come_back_as_they_were_kept() {
        let mut places = Places::default();
        let kept = [
            Position::line(0, 1),
            Position::record(3, 17),
            Position::line(65_000, 1 << 40),
        ];
        for (sequence, at) in (1..).zip(&kept) {
            places.push(sequence, at);
        }
        for (sequence, at) in (1..).zip(&kept) {
            assert_eq!(places.get(sequence).as_ref(), Some(at));
        }
        assert_eq!(places.get(0), None);
        assert_eq!(places.get(4), None);
    }

    #[test]
    fn places_past_a_chunk_are_kept_in_the_next() {
        let mut places = Places::default();
        let count = u32::try_from(CHUNK).expect("a chunk's size") + 3;
        for sequence in 1..=count {
            places.push(sequence, &Position::line(0, u64::from(sequence) * 2));
        }
        assert_eq!(places.chunks.len(), 2);
        for sequence in [1, count - 3, count - 2, count] {
            assert_eq!(
                places.get(sequence),
                Some(Position::line(0, u64::from(sequence) * 2))
            );
        }
        assert_eq!(places.get(count + 1), None);
    }

    #[test]
    fn a_record_within_a_line_is_placed_at_its_line() {
        let mut places = Places::default();
        let at = Position {
            input: 1,
            line: Some(9),
            record: Some(2),
        };
        places.push(1, &at);
        assert_eq!(places.get(1), Some(Position::line(1, 9)));
    }
}
