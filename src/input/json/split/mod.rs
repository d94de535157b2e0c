//! Cuts JSON documents into their record-level elements, so that each can be parsed on
//! its own, on any core: the elements of a top-level array, of a `records` wrapper's
//! array, the rows of each `tables` table (with the table's columns), and any other
//! top-level value. A structural scanner looks only at brackets, strings and, at the
//! levels it walks, at keys, `:` and `,`; it reads the input in blocks and keeps its
//! state across them, so memory holds a few blocks, never the document.
//!
//! The scanner never guesses. Whatever it does not vouch for (malformed JSON, a cut-off
//! document, rows before their columns, an element too deep or too large) stops it at the
//! last point where it knew the parser's state; it then hands over a *skeleton*: a few
//! bytes of JSON that bring the serde walker to that same state, so that the walker can
//! read on from there and say exactly what it always said.
//!
//! This file holds what the splitter hands out (batches of pieces, the contexts of units,
//! what is left when it stops), its state, and the reading and cutting of batches. The
//! `scanner` walks the structure, `tokens` reads keys and values from raw bytes, and
//! `skeleton` writes the JSON that primes the walker.

mod scanner;
mod skeleton;
#[cfg(test)]
mod tests;
mod tokens;

use crate::input::Shape;
use crate::input::fields::Field;
use serde_json::Value;
use std::io::{self, BufRead};
use std::sync::Arc;
use tokens::Extent;

/// Elements nested deeper than this, counting the document's own levels, are left to the
/// serde walker: its recursion limit counts from the document's root, which an element
/// parsed alone would not.
const MAX_DEPTH: usize = 100;

/// The size buffers are made for: that of the blocks read in production.
const BLOCK: usize = 4 * 1024 * 1024;

/// Elements (or skipped values) larger than this are left to the streaming serde walker
/// rather than held whole.
pub(super) const UNIT_LIMIT: usize = 64 * 1024 * 1024;

/// A run of the input, cut where the scanner's state was known, and what is in it.
pub(super) struct Batch {
    pub bytes: Vec<u8>,
    pub pieces: Vec<Piece>,
    /// The contexts the units of this batch refer to.
    pub contexts: Vec<Arc<Context>>,
}

/// One thing for the walker to do, in input order.
pub(super) enum Piece {
    /// Parse `bytes[start..end]`, an element in `contexts[context]`.
    Unit {
        start: usize,
        end: usize,
        context: usize,
        /// Whether it is the first element of its array (for the skeleton).
        first: bool,
    },
    /// A wrapper began: the walker notes the input's shape.
    Saw(Shape),
    /// A query response reported an `error` beside its tables.
    Partial(Value),
}

/// Where units come from, and how the serde walker gets back there.
pub(super) struct Context {
    pub kind: UnitKind,
    /// The skeleton that brings the walker to the first element of this array.
    pub prefix: Vec<u8>,
}

impl Context {
    /// The skeleton for an element of this array and how many outcomes its dummy element
    /// makes (to be dropped).
    pub fn skeleton(&self, first: bool) -> (Vec<u8>, u64) {
        let mut skeleton = self.prefix.clone();
        if first || self.kind == UnitKind::Value(0) {
            return (skeleton, 0);
        }
        skeleton.extend_from_slice(b"0,");
        (skeleton, 1)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum UnitKind {
    /// A value the walker reads at this depth: 0 top-level, 1 in an array, 2 in `records`.
    Value(u8),
    /// A row of a table, mapped by its columns' fields.
    Row(Vec<Option<Field>>),
}

/// Why the scanner stopped before the end, and how the serde walker picks up.
pub(super) struct Resync {
    pub skeleton: Vec<u8>,
    /// Outcomes the skeleton's dummy element makes, to be dropped.
    pub dummies: u64,
}

/// What the scanner leaves when it stops: the bytes it read but did not hand out (from
/// the resync point when it stopped on its own), the reader, and, when it stopped on
/// something it does not vouch for, how to resume.
pub(super) struct Rest<'r> {
    pub bytes: Vec<u8>,
    pub reader: &'r mut dyn BufRead,
    pub resync: Option<Resync>,
}

/// Cuts the input into batches of whole units.
pub(super) struct Splitter<'r> {
    reader: &'r mut dyn BufRead,
    block_size: usize,
    unit_limit: usize,
    /// Input from the end of the last batch on.
    buf: Vec<u8>,
    pos: usize,
    /// The last point where the parser's state is the stack's (nothing half read).
    clean: usize,
    eof: bool,
    stack: Vec<Frame>,
    doing: Doing,
    documents: u64,
    pieces: Vec<Piece>,
    contexts: Vec<Arc<Context>>,
    top_level: Arc<Context>,
    /// Cut at the next clean point (a warning must stay last in its batch).
    cut_now: bool,
    finished: bool,
    resync: Option<Resync>,
    /// Buffers of delivered batches, to be filled again.
    spare: Vec<(Vec<u8>, Vec<Piece>)>,
}

