//! The JSON carriers, streamed: storage `PT1H.json` (JSON Lines, also several objects on
//! a line), Event Hubs `{"records":[...]}` bodies one after another, plain arrays of
//! records, `az monitor log-analytics query` arrays and Log Analytics `{"tables":[...]}`
//! responses. Documents are cut into their elements (see `split.rs`) and walked element by
//! element, never loaded whole; lines and elements are parsed in blocks on every core.

use super::fields::{Field, KeyKind, clip};
use super::raw::{Key, Outcome, RawRecord};
use super::split::{Batch, Piece, Resync, Splitter, UNIT_LIMIT, UnitKind};
use super::{Shape, Sink};
use crate::model::Position;
use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::io::{self, BufRead, Read};
use std::sync::{Arc, Mutex, mpsc};

/// Lines are parsed in blocks of about this many bytes, several at once on several cores.
const BLOCK: usize = 2 * 1024 * 1024;

/// Reads JSON Lines: each line holds one or more JSON values; a broken line is skipped
/// and reading goes on with the next. Blocks of lines are parsed on every core, and their
/// outcomes reach the sink in input order, so the result is the same as reading line by
/// line.
pub fn read_lines(
    reader: &mut dyn BufRead,
    input: usize,
    sink: &mut dyn Sink,
) -> io::Result<Shape> {
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    read_lines_in_blocks(reader, input, sink, workers, BLOCK)
}

fn read_lines_in_blocks(
    reader: &mut dyn BufRead,
    input: usize,
    sink: &mut dyn Sink,
    workers: usize,
    block_size: usize,
) -> io::Result<Shape> {
    let mut lines = Lines {
        blocks: Blocks {
            reader,
            block_size,
            next_line: 1,
            carry: Vec::new(),
            spare: Vec::new(),
        },
        merged: Merged {
            input,
            shape: None,
            seen_content: false,
        },
        sink,
    };
    run(&mut lines, workers, &|block| parse_block(block, input))?;
    Ok(lines.merged.shape())
}

/// Work read on this thread, parsed on others, and delivered back here in input order.
trait Pipeline {
    type Job: Send;
    type Done: Send;

    fn next(&mut self) -> io::Result<Option<Self::Job>>;

    /// Takes a parsed job, in input order; false to read no further (jobs already read
    /// are still delivered).
    fn deliver(&mut self, job: Self::Job, done: Self::Done) -> bool;
}

/// Runs a pipeline: on this thread when it holds a single job or one worker is wanted,
/// else on `workers` threads.
fn run<P: Pipeline>(
    pipeline: &mut P,
    workers: usize,
    parse: &(dyn Fn(&P::Job) -> P::Done + Sync),
) -> io::Result<()> {
    let Some(first) = pipeline.next()? else {
        return Ok(());
    };
    let Some(second) = pipeline.next()? else {
        let done = parse(&first);
        pipeline.deliver(first, done);
        return Ok(());
    };
    if workers > 1 {
        return parallel(pipeline, [first, second], workers, parse);
    }
    let mut reading = true;
    for job in [first, second] {
        let done = parse(&job);
        reading &= pipeline.deliver(job, done);
    }
    while reading {
        let Some(job) = pipeline.next()? else { break };
        let done = parse(&job);
        reading = pipeline.deliver(job, done);
    }
    Ok(())
}

