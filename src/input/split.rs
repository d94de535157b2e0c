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

use super::Shape;
use super::fields::{Field, KeyKind};
use serde_json::Value;
use std::borrow::Cow;
use std::io::{self, BufRead};
use std::sync::Arc;

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

#[derive(serde::Deserialize, serde::Serialize)]
struct Column {
    name: String,
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

    fn scan(&mut self) -> Step {
        loop {
            let step = match self.doing {
                Doing::Idle => self.structure(),
                Doing::Unit { .. } => self.unit(),
                Doing::Member { .. } => self.member_value(),
            };
            if let Some(step) = step {
                return step;
            }
        }
    }

    /// Between tokens: reads the next structural token of the innermost container.
    fn structure(&mut self) -> Option<Step> {
        let pending = matches!(
            self.stack.last(),
            Some(Frame {
                kind: Kind::Pending { .. },
                ..
            })
        );
        if !pending {
            self.clean = self.pos;
            if self.pos > 0 && (self.pos >= self.block_size || self.cut_now) {
                return Some(Step::Cut);
            }
        }
        self.pos = skip_whitespace(&self.buf, self.pos);
        let Some(&byte) = self.buf.get(self.pos) else {
            return Some(if !self.eof {
                Step::More
            } else if self.stack.is_empty() && self.documents > 0 {
                Step::Done
            } else {
                // A document cut off, or no document at all: serde has the words.
                Step::Stop
            });
        };
        let Some(frame) = self.stack.last_mut() else {
            return self.document(byte);
        };
        match (&frame.kind, frame.slot, byte) {
            (Kind::Units(_) | Kind::Tables { .. }, Slot::Open | Slot::Value, b']') => {
                self.pos += 1;
                self.close();
            }
            (Kind::Units(_), Slot::Open | Slot::Comma, _) => {
                let Some(extent) = Extent::start(byte, self.pos) else {
                    return Some(Step::Stop);
                };
                self.doing = Doing::Unit {
                    start: self.pos,
                    first: frame.slot == Slot::Open,
                    extent,
                };
            }
            (Kind::Tables { .. }, Slot::Open | Slot::Comma, b'{') => {
                frame.kind = Kind::Tables {
                    first: frame.slot == Slot::Open,
                };
                frame.slot = Slot::Value;
                self.pos += 1;
                self.stack.push(Frame {
                    kind: Kind::Table { columns: None },
                    slot: Slot::Open,
                });
            }
            (_, Slot::Value, b',') => {
                frame.slot = Slot::Comma;
                self.pos += 1;
            }
            (Kind::Wrapper { .. } | Kind::Table { .. } | Kind::Pending { .. }, slot, b'}')
                if slot != Slot::Comma =>
            {
                self.pos += 1;
                if !self.close() {
                    return Some(Step::Stop);
                }
            }
            (Kind::Wrapper { .. } | Kind::Table { .. } | Kind::Pending { .. }, slot, b'"')
                if slot != Slot::Value =>
            {
                return self.member();
            }
            _ => return Some(Step::Stop),
        }
        None
    }

    /// At the top level: a document begins.
    fn document(&mut self, byte: u8) -> Option<Step> {
        match byte {
            b'[' => {
                self.documents += 1;
                self.pos += 1;
                self.pieces.push(Piece::Saw(Shape::JsonArray));
                self.push_units(UnitKind::Value(1));
                None
            }
            b'{' => {
                self.documents += 1;
                self.stack.push(Frame {
                    kind: Kind::Pending {
                        start: self.pos,
                        members_end: None,
                        error: None,
                    },
                    slot: Slot::Open,
                });
                self.pos += 1;
                None
            }
            // A bare string or number as a document: not worth a fast path.
            _ => Some(Step::Stop),
        }
    }

    fn push_units(&mut self, kind: UnitKind) {
        let mut prefix = Vec::new();
        self.write_skeleton(&mut prefix, true);
        prefix.push(b'[');
        let context = Arc::new(Context { kind, prefix });
        self.stack.push(Frame {
            kind: Kind::Units(context),
            slot: Slot::Open,
        });
    }

