//! Where the splitter stops or an element fails to parse, the serde walker takes over: a
//! skeleton primes it with the state the splitter was in, it reads the rest of the input
//! from there, and what it says is renumbered and placed as if it had read the input
//! from its start.

use super::describe_in_document;
use super::seeds::ValueSeed;
use super::walker::Walker;
use crate::input::raw::Outcome;
use crate::input::{Shape, Sink};
use crate::model::Position;
use serde::de::DeserializeSeed;
use std::collections::VecDeque;
use std::io::{self, BufRead, Read};

/// Where the serde walker takes over: the skeleton and the input from there on, as far as
/// it was read.
pub(super) struct Resume {
    pub(super) parts: VecDeque<Vec<u8>>,
    pub(super) dummies: u64,
    pub(super) line: usize,
    pub(super) column: usize,
}

/// Reads the rest of the input with the serde walker, primed by `resume`'s skeleton,
/// after `records` records were delivered and `shape` seen.
pub(super) fn take_over(
    resume: Resume,
    reader: &mut dyn BufRead,
    input: usize,
    sink: &mut dyn Sink,
    records: u64,
    shape: Option<Shape>,
) -> io::Result<Shape> {
    let mut renumbered = Renumbered {
        sink,
        base: records,
        dummies: resume.dummies,
        seen: 0,
    };
    let mut walker = Walker::new(input, &mut renumbered);
    walker.numbered = true;
    walker.shape = shape;
    let skeleton = resume.parts.front().map_or(0, Vec::len);
    let (line, column) = (resume.line, resume.column);
    // serde counts from the skeleton's start, on one line; the input goes on from `line`,
    // `column`.
    let place = |at_line: usize, at_column: usize| {
        if at_line <= 1 {
            (line, column + at_column.saturating_sub(skeleton))
        } else {
            (line + at_line - 1, at_column)
        }
    };
    let mut stream = Parts {
        pieces: resume.parts,
        at: 0,
        reader,
    };
    walk_documents(&mut stream, &mut walker, &place)?;
    Ok(walker.shape.unwrap_or(Shape::JsonArray))
}

/// Walks documents with serde, one after another, from a reader: the way documents were
/// always read, and still are where the splitter stops.
pub(super) fn walk_documents(
    reader: &mut dyn Read,
    walker: &mut Walker<'_>,
    place: &dyn Fn(usize, usize) -> (usize, usize),
) -> io::Result<()> {
    let mut de = serde_json::Deserializer::from_reader(reader);
    loop {
        if let Err(err) = (ValueSeed {
            walker: &mut *walker,
            depth: 0,
        })
        .deserialize(&mut de)
        {
            if err.is_io() {
                return Err(io::Error::other(err));
            }
            walker.records += 1;
            let position = Position::record(walker.input, walker.records);
            let message = format!(
                "invalid JSON, the rest of the input is unreadable: {}",
                describe_in_document(&err, place)
            );
            walker.sink.outcome(position, Outcome::Skipped(message));
            break;
        }
        if de.end().is_ok() {
            break;
        }
    }
    Ok(())
}

/// The sink of the serde walker once it takes over: drops what the skeleton's dummy
/// element makes and numbers records on from those delivered.
struct Renumbered<'s> {
    sink: &'s mut dyn Sink,
    base: u64,
    dummies: u64,
    seen: u64,
}

impl Sink for Renumbered<'_> {
    fn outcome(&mut self, mut position: Position, outcome: Outcome) {
        self.seen += 1;
        if self.seen <= self.dummies {
            return;
        }
        let (base, dummies) = (self.base, self.dummies);
        renumber(&mut position, |record| {
            base + record.saturating_sub(dummies)
        });
        self.sink.outcome(position, outcome);
    }

    fn warning(&mut self, input: usize, message: String) {
        self.sink.warning(input, message);
    }
}

/// The skeleton, the input already read, then the rest of the reader.
struct Parts<'r> {
    pieces: VecDeque<Vec<u8>>,
    at: usize,
    reader: &'r mut dyn BufRead,
}

impl Read for Parts<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while let Some(part) = self.pieces.front() {
            if self.at < part.len() {
                let taken = (part.len() - self.at).min(out.len());
                out[..taken].copy_from_slice(&part[self.at..self.at + taken]);
                self.at += taken;
                return Ok(taken);
            }
            self.pieces.pop_front();
            self.at = 0;
        }
        self.reader.read(out)
    }
}

/// Moves record numbers: those of a batch (from 1) or of the serde walker (after its
/// skeleton's dummies) to their place in the input.
pub(super) fn renumber(position: &mut Position, to: impl Fn(u64) -> u64) {
    position.record = position.record.map(&to);
}
