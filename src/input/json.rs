//! The JSON carriers, streamed: storage `PT1H.json` (JSON Lines, also several objects on
//! a line), Event Hubs `{"records":[...]}` bodies one after another, plain arrays of
//! records, `az monitor log-analytics query` arrays and Log Analytics `{"tables":[...]}`
//! responses. Documents are walked element by element, never loaded whole.

use super::fields::{Field, KeyKind, clip};
use super::raw::{Key, Outcome, RawRecord};
use super::{Shape, Sink};
use crate::model::Position;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, BufRead};
use std::sync::{Arc, Mutex, mpsc};

/// Lines are parsed in blocks of about this many bytes, several at once on several cores.
const BLOCK: usize = 4 * 1024 * 1024;

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
    let mut blocks = Blocks {
        reader,
        block_size,
        next_line: 1,
        carry: Vec::new(),
        spare: Vec::new(),
    };
    let Some(first) = blocks.next()? else {
        return Ok(Shape::Empty);
    };
    let mut merged = Merged {
        input,
        shape: None,
        seen_content: false,
    };
    let Some(second) = blocks.next()? else {
        merged.deliver(parse_block(&first, input), sink);
        return Ok(merged.shape());
    };
    if workers == 1 {
        for block in [first, second] {
            merged.deliver(parse_block(&block, input), sink);
        }
        while let Some(block) = blocks.next()? {
            merged.deliver(parse_block(&block, input), sink);
        }
        return Ok(merged.shape());
    }
    parallel(
        &mut blocks,
        [first, second],
        workers,
        input,
        &mut merged,
        sink,
    )?;
    Ok(merged.shape())
}

/// Reads blocks on this thread, parses them on `workers` threads, and hands the results
/// to the sink in block order. At most a few blocks per worker are in flight, so memory
/// stays bounded whatever the input's size; parsed blocks' buffers are filled again.
fn parallel(
    blocks: &mut Blocks<'_>,
    started: [Block; 2],
    workers: usize,
    input: usize,
    merged: &mut Merged,
    sink: &mut dyn Sink,
) -> io::Result<()> {
    std::thread::scope(|scope| {
        let (work, jobs) = mpsc::channel::<(usize, Block)>();
        let jobs = Arc::new(Mutex::new(jobs));
        let (done, results) = mpsc::channel::<(usize, BlockResult, Vec<u8>)>();
        for _ in 0..workers {
            let jobs = Arc::clone(&jobs);
            let done = done.clone();
            scope.spawn(move || {
                loop {
                    let job = match jobs.lock() {
                        Ok(jobs) => jobs.recv(),
                        Err(_) => break,
                    };
                    let Ok((index, block)) = job else { break };
                    let result = parse_block(&block, input);
                    if done.send((index, result, block.bytes)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done);
        let in_flight = workers * 3;
        let mut queued: Vec<Block> = started.into_iter().rev().collect();
        let mut pending: BTreeMap<usize, BlockResult> = BTreeMap::new();
        let (mut sent, mut delivered) = (0, 0);
        let mut outcome = Ok(());
        let mut reading = true;
        loop {
            while reading && sent - delivered < in_flight {
                let block = match queued.pop() {
                    Some(block) => Some(block),
                    None => blocks.next().unwrap_or_else(|err| {
                        outcome = Err(err);
                        None
                    }),
                };
                let Some(block) = block else {
                    reading = false;
                    break;
                };
                if work.send((sent, block)).is_err() {
                    reading = false;
                    break;
                }
                sent += 1;
            }
            if delivered == sent {
                break;
            }
            let Ok((index, result, buffer)) = results.recv() else {
                break;
            };
            blocks.spare.push(buffer);
            pending.insert(index, result);
            while let Some(result) = pending.remove(&delivered) {
                merged.deliver(result, sink);
                delivered += 1;
            }
        }
        drop(work);
        outcome
    })
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
                let message = format!("invalid JSON: {}", describe(&err, true));
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

/// Reads one or more JSON documents. Malformed JSON ends the input: what came before
/// is kept and the break is reported with its line and column.
pub fn read_documents(
    reader: &mut dyn BufRead,
    input: usize,
    sink: &mut dyn Sink,
) -> std::io::Result<Shape> {
    let mut walker = Walker::new(input, sink);
    walker.numbered = true;
    let mut de = serde_json::Deserializer::from_reader(reader);
    loop {
        if let Err(err) = (ValueSeed {
            walker: &mut walker,
            depth: 0,
        })
        .deserialize(&mut de)
        {
            if err.is_io() {
                return Err(std::io::Error::other(err));
            }
            walker.records += 1;
            let position = Position::record(input, walker.records);
            let message = format!(
                "invalid JSON, the rest of the input is unreadable: {}",
                describe(&err, false)
            );
            walker.sink.outcome(position, Outcome::Skipped(message));
            break;
        }
        if de.end().is_ok() {
            break;
        }
    }
    Ok(walker.shape.unwrap_or(Shape::JsonArray))
}

/// serde_json's message with its place: the column within a JSON Lines line (the line
/// is already in the position), line and column within a document.
fn describe(err: &serde_json::Error, within_line: bool) -> String {
    let text = err.to_string();
    let message = text.split(" at line ").next().unwrap_or(&text);
    let place = match (err.line(), within_line) {
        (0, _) => String::new(),
        (_, true) => format!(" at column {}", err.column()),
        (line, false) => format!(" at line {line} column {}", err.column()),
    };
    format!("{}{place}", clip(message))
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
        }
    }

    fn saw(&mut self, shape: Shape) {
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

    #[test]
    fn line_numbers_carry_across_blocks_and_blank_lines() {
        let text = b"\n\n{oops\n\n{also broken}\n";
        let (_, heard) = read(text, 2, 4);
        let lines: Vec<Option<u64>> = heard.outcomes.iter().map(|(p, _)| p.line).collect();
        assert_eq!(lines, [Some(3), Some(5)]);
    }
}