    /// The closing bracket of the innermost container was read; false when what it
    /// closes is left to serde.
    fn close(&mut self) -> bool {
        let Some(frame) = self.stack.pop() else {
            return false;
        };
        match frame.kind {
            Kind::Pending { start, .. } => {
                // No wrapper key: the object is a record.
                if self.pos - start > self.unit_limit {
                    self.stack.push(frame);
                    return false;
                }
                let context = self.context_index(&Arc::clone(&self.top_level));
                self.pieces.push(Piece::Unit {
                    start,
                    end: self.pos,
                    context,
                    first: true,
                });
            }
            Kind::Wrapper {
                error: Some(error), ..
            } => {
                self.pieces.push(Piece::Partial(error));
                self.cut_now = true;
            }
            _ => {}
        }
        true
    }

    fn context_index(&mut self, context: &Arc<Context>) -> usize {
        match self.contexts.last() {
            Some(last) if Arc::ptr_eq(last, context) => {}
            _ => self.contexts.push(Arc::clone(context)),
        }
        self.contexts.len() - 1
    }

    /// Scans on through the element being read; once whole, it becomes a unit.
    fn unit(&mut self) -> Option<Step> {
        let Doing::Unit {
            start,
            first,
            ref mut extent,
        } = self.doing
        else {
            return None;
        };
        let Some(end) = extent.scan(&self.buf) else {
            return Some(Step::More);
        };
        if self.stack.len() + extent.max_depth > MAX_DEPTH || end - start > self.unit_limit {
            return Some(Step::Stop);
        }
        let Some(Frame {
            kind: Kind::Units(context),
            slot,
        }) = self.stack.last_mut()
        else {
            return Some(Step::Stop);
        };
        *slot = Slot::Value;
        let context = Arc::clone(context);
        let context = self.context_index(&context);
        self.pieces.push(Piece::Unit {
            start,
            end,
            context,
            first,
        });
        self.pos = end;
        self.doing = Doing::Idle;
        None
    }

    /// A key of a wrapper, a table or a pending object, up to the start of its value.
    fn member(&mut self) -> Option<Step> {
        let (key, value) = match member_header(&self.buf, self.pos) {
            Header::More => return Some(Step::More),
            Header::Invalid => return Some(Step::Stop),
            Header::Member(key, value) => (Key::of(&key), value),
        };
        let Some(frame) = self.stack.last_mut() else {
            return Some(Step::Stop);
        };
        let opens_array = self.buf[value] == b'[';
        let role = match &mut frame.kind {
            Kind::Table { columns } => {
                if key.columns {
                    Role::Columns
                } else if key.rows {
                    // Rows before their columns are left to serde, which keeps them.
                    let (Some(columns), true) = (columns, opens_array) else {
                        return Some(Step::Stop);
                    };
                    let fields = columns.fields.clone();
                    frame.slot = Slot::Value;
                    self.pos = value + 1;
                    self.push_units(UnitKind::Row(fields));
                    return None;
                } else {
                    Role::Skip
                }
            }
            Kind::Wrapper { .. } | Kind::Pending { .. } => match key.kind {
                kind @ (KeyKind::Records | KeyKind::Tables) => {
                    return self.wrapper_child(kind, value);
                }
                KeyKind::Error if matches!(frame.kind, Kind::Pending { .. }) => Role::PendingError,
                KeyKind::Error => Role::Error,
                _ if matches!(frame.kind, Kind::Pending { .. }) => Role::Pending,
                _ => Role::Skip,
            },
            Kind::Units(_) | Kind::Tables { .. } => return Some(Step::Stop),
        };
        let Some(extent) = Extent::start(self.buf[value], value) else {
            return Some(Step::Stop);
        };
        self.doing = Doing::Member {
            start: value,
            role,
            extent,
        };
        None
    }

