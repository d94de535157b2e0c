//! JSON Lines (storage `PT1H.json`): the input cut into blocks of whole lines, each block
//! parsed line by line on any core, and the blocks' outcomes merged back in order. A
//! broken line is skipped; reading goes on with the next. So is a line longer than the
//! record-size limit, read past in pieces and never held whole.

use super::fast;
use super::fold::{BlockResult, Fold, Lists, folding};
use super::seeds::read_line_with_serde;
use super::walker::Walker;
use crate::input::READ;
use crate::input::fields::clip;
use crate::input::pipeline::{Pipeline, run};
use crate::input::raw::Outcome;
use crate::input::{Shape, Sink};
use crate::model::Position;
use std::io::{self, BufRead};

pub(super) fn read_lines_in_blocks(
    reader: &mut dyn BufRead,
    input: usize,
    sink: &mut dyn Sink,
    workers: usize,
    block_size: usize,
    max_record_size: u64,
) -> io::Result<Shape> {
    let blocks = Blocks {
        reader,
        block_size,
        max_record_size,
        next_line: 1,
        carry: Vec::new(),
        spare: Vec::new(),
    };
    let merged = Merged {
        shape: None,
        seen_content: false,
    };
    let lists = Lists::default();
    let parse = |block: &Block| parse_block(block, input, &lists);
    folding(sink, input, &lists, workers, |fold| {
        let mut lines = Lines {
            blocks,
            merged,
            fold,
        };
        run(&mut lines, workers, &parse)?;
        Ok(lines.merged.shape())
    })
}

/// JSON Lines as a pipeline: blocks of lines in, their outcomes out to the fold.
struct Lines<'a, 'r> {
    blocks: Blocks<'r>,
    merged: Merged,
    fold: Fold<'a>,
}

impl Pipeline for Lines<'_, '_> {
    type Job = Block;
    type Done = BlockResult;

    fn next(&mut self) -> io::Result<Option<Block>> {
        self.blocks.next()
    }

    fn deliver(&mut self, block: Block, result: BlockResult) -> bool {
        // Parsed blocks' buffers are filled again.
        self.blocks.spare.push(block.buffer);
        self.merged.note(&result);
        self.fold.hand(result)
    }
}

/// A run of whole lines and the number of its first line.
struct Block {
    /// The lines are `buffer[..len]`; the rest is room an earlier block wrote, kept to
    /// read into without clearing it again.
    buffer: Vec<u8>,
    len: usize,
    line: u64,
    /// How many lines it holds (its newlines), to size the results.
    lines: usize,
    /// The line right after them, when it was longer than the limit and read past.
    oversized: Option<Oversized>,
}

impl Block {
    fn bytes(&self) -> &[u8] {
        &self.buffer[..self.len]
    }
}

/// A line longer than `--max-record-size`: its number and length, not its bytes.
#[derive(Debug, Clone, Copy)]
struct Oversized {
    line: u64,
    length: u64,
    limit: u64,
    /// Nothing but whitespace: no record, like any blank line.
    blank: bool,
}

/// Cuts the input into blocks of whole lines. A line longer than a block makes a longer
/// block, up to the record-size limit; a line longer than that is read past and only its
/// length kept.
struct Blocks<'r> {
    reader: &'r mut dyn BufRead,
    block_size: usize,
    max_record_size: u64,
    next_line: u64,
    /// The start of a line cut off at the end of the previous block.
    carry: Vec<u8>,
    /// Buffers of blocks already parsed, to be filled again rather than allocated.
    spare: Vec<Vec<u8>>,
}