/// Reads jobs on this thread, parses them on `workers` threads, and delivers the results
/// in input order. At most a few jobs per worker are in flight, so memory stays bounded
/// whatever the input's size.
fn parallel<P: Pipeline>(
    pipeline: &mut P,
    started: [P::Job; 2],
    workers: usize,
    parse: &(dyn Fn(&P::Job) -> P::Done + Sync),
) -> io::Result<()> {
    std::thread::scope(|scope| {
        let (work, jobs) = mpsc::channel::<(usize, P::Job)>();
        let jobs = Arc::new(Mutex::new(jobs));
        let (done, results) = mpsc::channel::<(usize, P::Job, P::Done)>();
        for _ in 0..workers {
            let jobs = Arc::clone(&jobs);
            let done = done.clone();
            scope.spawn(move || {
                loop {
                    let job = match jobs.lock() {
                        Ok(jobs) => jobs.recv(),
                        Err(_) => break,
                    };
                    let Ok((index, job)) = job else { break };
                    let result = parse(&job);
                    if done.send((index, job, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done);
        let in_flight = workers * 2;
        let mut queued: Vec<P::Job> = started.into_iter().rev().collect();
        let mut pending: BTreeMap<usize, (P::Job, P::Done)> = BTreeMap::new();
        let (mut sent, mut delivered) = (0, 0);
        let mut outcome = Ok(());
        let mut reading = true;
        loop {
            while reading && sent - delivered < in_flight {
                let job = match queued.pop() {
                    Some(job) => Some(job),
                    None => pipeline.next().unwrap_or_else(|err| {
                        outcome = Err(err);
                        None
                    }),
                };
                let Some(job) = job else {
                    reading = false;
                    break;
                };
                if work.send((sent, job)).is_err() {
                    reading = false;
                    break;
                }
                sent += 1;
            }
            if delivered == sent {
                break;
            }
            let Ok((index, job, result)) = results.recv() else {
                break;
            };
            pending.insert(index, (job, result));
            while let Some((job, result)) = pending.remove(&delivered) {
                reading &= pipeline.deliver(job, result);
                delivered += 1;
            }
        }
        drop(work);
        outcome
    })
}

/// JSON Lines as a pipeline: blocks of lines in, their outcomes out to the sink.
struct Lines<'a, 'r> {
    blocks: Blocks<'r>,
    merged: Merged,
    sink: &'a mut dyn Sink,
}

impl Pipeline for Lines<'_, '_> {
    type Job = Block;
    type Done = BlockResult;

    fn next(&mut self) -> io::Result<Option<Block>> {
        self.blocks.next()
    }

    fn deliver(&mut self, block: Block, result: BlockResult) -> bool {
        // Parsed blocks' buffers are filled again.
        self.blocks.spare.push(block.bytes);
        self.merged.deliver(result, self.sink);
        true
    }
}

/// A run of whole lines and the number of its first line.
struct Block {
    bytes: Vec<u8>,
    line: u64,
    /// How many lines it holds (its newlines), to size the results.
    lines: usize,
}

/// Cuts the input into blocks of whole lines (a line longer than a block makes a
/// longer block).
struct Blocks<'r> {
    reader: &'r mut dyn BufRead,
    block_size: usize,
    next_line: u64,
    /// The start of a line cut off at the end of the previous block.
    carry: Vec<u8>,
    /// Buffers of blocks already parsed, to be filled again rather than allocated.
    spare: Vec<Vec<u8>>,
}

impl Blocks<'_> {
    fn next(&mut self) -> io::Result<Option<Block>> {
        let mut bytes = self.spare.pop().unwrap_or_default();
        bytes.clear();
        bytes.append(&mut self.carry);
        bytes.reserve(self.block_size.min(BLOCK));
        let mut has_newline = memchr::memchr(b'\n', &bytes).is_some();
        loop {
            let available = self.reader.fill_buf()?;
            if available.is_empty() {
                break;
            }
            let room = self.block_size.saturating_sub(bytes.len()).max(1);
            let take = available.len().min(room);
            has_newline |= memchr::memchr(b'\n', &available[..take]).is_some();
            bytes.extend_from_slice(&available[..take]);
            self.reader.consume(take);
            if bytes.len() >= self.block_size && has_newline {
                break;
            }
        }
        if bytes.is_empty() {
            return Ok(None);
        }
        if let Some(end) = memchr::memrchr(b'\n', &bytes) {
            self.carry.extend_from_slice(&bytes[end + 1..]);
            bytes.truncate(end + 1);
        }
        let line = self.next_line;
        let lines = memchr::memchr_iter(b'\n', &bytes).count();
        self.next_line += lines as u64;
        Ok(Some(Block { bytes, line, lines }))
    }
}

/// What parsing one block produced, to hand to the sink in order.
#[derive(Default)]
struct BlockResult {
    outcomes: Vec<(Position, Outcome)>,
    warnings: Vec<String>,
    shape: Option<Shape>,
    seen_content: bool,
}

impl Sink for BlockResult {
    fn outcome(&mut self, position: Position, outcome: Outcome) {
        self.outcomes.push((position, outcome));
    }

    fn warning(&mut self, _: usize, message: String) {
        self.warnings.push(message);
    }
}

/// The blocks' results, merged in order.
struct Merged {
    input: usize,
    shape: Option<Shape>,
    seen_content: bool,
}

impl Merged {
    fn deliver(&mut self, result: BlockResult, sink: &mut dyn Sink) {
        for (position, outcome) in result.outcomes {
            sink.outcome(position, outcome);
        }
        for message in result.warnings {
            sink.warning(self.input, message);
        }
        self.seen_content |= result.seen_content;
        if self.shape.is_none() {
            self.shape = result.shape;
        }
    }

    fn shape(&self) -> Shape {
        if !self.seen_content {
            return Shape::Empty;
        }
        self.shape.unwrap_or(Shape::JsonLines)
    }
}

/// Parses the lines of one block; `first_line` is the number of its first line.
fn parse_block(block: &Block, input: usize) -> BlockResult {
    let mut result = BlockResult {
        outcomes: Vec::with_capacity(block.lines + 1),
        ..BlockResult::default()
    };
    let (first_line, block) = (block.line, block.bytes.as_slice());
    let mut walker = Walker::new(input, &mut result);
    let mut seen_content = false;
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', block).chain(std::iter::once(block.len()));
    for (offset, end) in ends.enumerate() {
        let line = &block[start..end];
        start = (end + 1).min(block.len());
        let text = line.trim_ascii();
        if text.is_empty() {
            continue;
        }
        seen_content = true;
        let number = first_line + offset as u64;
        walker.line = Some(number);
        // Records inside a wrapper on one line are numbered within that line.
        walker.records = 0;
        let mut de = serde_json::Deserializer::from_slice(text);
        loop {
            if let Err(err) = (ValueSeed {
                walker: &mut walker,
                depth: 0,
            })
            .deserialize(&mut de)
            {
                let position = Position::line(input, number);
                let message = format!("invalid JSON: {}", describe_in_line(&err));
                walker.sink.outcome(position, Outcome::Skipped(message));
                break;
            }
            if de.end().is_ok() {
                break;
            }
        }
    }
    let shape = walker.shape;
    result.shape = shape;
    result.seen_content = seen_content;
    result
}

/// Reads one or more JSON documents. Their elements are parsed in blocks on every core,
/// and their outcomes reach the sink in input order, numbered as one walk through the
/// documents numbers them. Malformed JSON ends the input: what came before is kept and
/// the break is reported with its line and column.
pub fn read_documents(
    reader: &mut dyn BufRead,
    input: usize,
    sink: &mut dyn Sink,
) -> io::Result<Shape> {
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    read_documents_in_blocks(reader, input, sink, workers, BLOCK, UNIT_LIMIT)
}

/// Where the splitter stops (on anything it does not vouch for, from a cut-off document to
/// rows before their columns) or an element fails to parse, the serde walker takes over:
/// a skeleton puts it where the splitter was, and it reads the rest of the input, saying
/// what it always said, in the same words and at the same place.
fn read_documents_in_blocks(
    reader: &mut dyn BufRead,
    input: usize,
    sink: &mut dyn Sink,
    workers: usize,
    block_size: usize,
    unit_limit: usize,
) -> io::Result<Shape> {
    let mut documents = Documents {
        splitter: Splitter::new(reader, block_size, unit_limit),
        input,
        sink,
        records: 0,
        shape: None,
        line: 1,
        column: 0,
        failure: None,
    };
    run(&mut documents, workers, &|batch| parse_batch(batch, input))?;
    let Documents {
        splitter,
        sink,
        records,
        shape,
        line,
        column,
        failure,
        ..
    } = documents;
    let rest = splitter.into_rest();
    let resume = match (failure, rest.resync) {
        (Some(mut failure), _) => {
            failure.parts.push_back(rest.bytes);
            failure
        }
        (None, Some(Resync { skeleton, dummies })) => Resume {
            parts: VecDeque::from([skeleton, rest.bytes]),
            dummies,
            line,
            column,
        },
        (None, None) => return Ok(shape.unwrap_or(Shape::JsonArray)),
    };
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
        parts: resume.parts,
        at: 0,
        reader: rest.reader,
    };
    walk_documents(&mut stream, &mut walker, &place)?;
    Ok(walker.shape.unwrap_or(Shape::JsonArray))
}

/// Walks documents with serde, one after another, from a reader: the way documents were
/// always read, and still are where the splitter stops.
fn walk_documents(
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

/// Documents as a pipeline: batches of elements in, their outcomes out to the sink,
/// renumbered to run on from the batches before.
struct Documents<'a, 'r> {
    splitter: Splitter<'r>,
    input: usize,
    sink: &'a mut dyn Sink,
    /// Records delivered so far.
    records: u64,
    shape: Option<Shape>,
    /// Where the input not yet delivered starts.
    line: usize,
    column: usize,
    /// Set when an element failed to parse: from there on, the input is serde's.
    failure: Option<Resume>,
}

/// Where the serde walker takes over: the skeleton and the input from there on, as far as
/// it was read.
struct Resume {
    parts: VecDeque<Vec<u8>>,
    dummies: u64,
    line: usize,
    column: usize,
}

impl Pipeline for Documents<'_, '_> {
    type Job = Batch;
    type Done = BatchResult;

    fn next(&mut self) -> io::Result<Option<Batch>> {
        self.splitter.next()
    }

    fn deliver(&mut self, mut batch: Batch, result: BatchResult) -> bool {
        if let Some(failure) = &mut self.failure {
            failure.parts.push_back(batch.bytes);
            return false;
        }
        let base = self.records;
        for (mut position, mut outcome) in result.heard.outcomes {
            renumber(&mut position, &mut outcome, |record| base + record);
            self.sink.outcome(position, outcome);
        }
        for message in result.heard.warnings {
            self.sink.warning(self.input, message);
        }
        self.records += result.records;
        match self.shape {
            None => self.shape = result.shape,
            Some(Shape::JsonArray) if result.az_cli => self.shape = Some(Shape::AzCli),
            Some(_) => {}
        }
        if let Some(Piece::Unit {
            start,
            context,
            first,
            ..
        }) = result.failed.map(|index| &batch.pieces[index])
        {
            let (skeleton, dummies) = batch.contexts[*context].skeleton(*first);
            let (line, column) = advance(self.line, self.column, &batch.bytes[..*start]);
            batch.bytes.drain(..*start);
            self.failure = Some(Resume {
                parts: VecDeque::from([skeleton, batch.bytes]),
                dummies,
                line,
                column,
            });
            return false;
        }
        (self.line, self.column) = result.lines.after(self.line, self.column);
        self.splitter.recycle(batch);
        true
    }
}

/// The line and column after `bytes`, from `line` and `column` before them.
fn advance(line: usize, column: usize, bytes: &[u8]) -> (usize, usize) {
    Newlines::of(bytes).after(line, column)
}

/// How a run of bytes moves the line and column: its newlines, and the bytes after the
/// last one.
#[derive(Debug, Clone, Copy)]
struct Newlines {
    newlines: usize,
    tail: usize,
}

impl Newlines {
    fn of(bytes: &[u8]) -> Newlines {
        match memchr::memrchr(b'\n', bytes) {
            Some(last) => Newlines {
                newlines: memchr::memchr_iter(b'\n', bytes).count(),
                tail: bytes.len() - last - 1,
            },
            None => Newlines {
                newlines: 0,
                tail: bytes.len(),
            },
        }
    }

    fn after(self, line: usize, column: usize) -> (usize, usize) {
        match self.newlines {
            0 => (line, column + self.tail),
            newlines => (line + newlines, self.tail),
        }
    }
}

/// What parsing one batch produced, records numbered from 1 within it.
struct BatchResult {
    heard: BlockResult,
    records: u64,
    /// The first shape seen, and whether az CLI rows were seen at all.
    shape: Option<Shape>,
    az_cli: bool,
    /// The piece that failed to parse: nothing from it on is in the result.
    failed: Option<usize>,
    /// Counted here rather than on the reading thread, for the place of a later break.
    lines: Newlines,
}

/// Parses the pieces of one batch, stopping at the first that fails.
fn parse_batch(batch: &Batch, input: usize) -> BatchResult {
    let mut heard = BlockResult {
        outcomes: Vec::with_capacity(batch.pieces.len()),
        ..BlockResult::default()
    };
    let (mut records, mut shape, mut az_cli) = (0, None, false);
    let mut failed = None;
    for (index, piece) in batch.pieces.iter().enumerate() {
        let (outcomes, warnings) = (heard.outcomes.len(), heard.warnings.len());
        let mut walker = Walker::new(input, &mut heard);
        walker.numbered = true;
        walker.records = records;
        walker.shape = shape;
        let parsed = match piece {
            Piece::Unit {
                start,
                end,
                context,
                ..
            } => parse_unit(
                &mut walker,
                &batch.contexts[*context].kind,
                &batch.bytes[*start..*end],
            ),
            Piece::Saw(seen) => {
                walker.saw(*seen);
                Ok(())
            }
            Piece::Partial(error) => {
                walker.warn_partial(error);
                Ok(())
            }
        };
        let after = (walker.records, walker.shape, walker.az_cli);
        if parsed.is_err() {
            heard.outcomes.truncate(outcomes);
            heard.warnings.truncate(warnings);
            failed = Some(index);
            break;
        }
        (records, shape) = (after.0, after.1);
        az_cli |= after.2;
    }
    BatchResult {
        heard,
        records,
        shape,
        az_cli,
        failed,
        lines: Newlines::of(&batch.bytes),
    }
}

/// Parses one element as the serde walker would have at its place in the document.
fn parse_unit(walker: &mut Walker<'_>, kind: &UnitKind, bytes: &[u8]) -> serde_json::Result<()> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match kind {
        UnitKind::Value(depth) => {
            ValueSeed {
                walker,
                depth: *depth,
            }
            .deserialize(&mut de)?;
            de.end()
        }
        UnitKind::Row(fields) => {
            let row = RowSeed { fields }.deserialize(&mut de)?;
            de.end()?;
            emit_row_cells(walker, fields, row);
            Ok(())
        }
    }
}

/// Moves record numbers: those of a batch (from 1) or of the serde walker (after its
/// skeleton's dummies) to their place in the input.
fn renumber(position: &mut Position, outcome: &mut Outcome, to: impl Fn(u64) -> u64) {
    position.record = position.record.map(&to);
    if let Outcome::Record(record) = outcome {
        record.position.record = record.position.record.map(&to);
    }
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
    fn outcome(&mut self, mut position: Position, mut outcome: Outcome) {
        self.seen += 1;
        if self.seen <= self.dummies {
            return;
        }
        let (base, dummies) = (self.base, self.dummies);
        renumber(&mut position, &mut outcome, |record| {
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
    parts: VecDeque<Vec<u8>>,
    at: usize,
    reader: &'r mut dyn BufRead,
}

impl Read for Parts<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while let Some(part) = self.parts.front() {
            if self.at < part.len() {
                let taken = (part.len() - self.at).min(out.len());
                out[..taken].copy_from_slice(&part[self.at..self.at + taken]);
                self.at += taken;
                return Ok(taken);
            }
            self.parts.pop_front();
            self.at = 0;
        }
        self.reader.read(out)
    }
}

/// serde_json's message without its place.
fn message_of(err: &serde_json::Error) -> String {
    let text = err.to_string();
    clip(text.split(" at line ").next().unwrap_or(&text)).to_string()
}

/// serde_json's message with the column within a JSON Lines line (the line is already in
/// the position).
fn describe_in_line(err: &serde_json::Error) -> String {
    match err.line() {
        0 => message_of(err),
        _ => format!("{} at column {}", message_of(err), err.column()),
    }
}

/// serde_json's message with the line and column within the input, as `place` maps
/// serde's.
fn describe_in_document(
    err: &serde_json::Error,
    place: &dyn Fn(usize, usize) -> (usize, usize),
) -> String {
    match err.line() {
        0 => message_of(err),
        line => {
            let (line, column) = place(line, err.column());
            format!("{} at line {line} column {column}", message_of(err))
        }
    }
}

/// Walks JSON values, hands each record to the sink and remembers what shape it saw.
struct Walker<'s> {
    input: usize,
    sink: &'s mut dyn Sink,
    /// The current line (JSON Lines) and the running record number inside a document.
    line: Option<u64>,
    records: u64,
    /// Documents number their records; JSON Lines use the line unless inside a wrapper.
    numbered: bool,
    shape: Option<Shape>,
    /// Whether az CLI rows were seen, whatever the shape.
    az_cli: bool,
}

impl<'s> Walker<'s> {
    fn new(input: usize, sink: &'s mut dyn Sink) -> Self {
        Walker {
            input,
            sink,
            line: None,
            records: 0,
            numbered: false,
            shape: None,
            az_cli: false,
        }
    }

    fn saw(&mut self, shape: Shape) {
        self.az_cli |= shape == Shape::AzCli;
        // The first wrapper seen names the input; an array whose rows carry `TableName`
        // is the az CLI's.
        if self.shape.is_none() || (self.shape == Some(Shape::JsonArray) && shape == Shape::AzCli) {
            self.shape = Some(shape);
        }
    }

    fn position(&mut self, wrapped: bool) -> Position {
        self.records += 1;
        let record = (self.numbered || wrapped).then_some(self.records);
        Position {
            input: self.input,
            line: self.line,
            record,
        }
    }

    fn emit(&mut self, mut raw: RawRecord<'_>, wrapped: bool) {
        let position = self.position(wrapped);
        if raw.table_name.is_some() {
            self.saw(Shape::AzCli);
            raw.clear_python_nones();
        }
        let outcome = raw.finish(position.clone());
        self.sink.outcome(position, outcome);
    }

    fn emit_not_object(&mut self, what: &str, wrapped: bool) {
        let position = self.position(wrapped);
        self.sink.outcome(
            position,
            Outcome::Skipped(format!("{what} is not a record object")),
        );
    }
}

/// Any JSON value at the top of a document or line, or an element of a top-level array.
struct ValueSeed<'w, 's> {
    walker: &'w mut Walker<'s>,
    depth: u8,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a record object, a records wrapper, a tables response or an array of them")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.depth > 0 {
            self.walker.emit_not_object("an array", false);
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(());
        }
        self.walker.saw(Shape::JsonArray);
        while seq
            .next_element_seed(ValueSeed {
                walker: &mut *self.walker,
                depth: self.depth + 1,
            })?
            .is_some()
        {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // Read as a record while looking out for the keys of a wrapper; the fields read
        // before such a key are dropped with the record that was not one.
        let mut raw = RawRecord::default();
        let mut wrapper = false;
        let mut error = None;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            match KeyKind::of(&key) {
                KeyKind::Records if self.depth < 2 => {
                    wrapper = true;
                    self.walker.saw(Shape::Records);
                    map.next_value_seed(RecordsSeed {
                        walker: &mut *self.walker,
                    })?;
                }
                KeyKind::Tables if self.depth == 0 => {
                    wrapper = true;
                    self.walker.saw(Shape::Tables);
                    map.next_value_seed(TablesSeed {
                        walker: &mut *self.walker,
                    })?;
                }
                KeyKind::Error => error = Some(map.next_value::<Value>()?),
                KeyKind::Field(field) => raw.read_value(field, &mut map)?,
                KeyKind::Records | KeyKind::Tables | KeyKind::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if wrapper {
            if let Some(error) = error {
                self.walker.warn_partial(&error);
            }
        } else {
            let wrapped = self.depth > 0 && !self.walker.numbered;
            self.walker.emit(raw, wrapped);
        }
        Ok(())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.walker.emit_not_object("a string", self.depth > 0);
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.walker.emit_not_object("a number", self.depth > 0);
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.walker.emit_not_object("a number", self.depth > 0);
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.walker.emit_not_object("a number", self.depth > 0);
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.walker.emit_not_object("a boolean", self.depth > 0);
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.walker.emit_not_object("null", self.depth > 0);
        Ok(())
    }
}

impl Walker<'_> {
    /// The query API returns HTTP 200 with an `error` beside the tables when results
    /// are partial (`PartialError`): the data is usable but may be truncated.
    fn warn_partial(&mut self, error: &Value) {
        let code = error.get("code").and_then(Value::as_str).unwrap_or("error");
        let message = error.get("message").and_then(Value::as_str).unwrap_or("");
        self.sink.warning(
            self.input,
            format!(
                "the query response reports {code}: {}; results may be incomplete",
                clip(message)
            ),
        );
    }
}

/// The array of a `{"records":[...]}` wrapper.
struct RecordsSeed<'w, 's> {
    walker: &'w mut Walker<'s>,
}

impl<'de> DeserializeSeed<'de> for RecordsSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RecordsSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        // Elements are records (or, unusually, further values, which are reported).
        while seq
            .next_element_seed(ValueSeed {
                walker: &mut *self.walker,
                depth: 2,
            })?
            .is_some()
        {}
        Ok(())
    }
}