    /// The array of a `records` or `tables` key of a top-level object begins.
    fn wrapper_child(&mut self, kind: KeyKind, value: usize) -> Option<Step> {
        if self.buf[value] != b'[' {
            return Some(Step::Stop);
        }
        let Some(frame) = self.stack.last_mut() else {
            return Some(Step::Stop);
        };
        if let Kind::Pending {
            start,
            members_end,
            error,
        } = frame.kind
        {
            // The members before the key were only scanned: serde must accept them (as
            // it reads a record's members) for this to be a wrapper it would have read.
            let error = match members_end {
                Some(end) => {
                    let mut members = self.buf[start..end].to_vec();
                    members.push(b'}');
                    if serde_json::from_slice::<Value>(&members).is_err() {
                        return Some(Step::Stop);
                    }
                    match error.map(|(from, to)| serde_json::from_slice(&self.buf[from..to])) {
                        Some(Ok(value)) => Some(value),
                        Some(Err(_)) => return Some(Step::Stop),
                        None => None,
                    }
                }
                None => None,
            };
            frame.kind = Kind::Wrapper { error, child: b"" };
        }
        let Kind::Wrapper { child, .. } = &mut frame.kind else {
            return Some(Step::Stop);
        };
        frame.slot = Slot::Value;
        self.pos = value + 1;
        if kind == KeyKind::Records {
            *child = b"\"records\"";
            self.pieces.push(Piece::Saw(Shape::Records));
            self.push_units(UnitKind::Value(2));
        } else {
            *child = b"\"tables\"";
            self.pieces.push(Piece::Saw(Shape::Tables));
            self.stack.push(Frame {
                kind: Kind::Tables { first: true },
                slot: Slot::Open,
            });
        }
        None
    }

    /// Scans on through a member's value; once whole, it is checked or kept.
    fn member_value(&mut self) -> Option<Step> {
        let Doing::Member {
            start,
            role,
            ref mut extent,
        } = self.doing
        else {
            return None;
        };
        let Some(end) = extent.scan(&self.buf) else {
            return Some(Step::More);
        };
        if self.stack.len() + extent.max_depth > MAX_DEPTH || end - start > self.unit_limit {
            return Some(Step::Stop);
        }
        let value = &self.buf[start..end];
        let Some(frame) = self.stack.last_mut() else {
            return Some(Step::Stop);
        };
        match (role, &mut frame.kind) {
            (Role::Skip, _) => {
                // A `Value` accepts no less than what serde reads these members with.
                if serde_json::from_slice::<Value>(value).is_err() {
                    return Some(Step::Stop);
                }
            }
            (
                Role::Pending | Role::PendingError,
                Kind::Pending {
                    members_end, error, ..
                },
            ) => {
                *members_end = Some(end);
                if role == Role::PendingError {
                    *error = Some((start, end));
                }
            }
            (Role::Error, Kind::Wrapper { error, .. }) => match serde_json::from_slice(value) {
                Ok(value) => *error = Some(value),
                Err(_) => return Some(Step::Stop),
            },
            (Role::Columns, Kind::Table { columns }) => {
                let Ok(list) = serde_json::from_slice::<Vec<Column>>(value) else {
                    return Some(Step::Stop);
                };
                let Ok(json) = serde_json::to_vec(&list) else {
                    return Some(Step::Stop);
                };
                let fields = list.iter().map(|c| Field::from_key(&c.name)).collect();
                *columns = Some(Columns { json, fields });
            }
            _ => return Some(Step::Stop),
        }
        frame.slot = Slot::Value;
        self.pos = end;
        self.doing = Doing::Idle;
        None
    }

    /// The skeleton of the stack as it stands at the last clean point.
    fn skeleton(&self) -> Resync {
        let mut skeleton = Vec::new();
        if matches!(
            self.stack.last(),
            Some(Frame {
                kind: Kind::Pending { .. },
                ..
            })
        ) {
            // A pending object is read again from its start, at the top level.
            return Resync {
                skeleton,
                dummies: 0,
            };
        }
        let dummies = self.write_skeleton(&mut skeleton, false);
        Resync { skeleton, dummies }
    }

