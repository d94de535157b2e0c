//! JSON documents, on top of the splitter: batches of elements parsed on every core, their
//! outcomes renumbered to run on from the batches before, and the place in the input
//! kept, so that where the splitter stops or an element fails to parse, the serde walker
//! can take over (see `fallback`) and say what it always said.

use super::fallback::{Resume, renumber, take_over};
use super::fast;
use super::fold::{BlockResult, Fold, Lists, folding};
use super::rows::{RowSeed, emit_row_cells};
use super::seeds::ValueSeed;
use super::split::{Batch, Piece, Resync, Splitter, UnitKind};
use super::walker::Walker;
use crate::input::pipeline::{Pipeline, run};
use crate::input::{Shape, Sink};
use serde::de::DeserializeSeed;
use std::collections::VecDeque;
use std::io::{self, BufRead};

/// Where the splitter stops (on anything it does not vouch for, from a cut-off document to
/// rows before their columns) or an element fails to parse, the serde walker takes over:
/// a skeleton puts it where the splitter was, and it reads the rest of the input, saying
/// what it always said, in the same words and at the same place.
pub(super) fn read_documents_in_blocks(
    reader: &mut dyn BufRead,
    input: usize,
    sink: &mut dyn Sink,
    workers: usize,
    block_size: usize,
    unit_limit: usize,
) -> io::Result<Shape> {
    let lists = Lists::default();
    let parse = |batch: &Batch| parse_batch(batch, input, &lists);
    let splitter = Splitter::new(reader, block_size, unit_limit);
    let (read, splitter, records, shape, line, column, failure) =
        folding(sink, input, &lists, workers, |fold| {
            let mut documents = Documents {
                splitter,
                fold,
                records: 0,
                shape: None,
                line: 1,
                column: 0,
                failure: None,
            };
            let read = run(&mut documents, workers, &parse);
            // The fold is let go of here, so that it ends before the serde walker
            // takes the sink over.
            let Documents {
                splitter,
                records,
                shape,
                line,
                column,
                failure,
                ..
            } = documents;
            (read, splitter, records, shape, line, column, failure)
        });
    read?;
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
    take_over(resume, rest.reader, input, sink, records, shape)
}

/// Documents as a pipeline: batches of elements in, their outcomes out to the sink,
/// renumbered to run on from the batches before.
struct Documents<'a, 'r> {
    splitter: Splitter<'r>,
    fold: Fold<'a>,
    /// Records delivered so far.
    records: u64,
    shape: Option<Shape>,
    /// Where the input not yet delivered starts.
    line: usize,
    column: usize,
    /// Set when an element failed to parse: from there on, the input is serde's.
    failure: Option<Resume>,
}

impl Pipeline for Documents<'_, '_> {
    type Job = Batch;
    type Done = BatchResult;

    fn next(&mut self) -> io::Result<Option<Batch>> {
        self.splitter.next()
    }