/// The `tables` array of a Log Analytics query response.
struct TablesSeed<'w, 's> {
    walker: &'w mut Walker<'s>,
}

impl<'de> DeserializeSeed<'de> for TablesSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for TablesSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of tables")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(TableSeed {
                walker: &mut *self.walker,
            })?
            .is_some()
        {}
        Ok(())
    }
}

/// One table: `columns` give the field of each position, then `rows` are streamed.
struct TableSeed<'w, 's> {
    walker: &'w mut Walker<'s>,
}

#[derive(serde::Deserialize)]
struct Column {
    name: String,
}

impl<'de> DeserializeSeed<'de> for TableSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TableSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a table with columns and rows")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut columns: Option<Vec<Option<Field>>> = None;
        // Rows that arrive before their columns (not seen in practice) wait for them.
        let mut early_rows: Vec<Value> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if key.eq_ignore_ascii_case("columns") {
                let list: Vec<Column> = map.next_value()?;
                columns = Some(list.iter().map(|c| Field::from_key(&c.name)).collect());
            } else if key.eq_ignore_ascii_case("rows") {
                match &columns {
                    Some(fields) => map.next_value_seed(RowsSeed {
                        walker: &mut *self.walker,
                        fields,
                    })?,
                    None => early_rows = map.next_value()?,
                }
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        let fields = columns.unwrap_or_default();
        for row in early_rows {
            emit_row(self.walker, &fields, row);
        }
        Ok(())
    }
}