    /// Writes JSON that leaves the serde walker where the scanner is: each container
    /// opened, with dummy members or elements that stand for those already read; with
    /// `child`, up to where the innermost container's child array opens. Returns how
    /// many outcomes the dummies make.
    fn write_skeleton(&self, out: &mut Vec<u8>, child: bool) -> u64 {
        let mut dummies = 0;
        for (index, frame) in self.stack.iter().enumerate() {
            let innermost = index + 1 == self.stack.len() && !child;
            let slot = frame.slot;
            match &frame.kind {
                Kind::Units(_) => {
                    out.push(b'[');
                    if slot != Slot::Open {
                        out.push(b'0');
                        dummies += 1;
                    }
                }
                Kind::Tables { first } => {
                    out.push(b'[');
                    if innermost && slot != Slot::Open || !innermost && !first {
                        out.extend_from_slice(b"{}");
                    }
                    if !innermost && !first {
                        out.push(b',');
                    }
                }
                Kind::Wrapper { error, child } => {
                    // An empty `records` makes it a wrapper for serde too.
                    out.extend_from_slice(b"{\"records\":[]");
                    if let Some(error) = error {
                        out.extend_from_slice(b",\"error\":");
                        out.extend_from_slice(error.to_string().as_bytes());
                    }
                    if !innermost {
                        out.push(b',');
                        out.extend_from_slice(child);
                        out.push(b':');
                    }
                }
                Kind::Table { columns } => {
                    out.push(b'{');
                    match columns {
                        Some(columns) => {
                            out.extend_from_slice(b"\"columns\":");
                            out.extend_from_slice(&columns.json);
                        }
                        None if slot != Slot::Open => out.extend_from_slice(b"\"\":0"),
                        None => {}
                    }
                    if !innermost {
                        out.extend_from_slice(b",\"rows\":");
                    }
                }
                Kind::Pending { .. } => {}
            }
            match slot {
                Slot::Comma if innermost => out.push(b','),
                // So that a dummy `0` and what follows are not read as one number.
                Slot::Value if innermost => out.push(b' '),
                _ => {}
            }
        }
        dummies
    }
}

fn skip_whitespace(buf: &[u8], mut pos: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\t' | b'\r') = buf.get(pos) {
        pos += 1;
    }
    pos
}

/// A key, as a wrapper and as a table would take it.
struct Key {
    kind: KeyKind,
    columns: bool,
    rows: bool,
}

impl Key {
    fn of(key: &str) -> Key {
        Key {
            kind: KeyKind::of(key),
            columns: key.eq_ignore_ascii_case("columns"),
            rows: key.eq_ignore_ascii_case("rows"),
        }
    }
}

enum Header<'a> {
    More,
    Invalid,
    /// The key and where its value starts.
    Member(Cow<'a, str>, usize),
}

/// Reads `"key"`, the `:` and the whitespace around it, up to the first byte of the value.
fn member_header(buf: &[u8], pos: usize) -> Header<'_> {
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
struct Extent {
    resume: usize,
    depth: usize,
    max_depth: usize,
    in_string: bool,
    scalar: bool,
}

