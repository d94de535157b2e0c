//! The JSON carriers, streamed: storage `PT1H.json` (JSON Lines, also several objects on
//! a line), Event Hubs `{"records":[...]}` bodies one after another, plain arrays of
//! records, `az monitor log-analytics query` arrays and Log Analytics `{"tables":[...]}`
//! responses. Documents are cut into their elements (see `split`) and walked element by
//! element, never loaded whole; lines and elements are parsed in blocks on every core.
//!
//! This file holds the two entry points and the words for a parse error. `lines` and
//! `documents` read their carriers through the input's `pipeline`, which parses on
//! every core, and hand the outcomes to the `fold`; `walker` turns JSON values into
//! records with serde, `rows` reads a table's rows (also alone), and `fallback` lets the
//! walker take over a document where the splitter stops.

mod documents;
mod fallback;
mod fast;
mod fold;
mod lines;
mod rows;
mod seeds;
mod split;
mod walker;

pub use fast::both_ways as quick_and_serde;

use super::fields::clip;
use super::{Shape, Sink};
use split::UNIT_LIMIT;
use std::io::{self, BufRead};

/// Lines are parsed in blocks of about this many bytes, several at once on several cores.
const BLOCK: usize = 1024 * 1024;

/// Reads JSON Lines: each line holds one or more JSON values; a broken line is skipped
/// and reading goes on with the next, and so is a line longer than `max_record_size`
/// bytes. Blocks of lines are parsed on `workers` cores, and their outcomes reach the
/// sink in input order, so the result is the same as reading line by line.
pub fn read_lines(
    reader: &mut dyn BufRead,
    input: usize,
    sink: &mut dyn Sink,
    max_record_size: u64,
    workers: usize,
) -> io::Result<Shape> {
    lines::read_lines_in_blocks(reader, input, sink, workers, BLOCK, max_record_size)
}

/// Reads one or more JSON documents. Their elements are parsed in blocks on `workers`
/// cores, and their outcomes reach the sink in input order, numbered as one walk
/// through the documents numbers them. Malformed JSON ends the input: what came before is kept and
/// the break is reported with its line and column.
pub fn read_documents(
    reader: &mut dyn BufRead,
    input: usize,
    sink: &mut dyn Sink,
    workers: usize,
) -> io::Result<Shape> {
    documents::read_documents_in_blocks(reader, input, sink, workers, BLOCK, UNIT_LIMIT)
}

/// serde_json's message without its place.
fn message_of(err: &serde_json::Error) -> String {
    let text = err.to_string();
    clip(text.split(" at line ").next().unwrap_or(&text)).clone()
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