struct Frame {
    kind: Kind,
    slot: Slot,
}

/// Where in its container the scanner is: just inside, after a `,`, after a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Open,
    Comma,
    Value,
}

enum Kind {
    /// An array whose elements are units: top-level, `records`, or `rows`.
    Units(Arc<Context>),
    /// The `tables` array; `first` is whether the table being read is its first.
    Tables {
        first: bool,
    },
    /// A top-level object with a `records` or `tables` key; `child` is the key whose
    /// array is being read.
    Wrapper {
        error: Option<Value>,
        child: &'static [u8],
    },
    Table {
        columns: Option<Columns>,
    },
    /// A top-level object not yet known to be a wrapper or a record.
    Pending {
        start: usize,
        members_end: Option<usize>,
        error: Option<(usize, usize)>,
    },
}

struct Columns {
    /// As the skeleton writes them: `[{"name":...},...]`.
    json: Vec<u8>,
    fields: Vec<Option<Field>>,
}

enum Doing {
    Idle,
    Unit {
        start: usize,
        first: bool,
        extent: Extent,
    },
    Member {
        start: usize,
        role: Role,
        extent: Extent,
    },
}

/// What becomes of an object member's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Checked and dropped.
    Skip,
    /// Part of a pending object: checked later if the object turns out to be a wrapper.
    Pending,
    PendingError,
    Error,
    Columns,
}

enum Step {
    More,
    Cut,
    Done,
    Stop,
}

impl<'r> Splitter<'r> {
    pub fn new(reader: &'r mut dyn BufRead, block_size: usize, unit_limit: usize) -> Self {
        Splitter {
            reader,
            block_size: block_size.max(1),
            unit_limit,
            buf: Vec::new(),
            pos: 0,
            clean: 0,
            eof: false,
            stack: Vec::new(),
            doing: Doing::Idle,
            documents: 0,
            pieces: Vec::new(),
            contexts: Vec::new(),
            top_level: Arc::new(Context {
                kind: UnitKind::Value(0),
                prefix: Vec::new(),
            }),
            cut_now: false,
            finished: false,
            resync: None,
            spare: Vec::new(),
        }
    }

    /// The next batch, or `None` at the end of the input or where the scanner stopped.
    pub fn next(&mut self) -> io::Result<Option<Batch>> {
        while !self.finished {
            match self.scan() {
                Step::Cut => return Ok(Some(self.cut())),
                Step::More if self.eof || self.buf.len() - self.clean > self.unit_limit => {
                    self.stop();
                    return Ok(self.last_batch());
                }
                Step::More => self.fill()?,
                Step::Done => {
                    self.finished = true;
                    return Ok(self.last_batch());
                }
                Step::Stop => {
                    self.stop();
                    return Ok(self.last_batch());
                }
            }
        }
        Ok(None)
    }

    /// Takes back a delivered batch, to fill its buffers again rather than allocate.
    pub fn recycle(&mut self, mut batch: Batch) {
        batch.pieces.clear();
        self.spare.push((batch.bytes, batch.pieces));
    }

    /// What is left once the batches are taken.
    pub fn into_rest(self) -> Rest<'r> {
        Rest {
            bytes: self.buf,
            reader: self.reader,
            resync: self.resync,
        }
    }

    fn stop(&mut self) {
        self.resync = Some(self.skeleton());
        self.pos = self.clean;
        self.finished = true;
        self.doing = Doing::Idle;
    }

    /// After the scanner finished or stopped: the batch of what was read up to there.
    fn last_batch(&mut self) -> Option<Batch> {
        (self.pos > 0 || !self.pieces.is_empty()).then(|| self.cut())
    }

    fn fill(&mut self) -> io::Result<()> {
        let available = self.reader.fill_buf()?;
        if available.is_empty() {
            self.eof = true;
            return Ok(());
        }
        // At most a block at a time, so that what follows a cut stays small.
        let taken = available.len().min(self.block_size);
        self.buf.extend_from_slice(&available[..taken]);
        self.reader.consume(taken);
        Ok(())
    }

    fn cut(&mut self) -> Batch {
        let (mut rest, pieces) = self.spare.pop().unwrap_or_default();
        rest.clear();
        if !self.finished {
            // Room for a block and what runs past it, so that the buffer does not grow by
            // doubling (each time new pages and a copy).
            rest.reserve(2 * self.block_size.min(BLOCK));
        }
        rest.extend_from_slice(&self.buf[self.pos..]);
        let mut bytes = std::mem::replace(&mut self.buf, rest);
        bytes.truncate(self.pos);
        self.pos = 0;
        self.clean = 0;
        self.cut_now = false;
        Batch {
            bytes,
            pieces: std::mem::replace(&mut self.pieces, pieces),
            contexts: std::mem::take(&mut self.contexts),
        }
    }
}