impl Extent {
    /// Begins at the value's first byte; `None` when no JSON value starts with it.
    fn start(byte: u8, at: usize) -> Option<Extent> {
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
    fn scan(&mut self, buf: &[u8]) -> Option<usize> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What the scanner makes of `text`: the unit texts (with their skeletons) and, when
    /// it stopped, the skeleton and the bytes it left.
    #[derive(Debug, Default, PartialEq)]
    struct Split {
        units: Vec<(String, String)>,
        saw: Vec<Shape>,
        warnings: usize,
        stop: Option<(String, String)>,
    }

    fn split(text: &str, block_size: usize) -> Split {
        split_with(text, block_size, UNIT_LIMIT)
    }

    fn split_with(text: &str, block_size: usize, unit_limit: usize) -> Split {
        let mut reader = text.as_bytes();
        let mut splitter = Splitter::new(&mut reader, block_size, unit_limit);
        let mut result = Split::default();
        let mut consumed = 0;
        while let Some(batch) = splitter.next().expect("reads") {
            assert!(!batch.bytes.is_empty(), "batches hold bytes");
            assert_eq!(
                batch.bytes,
                &text.as_bytes()[consumed..consumed + batch.bytes.len()],
                "batches are the input, in order"
            );
            consumed += batch.bytes.len();
            for piece in &batch.pieces {
                match piece {
                    Piece::Unit {
                        start,
                        end,
                        context,
                        first,
                    } => {
                        let unit = String::from_utf8_lossy(&batch.bytes[*start..*end]);
                        let (skeleton, _) = batch.contexts[*context].skeleton(*first);
                        let skeleton = String::from_utf8_lossy(&skeleton);
                        result
                            .units
                            .push((unit.into_owned(), skeleton.into_owned()));
                    }
                    Piece::Saw(shape) => result.saw.push(*shape),
                    Piece::Partial(_) => result.warnings += 1,
                }
            }
        }
        let rest = splitter.into_rest();
        if let Some(resync) = rest.resync {
            let mut left = rest.bytes;
            rest.reader.read_to_end(&mut left).expect("reads");
            assert_eq!(
                left,
                &text.as_bytes()[consumed..],
                "what is left follows the batches"
            );
            // Where whitespace falls depends on the blocks; it does not matter to serde.
            result.stop = Some((
                String::from_utf8_lossy(&resync.skeleton).into_owned(),
                String::from_utf8_lossy(left.trim_ascii_start()).into_owned(),
            ));
        } else {
            assert_eq!(consumed, text.len(), "all of the input is in batches");
        }
        result
    }

    fn units(text: &str) -> Vec<String> {
        let whole = split(text, 1 << 20);
        for block_size in [1, 2, 3, 7, 64] {
            assert_eq!(split(text, block_size), whole, "blocks of {block_size}");
        }
        whole.units.into_iter().map(|(unit, _)| unit).collect()
    }

    #[test]
    fn strings_hide_brackets_braces_quotes_and_backslashes() {
        let text = r#"[{"a":"x]}[{"},{"b":"a\\\"]}","c":"\\"},"]\\",{"d":"\u005d\"\u0022"}]"#;
        assert_eq!(
            units(text),
            [
                r#"{"a":"x]}[{"}"#,
                r#"{"b":"a\\\"]}","c":"\\"}"#,
                r#""]\\""#,
                r#"{"d":"\u005d\"\u0022"}"#
            ]
        );
    }

    #[test]
    fn nested_arrays_and_objects_stay_inside_their_record() {
        let text = "[ {\"a\":[[1,2],{\"b\":[]}],\"c\":{}} ,\n\t[3,[4]] , 5 , -6.5e3,true,null ]";
        assert_eq!(
            units(text),
            [
                "{\"a\":[[1,2],{\"b\":[]}],\"c\":{}}",
                "[3,[4]]",
                "5",
                "-6.5e3",
                "true",
                "null"
            ]
        );
    }

    #[test]
    fn several_documents_with_whitespace_between_are_all_read() {
        let text = " {\"records\":[{\"r\":1},\n{\"r\":2}]}\n\n[{\"r\":3}]{\"time\":\"t\"}\r\n{\"Records\" : [ ] , \"x\":[1]}  ";
        let whole = split(text, 1 << 20);
        assert_eq!(
            whole.units,
            [
                (
                    "{\"r\":1}".into(),
                    "{\"records\":[]".to_string() + ",\"records\":["
                ),
                ("{\"r\":2}".into(), "{\"records\":[],\"records\":[0,".into()),
                ("{\"r\":3}".into(), "[".into()),
                ("{\"time\":\"t\"}".into(), String::new()),
            ]
        );
        assert_eq!(
            whole.saw,
            [Shape::Records, Shape::JsonArray, Shape::Records]
        );
        assert_eq!(whole.stop, None);
        for block_size in [1, 5, 16] {
            assert_eq!(split(text, block_size), whole, "blocks of {block_size}");
        }
    }

    #[test]
    fn table_rows_come_with_their_columns() {
        let text = r#"{"tables":[{"name":"A","columns":[{"name":"TimeGenerated","type":"datetime"},{"name":"X"}],"rows":[["t",1],["u",[2]]]},{"columns":[],"rows":[[]]}],"error":{"code":"PartialError"}}"#;
        let whole = split(text, 1 << 20);
        let columns = r#"[{"name":"TimeGenerated"},{"name":"X"}]"#;
        assert_eq!(
            whole.units,
            [
                (
                    r#"["t",1]"#.into(),
                    format!(r#"{{"records":[],"tables":[{{"columns":{columns},"rows":["#)
                ),
                (
                    r#"["u",[2]]"#.into(),
                    format!(r#"{{"records":[],"tables":[{{"columns":{columns},"rows":[0,"#)
                ),
                (
                    "[]".into(),
                    r#"{"records":[],"tables":[{},{"columns":[],"rows":["#.into()
                ),
            ]
        );
        assert_eq!(whole.warnings, 1);
        for block_size in [1, 9, 40] {
            assert_eq!(split(text, block_size), whole, "blocks of {block_size}");
        }
    }

    #[test]
    fn a_document_cut_off_inside_a_string_stops_at_the_last_known_point() {
        let text = "[{\"a\":1},\n{\"b\":\"x]";
        for block_size in [1, 4, 100] {
            let result = split(text, block_size);
            assert_eq!(result.units.len(), 1, "blocks of {block_size}");
            assert_eq!(
                result.stop,
                Some(("[0,".into(), "{\"b\":\"x]".into())),
                "blocks of {block_size}"
            );
        }
    }

    #[test]
    fn what_the_scanner_does_not_vouch_for_is_left_to_serde() {
        let cases = [
            // Missing comma between elements.
            ("[{\"a\":1} {\"b\":2}]", "[0 ", "{\"b\":2}]"),
            // Trailing comma.
            ("[{\"a\":1},]", "[0,", "]"),
            // A scalar document.
            ("[] 5", "", "5"),
            // Rows before columns.
            (
                "{\"tables\":[{\"rows\":[[1]],\"columns\":[]}]}",
                "{\"records\":[],\"tables\":[{",
                "\"rows\":[[1]],\"columns\":[]}]}",
            ),
            // `records` not an array.
            ("{\"records\":5}", "", "{\"records\":5}"),
            // A member before the wrapper key that serde would refuse.
            (
                "{\"a\":tru,\"records\":[]}",
                "",
                "{\"a\":tru,\"records\":[]}",
            ),
            // Nothing at all.
            (" \n ", "", ""),
            // A broken skipped member of a wrapper.
            (
                "{\"records\":[],\"x\":[1,}",
                "{\"records\":[],",
                "\"x\":[1,}",
            ),
        ];
        for (text, skeleton, left) in cases {
            for block_size in [1, 3, 100] {
                let result = split(text, block_size);
                assert_eq!(
                    result.stop,
                    Some((skeleton.to_string(), left.to_string())),
                    "{text} in blocks of {block_size}"
                );
            }
        }
    }

    #[test]
    fn elements_too_deep_or_too_large_are_left_to_serde() {
        let deep = format!("[1,{}{}]", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        let result = split(&deep, 8);
        assert_eq!(result.units.len(), 1);
        assert_eq!(
            result.stop.map(|(skeleton, _)| skeleton),
            Some("[0,".into())
        );
        let result = split_with("[\"a\",\"bcdefghijklmnop\"]", 4, 8);
        assert_eq!(result.units.len(), 1);
        assert_eq!(
            result.stop,
            Some(("[0,".into(), "\"bcdefghijklmnop\"]".into()))
        );
    }
}