impl Blocks<'_> {
    fn next(&mut self) -> io::Result<Option<Block>> {
        let mut buffer = self.spare.pop().unwrap_or_default();
        let mut len = self.carry.len();
        if buffer.len() < len {
            buffer.resize(len, 0);
        }
        buffer[..len].copy_from_slice(&self.carry);
        self.carry.clear();
        // Where the line still being read starts, and whether a line has ended.
        let mut line_start = memchr::memrchr(b'\n', &buffer[..len]).map_or(0, |end| end + 1);
        let mut has_newline = line_start > 0;
        let limit = usize::try_from(self.max_record_size).unwrap_or(usize::MAX);
        let mut oversized = None;
        loop {
            // At least a reader's buffer at a time (or a block, when smaller), so that a
            // buffered reader hands the read straight to the file instead of copying
            // through its own buffer; a line longer than the block reads on the same
            // way. Never more than one byte past the limit of the line being read.
            let least = READ.min(self.block_size).max(1);
            let room = self.block_size.saturating_sub(len).max(least);
            let allowed = limit.saturating_sub(len - line_start).saturating_add(1);
            let wanted = room.min(allowed);
            if buffer.len() < len + wanted {
                buffer.resize(len + wanted, 0);
            }
            let read = match self.reader.read(&mut buffer[len..len + wanted]) {
                Ok(0) => break,
                Ok(read) => read,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            };
            if let Some(end) = memchr::memrchr(b'\n', &buffer[len..len + read]) {
                has_newline = true;
                line_start = len + end + 1;
            }
            len += read;
            if len - line_start > limit {
                let blank = buffer[line_start..len].trim_ascii().is_empty();
                let head = (len - line_start) as u64;
                len = line_start;
                let (rest, rest_blank) = self.read_past_line()?;
                oversized = Some((head + rest, blank && rest_blank));
                break;
            }
            if len >= self.block_size && has_newline {
                break;
            }
        }
        if len == 0 && oversized.is_none() {
            self.spare.push(buffer);
            return Ok(None);
        }
        // The start of a line cut off waits for the next block.
        if let Some(end) = memchr::memrchr(b'\n', &buffer[..len]) {
            self.carry.extend_from_slice(&buffer[end + 1..len]);
            len = end + 1;
        }
        let line = self.next_line;
        let lines = memchr::memchr_iter(b'\n', &buffer[..len]).count();
        self.next_line += lines as u64;
        let oversized = oversized.map(|(length, blank)| {
            self.next_line += 1;
            Oversized {
                line: self.next_line - 1,
                length,
                limit: self.max_record_size,
                blank,
            }
        });
        Ok(Some(Block {
            buffer,
            len,
            line,
            lines,
            oversized,
        }))
    }

    /// Reads past the rest of a line, in the reader's pieces, keeping none of it: its
    /// length (without the newline) and whether it is all blank.
    fn read_past_line(&mut self) -> io::Result<(u64, bool)> {
        let (mut length, mut blank) = (0, true);
        loop {
            let available = self.reader.fill_buf()?;
            if available.is_empty() {
                return Ok((length, blank));
            }
            let end = memchr::memchr(b'\n', available);
            let piece = &available[..end.unwrap_or(available.len())];
            length += piece.len() as u64;
            blank &= piece.trim_ascii().is_empty();
            let used = end.map_or(piece.len(), |end| end + 1);
            self.reader.consume(used);
            if end.is_some() {
                return Ok((length, blank));
            }
        }
    }
}

/// The blocks' results, merged in order.
struct Merged {
    shape: Option<Shape>,
    seen_content: bool,
}

