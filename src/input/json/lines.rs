//! JSON Lines (storage `PT1H.json`): the input cut into blocks of whole lines, each block
//! parsed line by line on any core, and the blocks' outcomes merged back in order. A
//! broken line is skipped; reading goes on with the next.

use super::pipeline::{BlockResult, Pipeline, run};
use super::walker::{ValueSeed, Walker};
use super::{BLOCK, describe_in_line};
use crate::input::raw::Outcome;
use crate::input::{Shape, Sink};
use crate::model::Position;
use serde::de::DeserializeSeed;
use std::io::{self, BufRead};

pub(super) fn read_lines_in_blocks(
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

#[cfg(test)]
mod tests {
    use super::super::Heard;
    use super::*;

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