struct RowsSeed<'w, 's, 'f> {
    walker: &'w mut Walker<'s>,
    fields: &'f [Option<Field>],
}

impl<'de> DeserializeSeed<'de> for RowsSeed<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RowsSeed<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of rows")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(row) = seq.next_element::<Value>()? {
            emit_row(self.walker, self.fields, row);
        }
        Ok(())
    }
}

fn emit_row(walker: &mut Walker<'_>, fields: &[Option<Field>], row: Value) {
    let position = walker.position(true);
    let outcome = match row {
        Value::Array(values) if values.len() == fields.len() => {
            let mut raw = RawRecord::default();
            for (field, value) in fields.iter().zip(values) {
                if let Some(field) = field {
                    raw.set_json(*field, value);
                }
            }
            raw.finish(position.clone())
        }
        Value::Array(values) => Outcome::Skipped(format!(
            "row has {} values but the table declares {} columns",
            values.len(),
            fields.len()
        )),
        _ => Outcome::Skipped("row is not an array".to_string()),
    };
    walker.sink.outcome(position, outcome);
}

/// A row read straight from its text by [`RowSeed`]: the fields of the known columns,
/// and how many values the row has; `None` when the row is not an array.
type Row<'a> = Option<(RawRecord<'a>, usize)>;

/// Emits a row as [`emit_row`] does, from the row read straight from its text.
fn emit_row_cells(walker: &mut Walker<'_>, fields: &[Option<Field>], row: Row<'_>) {
    let position = walker.position(true);
    let outcome = match row {
        Some((raw, count)) if count == fields.len() => raw.finish(position.clone()),
        Some((_, count)) => Outcome::Skipped(format!(
            "row has {count} values but the table declares {} columns",
            fields.len()
        )),
        None => Outcome::Skipped("row is not an array".to_string()),
    };
    walker.sink.outcome(position, outcome);
}