    fn deliver(&mut self, mut batch: Batch, mut result: BatchResult) -> bool {
        if let Some(failure) = &mut self.failure {
            failure.parts.push_back(batch.bytes);
            return false;
        }
        let base = self.records;
        for (position, _) in &mut result.recorded.outcomes {
            renumber(position, |record| base + record);
        }
        if !self.fold.hand(std::mem::take(&mut result.recorded)) {
            return false;
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
    recorded: BlockResult,
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
fn parse_batch(batch: &Batch, input: usize, lists: &Lists) -> BatchResult {
    let mut recorded = BlockResult {
        outcomes: lists.take(batch.pieces.len()),
        ..BlockResult::default()
    };
    let (mut records, mut shape, mut az_cli) = (0, None, false);
    let mut failed = None;
    for (index, piece) in batch.pieces.iter().enumerate() {
        let (outcomes, warnings) = (recorded.outcomes.len(), recorded.warnings.len());
        let mut walker = Walker::new(input, &mut recorded);
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
            recorded.outcomes.truncate(outcomes);
            recorded.warnings.truncate(warnings);
            failed = Some(index);
            break;
        }
        (records, shape) = (after.0, after.1);
        az_cli |= after.2;
    }
    BatchResult {
        recorded,
        records,
        shape,
        az_cli,
        failed,
        lines: Newlines::of(&batch.bytes),
    }
}

/// Parses one element as the serde walker would have at its place in the document.
fn parse_unit(walker: &mut Walker<'_>, kind: &UnitKind, bytes: &[u8]) -> serde_json::Result<()> {
    if let UnitKind::Value(depth) = kind
        && let Some(mut raw) = fast::read_record(bytes)
    {
        // A plain record object, as the walker's `visit_map` emits one.
        let wrapped = *depth > 0 && !walker.numbered;
        walker.emit(&mut raw, wrapped);
        return Ok(());
    }
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

#[cfg(test)]
mod tests {
    use super::super::fallback::walk_documents;
    use super::super::split::UNIT_LIMIT;
    use super::*;
    use crate::input::Outcome;
    use crate::input::Recorded;

    /// The documents as serde alone walks them: the reference the splitter is held to.
    fn serde_documents(text: &[u8]) -> (Shape, Recorded) {
        let mut recorded = Recorded::default();
        let mut walker = Walker::new(0, &mut recorded);
        walker.numbered = true;
        walk_documents(&mut &text[..], &mut walker, &|line, column| (line, column)).expect("reads");
        let shape = walker.shape.unwrap_or(Shape::JsonArray);
        (shape, recorded)
    }

    fn documents(
        text: &[u8],
        workers: usize,
        block_size: usize,
        limit: usize,
    ) -> (Shape, Recorded) {
        let mut recorded = Recorded::default();
        let shape =
            read_documents_in_blocks(&mut &text[..], 0, &mut recorded, workers, block_size, limit)
                .expect("reads");
        (shape, recorded)
    }

    /// The split reader hears what serde hears, whatever the blocks and threads.
    fn same_as_serde(text: &[u8], what: &str, block_sizes: &[usize], workers: &[usize]) {
        let expected = serde_documents(text);
        for &block_size in block_sizes {
            for &workers in workers {
                let got = documents(text, workers, block_size, UNIT_LIMIT);
                if got != expected {
                    let (shape, recorded) = &got;
                    assert_eq!(*shape, expected.0, "{what}: shape");
                    assert_eq!(recorded.warnings, expected.1.warnings, "{what}: warnings");
                    for (index, (got, want)) in recorded
                        .outcomes
                        .iter()
                        .zip(&expected.1.outcomes)
                        .enumerate()
                    {
                        assert_eq!(
                            got, want,
                            "{what}: outcome {index}, {workers} workers, blocks of {block_size}"
                        );
                    }
                    assert_eq!(
                        recorded.outcomes.len(),
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
        use crate::model::Shape;
        use crate::synth::{FleetSpec, write_fleet};
        for shape in [
            Shape::Records,
            Shape::JsonArray,
            Shape::Tables,
            Shape::AzCli,
        ] {
            let mut text = Vec::new();
            let truth = write_fleet(&FleetSpec::new(3, 40, 6), shape, &mut text).expect("writes");
            let (_, recorded) = serde_documents(&text);
            assert_eq!(recorded.outcomes.len() as u64, truth.records, "{shape:?}");
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
        let (_, recorded) = documents(text.as_bytes(), 2, 16, UNIT_LIMIT);
        assert_eq!(recorded, serde_documents(text.as_bytes()).1);
        assert_eq!(recorded.outcomes.len(), 3);
        let (position, outcome) = &recorded.outcomes[2];
        assert_eq!(*position, crate::model::Position::record(0, 3));
        assert_eq!(
            *outcome,
            Outcome::Skipped(
                "invalid JSON, the rest of the input is unreadable: expected ident at line 3 column 15"
                    .to_string()
            )
        );
    }
}