impl Merged {
    /// Takes what a parsed block says about the input as a whole.
    fn note(&mut self, result: &BlockResult) {
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
/// How much of a line that is not JSON a message quotes.
const LINE_START_SHOWN: usize = 24;

fn parse_block(block: &Block, input: usize, lists: &Lists) -> BlockResult {
    let mut result = BlockResult {
        outcomes: lists.take(block.lines + 1),
        ..BlockResult::default()
    };
    let (first_line, bytes) = (block.line, block.bytes());
    let mut walker = Walker::new(input, &mut result);
    let mut seen_content = false;
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', bytes).chain(std::iter::once(bytes.len()));
    for (offset, end) in ends.enumerate() {
        let line = &bytes[start..end];
        start = (end + 1).min(bytes.len());
        let text = line.trim_ascii();
        if text.is_empty() {
            continue;
        }
        seen_content = true;
        let number = first_line + offset as u64;
        // A record line is an object (or a wrapper array): anything else, such as CSV
        // pasted after JSON Lines, is one skipped line, not a run of stray values.
        if !matches!(text.first(), Some(b'{' | b'[')) {
            let start: String = String::from_utf8_lossy(text)
                .chars()
                .take(LINE_START_SHOWN)
                .collect();
            let message = format!(
                "not a JSON record: the line starts with \"{}\"",
                clip(&start)
            );
            walker
                .sink
                .outcome(Position::line(input, number), Outcome::Skipped(message));
            continue;
        }
        walker.line = Some(number);
        // Records inside a wrapper on one line are numbered within that line.
        walker.records = 0;
        match fast::read_record(text) {
            Some(mut raw) => walker.emit(&mut raw, false),
            None => read_line_with_serde(&mut walker, text, number),
        }
    }
    if let Some(Oversized {
        line,
        length,
        limit,
        blank: false,
    }) = block.oversized
    {
        seen_content = true;
        let message =
            format!("line is {length} bytes, longer than --max-record-size ({limit} bytes)");
        walker
            .sink
            .outcome(Position::line(input, line), Outcome::Skipped(message));
    }
    let shape = walker.shape;
    result.shape = shape;
    result.seen_content = seen_content;
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Recorded;

    fn read(text: &[u8], workers: usize, block_size: usize) -> (Shape, Recorded) {
        read_limited(&mut &text[..], workers, block_size, u64::MAX)
    }

    fn read_limited(
        reader: &mut dyn BufRead,
        workers: usize,
        block_size: usize,
        limit: u64,
    ) -> (Shape, Recorded) {
        let mut recorded = Recorded::default();
        let shape = read_lines_in_blocks(reader, 0, &mut recorded, workers, block_size, limit)
            .expect("reads");
        (shape, recorded)
    }

    /// The line and the reason of each skip, in order.
    fn skips(recorded: &Recorded) -> Vec<(Option<u64>, &str)> {
        recorded
            .outcomes
            .iter()
            .filter_map(|(position, outcome)| match outcome {
                Outcome::Skipped(reason) => Some((position.line, reason.as_str())),
                _ => None,
            })
            .collect()
    }

    const RECORD: &str = r#"{"time":"2026-03-02T08:00:05Z","operationName":"deviceConnect","properties":"{\"deviceId\":\"d1\"}"}"#;

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
        let (_, recorded) = read(text, 2, 4);
        let lines: Vec<Option<u64>> = recorded.outcomes.iter().map(|(p, _)| p.line).collect();
        assert_eq!(lines, [Some(3), Some(5)]);
    }

    #[test]
    fn a_line_longer_than_the_limit_is_skipped_with_its_length_and_reading_goes_on() {
        let long = format!("{{\"time\":\"{}\"}}", "x".repeat(300));
        let text = format!("{RECORD}\n{long}\n\n{RECORD}\n{long}");
        let limit = RECORD.len() as u64;
        let expected = format!(
            "line is {} bytes, longer than --max-record-size ({limit} bytes)",
            long.len()
        );
        let (shape, one) = read_limited(&mut text.as_bytes(), 1, 1 << 20, limit);
        assert_eq!(shape, Shape::JsonLines);
        assert_eq!(one.outcomes.len(), 4);
        assert_eq!(
            skips(&one),
            [(Some(2), expected.as_str()), (Some(5), expected.as_str())]
        );
        for block_size in [1, 7, 64, 300, 5000] {
            for workers in [1, 3] {
                for piece in [1, 5, 64, 4096] {
                    let mut reader = std::io::BufReader::with_capacity(piece, text.as_bytes());
                    let (_, many) = read_limited(&mut reader, workers, block_size, limit);
                    assert_eq!(
                        many, one,
                        "{workers} workers, blocks of {block_size}, pieces of {piece}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_line_of_exactly_the_limit_is_read_and_one_byte_more_is_skipped() {
        let text = format!("{RECORD}\n{RECORD} \n");
        let limit = RECORD.len() as u64;
        let (_, recorded) = read_limited(&mut text.as_bytes(), 1, 16, limit);
        assert_eq!(recorded.outcomes.len(), 2);
        let expected = format!(
            "line is {} bytes, longer than --max-record-size ({limit} bytes)",
            limit + 1
        );
        assert_eq!(skips(&recorded), [(Some(2), expected.as_str())]);
    }

    #[test]
    fn a_blank_line_longer_than_the_limit_is_no_record() {
        let text = format!("{}\n{RECORD}\n", " ".repeat(500));
        let (shape, recorded) = read_limited(&mut text.as_bytes(), 1, 64, 100);
        assert_eq!(shape, Shape::JsonLines);
        assert_eq!(recorded.outcomes.len(), 1);
        assert_eq!(recorded.outcomes[0].0.line, Some(2));
        let (shape, recorded) = read_limited(&mut " ".repeat(500).as_bytes(), 1, 64, 100);
        assert_eq!(shape, Shape::Empty);
        assert!(recorded.outcomes.is_empty());
    }

    #[test]
    fn a_line_longer_than_the_limit_is_never_held_whole() {
        let text = format!("{RECORD}\n{}\n{RECORD}\n", "x".repeat(1 << 20));
        let mut reader = text.as_bytes();
        let mut blocks = Blocks {
            reader: &mut reader,
            block_size: 64,
            max_record_size: 1000,
            next_line: 1,
            carry: Vec::new(),
            spare: Vec::new(),
        };
        let mut held = 0;
        let mut oversized = Vec::new();
        while let Some(block) = blocks.next().expect("reads") {
            held = held.max(block.buffer.capacity() + blocks.carry.capacity());
            oversized.extend(block.oversized.map(|o| (o.line, o.length)));
        }
        assert_eq!(oversized, [(2, 1 << 20)]);
        assert!(held < 4096, "at most {held} bytes held at once");
    }
}