/// Reads a row without building a `Value`: the cells of known columns go into the record
/// as [`RawRecord::set_json`] takes them (strings borrowed where they can be), the other
/// cells are checked as a `Value` would check them and dropped.
struct RowSeed<'f> {
    fields: &'f [Option<Field>],
}

impl<'de> DeserializeSeed<'de> for RowSeed<'_> {
    type Value = Row<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Row<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_> {
    type Value = Row<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a row")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Row<'de>, A::Error> {
        let mut raw = RawRecord::default();
        let mut count = 0;
        while seq
            .next_element_seed(CellSeed {
                field: self.fields.get(count).copied().flatten(),
                raw: &mut raw,
            })?
            .is_some()
        {
            count += 1;
        }
        Ok(Some((raw, count)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Row<'de>, A::Error> {
        while map.next_entry::<Checked, Checked>()?.is_some() {}
        Ok(None)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Row<'de>, E> {
        Ok(None)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Row<'de>, E> {
        Ok(None)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Row<'de>, E> {
        Ok(None)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Row<'de>, E> {
        Ok(None)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Row<'de>, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Row<'de>, E> {
        Ok(None)
    }
}

/// One cell of a row, into its field when its column has one.
struct CellSeed<'r, 'a> {
    field: Option<Field>,
    raw: &'r mut RawRecord<'a>,
}

impl CellSeed<'_, '_> {
    fn text(self, text: String) {
        if let Some(field) = self.field {
            self.raw.set(field, Cow::Owned(text));
        }
    }
}

impl<'de: 'a, 'a> DeserializeSeed<'de> for CellSeed<'_, 'a> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for CellSeed<'_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<(), E> {
        if let Some(field) = self.field {
            self.raw.set(field, Cow::Borrowed(v));
        }
        Ok(())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.text(v.to_string());
        Ok(())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<(), E> {
        self.text(v);
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.text(v.to_string());
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.text(v.to_string());
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        // As a `Value` holds it, so written the same way.
        if let Some(number) = serde_json::Number::from_f64(v) {
            self.text(number.to_string());
        }
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.text(v.to_string());
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        match self.field {
            Some(field) => {
                let value = Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                self.raw.set_json(field, value);
            }
            None => while seq.next_element::<Checked>()?.is_some() {},
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        match self.field {
            Some(field) => {
                let value = Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
                self.raw.set_json(field, value);
            }
            None => while map.next_entry::<Checked, Checked>()?.is_some() {},
        }
        Ok(())
    }
}

/// Any JSON value, checked as a `Value` checks it (strings must be UTF-8, which
/// `IgnoredAny` does not ask) and dropped.
struct Checked;

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Checked, D::Error> {
        deserializer.deserialize_any(Checked)
    }
}

impl<'de> Visitor<'de> for Checked {
    type Value = Checked;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        while map.next_entry::<Checked, Checked>()?.is_some() {}
        Ok(Checked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything a sink hears, in order.
    #[derive(Default, Debug, PartialEq)]
    struct Heard {
        outcomes: Vec<(Position, Outcome)>,
        warnings: Vec<String>,
    }

    impl Sink for Heard {
        fn outcome(&mut self, position: Position, outcome: Outcome) {
            self.outcomes.push((position, outcome));
        }
        fn warning(&mut self, _: usize, message: String) {
            self.warnings.push(message);
        }
    }

    fn read(text: &[u8], workers: usize, block_size: usize) -> (Shape, Heard) {
        let mut heard = Heard::default();
        let shape = read_lines_in_blocks(&mut &text[..], 0, &mut heard, workers, block_size)
            .expect("reads");
        (shape, heard)
    }

    #[test]
    fn blocks_parsed_on_several_threads_give_what_one_thread_gives() {
        let mut text = std::fs::read("fixtures/shapes/PT1H.json").expect("fixture");
        text.extend_from_slice(b"\n{broken\n");
        text.extend_from_slice(
            &std::fs::read("fixtures/broken/malformed-lines.json").expect("fixture"),
        );
        text.extend_from_slice(b"{\"records\":[{\"time\":\"2026-03-02T09:00:00Z\"}]}\n");
        let (shape, one) = read(&text, 1, text.len() + 1);
        assert_eq!(shape, Shape::Records, "named by the one wrapper in it");
        assert_eq!(one.outcomes.len(), 12 + 1 + 6 + 1);
        for block_size in [1, 64, 700, 5000] {
            for workers in [1, 2, 3] {
                let (_, many) = read(&text, workers, block_size);
                assert_eq!(many, one, "{workers} workers, blocks of {block_size} bytes");
            }
        }
    }

    /// The documents as serde alone walks them: the reference the splitter is held to.
    fn serde_documents(text: &[u8]) -> (Shape, Heard) {
        let mut heard = Heard::default();
        let mut walker = Walker::new(0, &mut heard);
        walker.numbered = true;
        walk_documents(&mut &text[..], &mut walker, &|line, column| (line, column)).expect("reads");
        let shape = walker.shape.unwrap_or(Shape::JsonArray);
        (shape, heard)
    }

    fn documents(text: &[u8], workers: usize, block_size: usize, limit: usize) -> (Shape, Heard) {
        let mut heard = Heard::default();
        let shape =
            read_documents_in_blocks(&mut &text[..], 0, &mut heard, workers, block_size, limit)
                .expect("reads");
        (shape, heard)
    }

    /// The split reader hears what serde hears, whatever the blocks and threads.
    fn same_as_serde(text: &[u8], what: &str, block_sizes: &[usize], workers: &[usize]) {
        let expected = serde_documents(text);
        for &block_size in block_sizes {
            for &workers in workers {
                let got = documents(text, workers, block_size, UNIT_LIMIT);
                if got != expected {
                    let (shape, heard) = &got;
                    assert_eq!(*shape, expected.0, "{what}: shape");
                    assert_eq!(heard.warnings, expected.1.warnings, "{what}: warnings");
                    for (index, (got, want)) in
                        heard.outcomes.iter().zip(&expected.1.outcomes).enumerate()
                    {
                        assert_eq!(
                            got, want,
                            "{what}: outcome {index}, {workers} workers, blocks of {block_size}"
                        );
                    }
                    assert_eq!(
                        heard.outcomes.len(),
                        expected.1.outcomes.len(),
                        "{what}: outcomes"
                    );
                }
            }
        }
    }

    #[test]
    fn fixtures_split_in_blocks_give_what_serde_gives() {
        let mut paths: Vec<_> = ["fixtures/shapes", "fixtures/broken", "fixtures/insights"]
            .iter()
            .flat_map(|dir| std::fs::read_dir(dir).expect("fixtures"))
            .map(|entry| entry.expect("entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect();
        paths.sort();
        assert!(paths.len() > 10, "{paths:?}");
        for path in paths {
            let text = std::fs::read(&path).expect("fixture");
            same_as_serde(
                &text,
                &path.display().to_string(),
                &[7, 64, 1000, 1 << 20],
                &[1, 2, 3],
            );
        }
    }

    #[test]
    fn generated_fleets_split_in_blocks_give_what_serde_gives() {
        use crate::synth::{FleetSpec, OutputShape, write_fleet};
        for shape in [
            OutputShape::Records,
            OutputShape::JsonArray,
            OutputShape::Tables,
            OutputShape::AzCli,
        ] {
            let mut text = Vec::new();
            let truth = write_fleet(&FleetSpec::new(3, 40, 6), shape, &mut text).expect("writes");
            let (_, heard) = serde_documents(&text);
            assert_eq!(heard.outcomes.len() as u64, truth.records, "{shape:?}");
            same_as_serde(
                &text,
                &format!("{shape:?}"),
                &[7, 64, 1000, 1 << 20],
                &[1, 2, 3],
            );
        }
    }

    const RECORD: &str = r#"{"time":"2026-03-02T08:00:05Z","operationName":"deviceConnect","category":"Connections","level":"Information","properties":"{\"deviceId\":\"d\\\"1\"}"}"#;

    /// Small documents of every shape, with the corners the splitter must get right.
    fn corner_documents() -> Vec<String> {
        let columns = r#"[{"name":"TimeGenerated"},{"name":"OperationName"},{"name":"Category"},{"name":"DeviceId"},{"name":"X"}]"#;
        vec![
            format!(
                "{{\"records\": [{RECORD},\n {RECORD}, 7, \"s\", [1], {{\"records\":[{RECORD}]}}]}}\n{{\"records\":[]}}"
            ),
            format!(
                "[\n  {RECORD},\n  {{\"records\":[{RECORD},{RECORD}]}},\n  null, true, -1.5e3, \"a]}}\\\"\"\n]\n[{RECORD}] {RECORD}"
            ),
            format!(
                "{{\"x\":{{\"y\":[1,\"]\"]}},\"error\":{{\"code\":\"PartialError\",\"message\":\"m\"}},\"tables\":[{{\"name\":\"A\",\"columns\":{columns},\"rows\":[[\"2026-03-02T08:00:05Z\",\"deviceConnect\",\"Connections\",\"d\\u0031\",{{\"a\":[1.50,2]}}],[1,2],7,[\"2026-03-02T08:00:06Z\",\"deviceConnect\",\"Connections\",\"d2\",null]]}},{{\"columns\":[],\"rows\":[[]],\"more\":1}}],\"z\":0}}"
            ),
            format!(
                "{{\"tables\":[{{\"rows\":[[\"2026-03-02T08:00:05Z\",\"deviceConnect\",\"Connections\",\"d\",1]],\"columns\":{columns}}}]}}"
            ),
            format!(
                "{RECORD}\n{{\"time\":\"2026-03-02T08:00:05Z\",\n  \"records\":[{RECORD}],\"error\":{{\"code\":\"E\"}}}}\n{RECORD}"
            ),
            format!(
                "[{{\"TableName\":\"PrimaryResult\",\"TimeGenerated\":\"2026-03-02T08:00:05Z\",\"OperationName\":\"deviceConnect\",\"Category\":\"Connections\",\"DeviceId\":\"d\",\"ResultType\":\"None\"}}]"
            ),
            " \n ".to_string(),
        ]
    }

    #[test]
    fn corner_documents_give_what_serde_gives() {
        for text in corner_documents() {
            same_as_serde(text.as_bytes(), &text, &[1, 7, 64, 1 << 20], &[1, 2, 3]);
        }
    }

    #[test]
    fn documents_cut_off_anywhere_give_what_serde_gives() {
        for text in corner_documents() {
            for end in 0..text.len() {
                let cut = &text.as_bytes()[..end];
                same_as_serde(cut, &String::from_utf8_lossy(cut), &[5, 1 << 20], &[1, 2]);
            }
        }
    }

    #[test]
    fn documents_with_a_byte_changed_give_what_serde_gives() {
        // A fixed pseudo-random walk, so that a failure can be replayed.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let replacements = b"\"\\[]{},:0 \nxe\xff";
        for text in corner_documents() {
            for _ in 0..150 {
                let mut bytes = text.clone().into_bytes();
                if bytes.is_empty() {
                    break;
                }
                let at = (next() % bytes.len() as u64) as usize;
                bytes[at] = replacements[(next() % replacements.len() as u64) as usize];
                same_as_serde(
                    &bytes,
                    &String::from_utf8_lossy(&bytes),
                    &[3, 1 << 20],
                    &[1, 2],
                );
            }
        }
    }

    #[test]
    fn elements_over_the_size_limit_are_read_by_serde_alike() {
        let text = std::fs::read("fixtures/shapes/eventhubs-records.json").expect("fixture");
        let expected = serde_documents(&text);
        for limit in [1, 100, 700] {
            assert_eq!(documents(&text, 2, 64, limit), expected, "limit {limit}");
        }
    }

    #[test]
    fn a_break_is_reported_once_with_its_absolute_place_and_the_next_record_number() {
        let text = format!("[{RECORD},\n  {RECORD},\n  {{\"time\": tru}}]");
        let (_, heard) = documents(text.as_bytes(), 2, 16, UNIT_LIMIT);
        assert_eq!(heard, serde_documents(text.as_bytes()).1);
        assert_eq!(heard.outcomes.len(), 3);
        let (position, outcome) = &heard.outcomes[2];
        assert_eq!(*position, Position::record(0, 3));
        assert_eq!(
            *outcome,
            Outcome::Skipped(
                "invalid JSON, the rest of the input is unreadable: expected ident at line 3 column 15"
                    .to_string()
            )
        );
    }

    #[test]
    fn line_numbers_carry_across_blocks_and_blank_lines() {
        let text = b"\n\n{oops\n\n{also broken}\n";
        let (_, heard) = read(text, 2, 4);
        let lines: Vec<Option<u64>> = heard.outcomes.iter().map(|(p, _)| p.line).collect();
        assert_eq!(lines, [Some(3), Some(5)]);
    }
}
