//! Reading exports: open each input (file or stdin), detect its shape from the content,
//! and stream every record to a [`Sink`] as analyzed, filtered or skipped, so that the
//! counts always reconcile.

mod avro;
mod bundle;
mod carriers;
mod csv;
mod csv_rows;
mod detect;
mod fields;
pub mod findings;
#[doc(hidden)]
pub mod fuzzing;
mod json;
mod metrics;
mod pipeline;
mod raw;
mod state_events;
pub mod storage;
mod time;

pub use bundle::{Limits, Unit, expand};
pub use fields::parse_offset;
pub use metrics::MetricPoint;
pub use raw::Outcome;
pub use time::{DateOrder, parse_rfc3339};

use crate::model::Position;
use anyhow::{Context, Result};
use detect::Reader;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Read};
use std::num::NonZeroUsize;
use std::path::PathBuf;

pub use crate::model::Shape;

/// Which parser to use; `Auto` detects from the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InputFormat {
    #[default]
    Auto,
    /// One JSON value per line (storage `PT1H.json`).
    JsonLines,
    /// JSON documents: `records` wrappers, arrays (az CLI too), `tables` responses.
    Json,
    Csv,
}

/// Settings that change how inputs are read.
#[derive(Debug, Clone)]
pub struct Options {
    /// Limits against decompression bombs.
    pub limits: Limits,
    /// Show a progress bar for large inputs (decided once: stderr is a terminal).
    pub progress: bool,
    pub format: InputFormat,
    pub date_order: Option<DateOrder>,
    /// Offset east of UTC, in seconds, of `[Local Time]` CSV columns.
    pub tz_offset: Option<i32>,
    /// Longest JSON Lines line read, in bytes (default 64 MiB); a longer one is skipped
    /// without being held in memory.
    pub max_record_size: u64,
    /// Threads that parse; `None`: one a core.
    pub threads: Option<NonZeroUsize>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            limits: Limits::default(),
            progress: false,
            format: InputFormat::default(),
            date_order: None,
            tz_offset: None,
            max_record_size: 64 << 20,
            threads: None,
        }
    }
}

impl Options {
    /// How many threads parse: as asked, else one a core.
    pub fn workers(&self) -> usize {
        self.threads.map_or_else(every_core, NonZeroUsize::get)
    }
}

/// Receives what became of each record, and warnings about an input as a whole. A sink
/// may be handed to another thread, so that folding records runs beside reading them.
pub trait Sink: Send {
    fn outcome(&mut self, position: Position, outcome: Outcome);
    fn warning(&mut self, input: usize, message: String);

    /// A point of the `connectedDeviceCount` metric, from a metrics input.
    fn metric(&mut self, input: usize, point: MetricPoint) {
        let _ = (input, point);
    }

    /// Takes a block's outcomes in order and leaves the list empty, its memory kept for
    /// the next block. A sink that can read them where they are spares a copy of each.
    fn outcomes(&mut self, list: &mut Vec<(Position, Outcome)>) {
        for (position, outcome) in list.drain(..) {
            self.outcome(position, outcome);
        }
    }
}

/// A file path, standard input (`-`), or a place in Azure Blob Storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Stdin,
    Path(PathBuf),
    Storage(storage::Location),
}

impl Source {
    pub fn new(argument: &str) -> Source {
        if argument == "-" {
            Source::Stdin
        } else if storage::is_storage(argument) {
            Source::Storage(storage::Location::new(argument))
        } else {
            Source::Path(PathBuf::from(argument))
        }
    }

    /// How the input is named in messages and reports.
    pub fn display_name(&self) -> String {
        match self {
            Source::Stdin => "<stdin>".to_string(),
            Source::Path(path) => path.display().to_string(),
            Source::Storage(location) => location.display_name(),
        }
    }

    /// The source with the time window that prunes a storage listing.
    #[must_use]
    pub fn within(self, window: storage::Window) -> Source {
        match self {
            Source::Storage(location) => Source::Storage(location.within(window)),
            other => other,
        }
    }
}

/// Whether the start of an input reads as a log export (or is empty), as detection sees it.
pub fn is_log(prefix: &[u8]) -> bool {
    let prefix = prefix.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(prefix);
    detect::detect(prefix).is_ok_and(|reader| !matches!(reader, Reader::Report(_)))
}

/// How the warning for an input passed over (found, not named, and not a log) begins.
pub const PASSED_OVER: &str = "skipped, not read as a log: ";

/// The buffered reader's capacity in front of every input; JSON Lines blocks are read
/// in pieces at least this large, which it hands straight to the file.
const READ: usize = 256 * 1024;

/// How much of an input shape detection sees at once.
const DETECTION_BYTES: usize = 64 * 1024;

/// Inputs larger than this get a progress bar, when stderr is a terminal.
const PROGRESS_FROM: u64 = 64 * 1024 * 1024;

/// Reads one input to the end, on every core. Errors are about the input as a whole
/// (unreadable, not an export, over its limit); a bad record is reported to the sink and
/// reading goes on.
pub fn read(unit: &Unit, input: usize, options: &Options, sink: &mut dyn Sink) -> Result<Shape> {
    read_with_workers(unit, input, options, options.workers(), None, sink)
}

fn every_core() -> usize {
    std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// Inputs up to this size are read whole on one core each, several at a time; a larger
/// one is cut into blocks read on every core.
const SMALL_INPUT: u64 = 4 * 1024 * 1024;

/// How much an input read whole may yield, decompressed: one that yields more (a small
/// gzip file of a large log, a file that grew) is read again the usual way, so what is
/// held for an input waiting for its turn stays small.
const WHOLE_LIMIT: u64 = 2 * SMALL_INPUT;

/// Reads inputs one after another into the sink, as [`read`] reads each: `indices` are
/// their input numbers, and `done` hears each input's shape once all of its outcomes
/// are in the sink (an error there stops the reading). SmallInputs inputs, such as a day of
/// hourly `PT1H.json` blobs, are read several at a time on other cores while the sink
/// takes the outcomes of earlier ones, in order, so the result is the same.
pub fn read_in_order<S: Sink>(
    units: &[Unit],
    indices: &[usize],
    options: &Options,
    sink: &mut S,
    done: &mut Done<'_, S>,
) -> Result<()> {
    let mut at = 0;
    while let Some(unit) = units.get(at) {
        let small = units[at..]
            .iter()
            .take_while(|unit| unit.size_hint().is_some_and(|size| size <= SMALL_INPUT))
            .count();
        let (units_here, indices_here) = (&units[at..at + small.max(1)], &indices[at..]);
        if small < 2 {
            let index = indices_here.first().copied().unwrap_or_default();
            let shape = read(unit, index, options, sink)?;
            done(sink, index, shape)?;
        } else {
            read_small(units_here, indices_here, options, sink, done)?;
        }
        at += units_here.len();
    }
    Ok(())
}

/// What hears that an input is all in the sink: its number and shape.
pub type Done<'a, S> = dyn FnMut(&mut S, usize, Shape) -> Result<()> + 'a;

/// SmallInputs inputs read on other cores, each whole, and handed to the sink in order.
fn read_small<S: Sink>(
    units: &[Unit],
    indices: &[usize],
    options: &Options,
    sink: &mut S,
    done: &mut Done<'_, S>,
) -> Result<()> {
    let mut small = SmallInputs {
        next: 0,
        units,
        options,
        sink,
        done,
        failure: None,
    };
    let parse = |&at: &usize| {
        let mut held = HeldBack::default();
        let index = indices.get(at).copied().unwrap_or_default();
        let over = Cell::new(false);
        let read = units
            .get(at)
            .map(|unit| read_with_workers(unit, index, options, 1, Some(&over), &mut held));
        held.shape = if over.get() {
            // Too large to hold: read at its turn, the usual way.
            held.outcomes = Vec::new();
            held.warnings = Vec::new();
            held.metrics = Vec::new();
            None
        } else {
            read
        };
        (at, index, held)
    };
    pipeline::run(&mut small, options.workers(), &parse)?;
    small.failure.map_or(Ok(()), Err)
}

/// SmallInputs inputs as a pipeline: their numbers in, what each said out to the sink.
struct SmallInputs<'a, S> {
    next: usize,
    units: &'a [Unit],
    options: &'a Options,
    sink: &'a mut S,
    done: &'a mut Done<'a, S>,
    /// The error that stopped the reading: an input's own, or the one `done` gave.
    failure: Option<anyhow::Error>,
}

impl<S: Sink> pipeline::Pipeline for SmallInputs<'_, S> {
    type Job = usize;
    type Done = (usize, usize, HeldBack);

    fn next(&mut self) -> io::Result<Option<usize>> {
        let at = self.next;
        self.next += 1;
        Ok((at < self.units.len()).then_some(at))
    }

    fn deliver(&mut self, _: usize, (at, index, held): (usize, usize, HeldBack)) -> bool {
        // Inputs read ahead of the one that failed are not held.
        if self.failure.is_some() {
            return false;
        }
        for (position, outcome) in held.outcomes {
            self.sink.outcome(position, outcome);
        }
        for message in held.warnings {
            self.sink.warning(index, message);
        }
        for point in held.metrics {
            self.sink.metric(index, point);
        }
        let shape = match (held.shape, self.units.get(at)) {
            (Some(shape), _) => shape,
            (None, Some(unit)) => read(unit, index, self.options, &mut *self.sink),
            (None, None) => return true,
        };
        let result = shape.and_then(|shape| (self.done)(self.sink, index, shape));
        match result {
            Ok(()) => true,
            Err(err) => {
                self.failure = Some(err);
                false
            }
        }
    }
}

/// Everything one input said, held until its turn; no shape when it was too large to
/// hold.
#[derive(Default)]
struct HeldBack {
    outcomes: Vec<(Position, Outcome)>,
    warnings: Vec<String>,
    metrics: Vec<MetricPoint>,
    shape: Option<Result<Shape>>,
}

/// A stream that fails once it has yielded more than `left` bytes, and says so in `over`.
struct Capped<'a, R> {
    inner: R,
    left: u64,
    over: &'a Cell<bool>,
}

impl<R: Read> Read for Capped<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        if let Some(left) = self.left.checked_sub(read as u64) {
            self.left = left;
            Ok(read)
        } else {
            self.over.set(true);
            Err(io::Error::other("larger than an input read whole"))
        }
    }
}

impl Sink for HeldBack {
    fn outcome(&mut self, position: Position, outcome: Outcome) {
        self.outcomes.push((position, outcome));
    }

    fn warning(&mut self, _: usize, message: String) {
        self.warnings.push(message);
    }

    fn metric(&mut self, _: usize, point: MetricPoint) {
        self.metrics.push(point);
    }
}

/// Reads one input to the end with `workers` threads parsing. With `over`, the input is
/// read whole and stops at [`WHOLE_LIMIT`] bytes, setting `over`.
fn read_with_workers(
    unit: &Unit,
    input: usize,
    options: &Options,
    workers: usize,
    over: Option<&Cell<bool>>,
    sink: &mut dyn Sink,
) -> Result<Shape> {
    // What was found in a directory or an archive and cannot be read as a log is passed
    // over, before any of it reached the sink; what was named stops the run.
    let pass_over = |err: anyhow::Error, sink: &mut dyn Sink| {
        if unit.named() {
            return Err(err);
        }
        let message = format!("{err:#}");
        let reason = message
            .strip_prefix(unit.name.as_str())
            .and_then(|rest| rest.strip_prefix(": "))
            .unwrap_or(&message);
        sink.warning(input, format!("{PASSED_OVER}{reason}"));
        Ok(Shape::Skipped)
    };
    let mut stream = match unit.open(&options.limits) {
        Ok(stream) => stream,
        // A blob deleted since it was listed is reported; the run goes on.
        Err(err) if storage::is_vanished(&err) => {
            sink.warning(
                input,
                "skipped, the blob was deleted after it was listed".to_string(),
            );
            return Ok(Shape::Empty);
        }
        Err(err) => return pass_over(err, sink),
    };
    if let Some(over) = over {
        stream = Box::new(Capped {
            inner: stream,
            left: WHOLE_LIMIT,
            over,
        });
    }
    // Shape detection looks at the first bytes in one piece, however the stream is made
    // (a peeked file, a decompressor, a pipe handing over a few bytes at a time).
    let mut head = Vec::with_capacity(DETECTION_BYTES);
    if let Err(err) = (&mut stream)
        .take(DETECTION_BYTES as u64)
        .read_to_end(&mut head)
        .with_context(|| format!("{}: cannot read", unit.name))
    {
        return pass_over(err, sink);
    }
    let stream = io::Cursor::new(head).chain(stream);
    let stream: Box<dyn Read + '_> = match unit
        .file_size()
        .filter(|size| options.progress && *size >= PROGRESS_FROM)
    {
        Some(size) => Box::new(progress_bar(size, &unit.name).wrap_read(stream)),
        None => Box::new(stream),
    };
    let mut reader = BufReader::with_capacity(READ, stream);
    let chosen = match choose(&mut reader, options) {
        Ok(chosen) => chosen,
        Err(err) => return pass_over(err.context(unit.name.clone()), sink),
    };
    read_chosen(&mut reader, chosen, input, options, workers, sink)
        .with_context(|| unit.name.clone())
}

/// A bar on stderr, measured in the bytes the parser has taken (decompressed ones for
/// a gzip, so it can pass 100% there).
fn progress_bar(size: u64, name: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(size), ProgressDrawTarget::stderr());
    let style =
        ProgressStyle::with_template("{msg} {bar:30} {bytes}/{total_bytes} {bytes_per_sec} {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    // File and entry names are anyone's text: shown, never run by the terminal.
    bar.set_message(crate::escape::terminal(name).into_owned());
    bar
}

/// Chooses the reader and reads the content (the tests and the fuzz targets read this way).
fn read_from(
    reader: &mut dyn BufRead,
    input: usize,
    options: &Options,
    workers: usize,
    sink: &mut dyn Sink,
) -> Result<Shape> {
    let chosen = choose(reader, options)?;
    read_chosen(reader, chosen, input, options, workers, sink)
}

/// The reader for the content: as `--input-format` says, or detected. Nothing of the
/// input has reached the sink yet.
fn choose(reader: &mut dyn BufRead, options: &Options) -> Result<Reader> {
    skip_utf8_bom(reader)?;
    Ok(match options.format {
        InputFormat::JsonLines => Reader::JsonLines,
        InputFormat::Json => Reader::JsonDocuments,
        InputFormat::Csv => Reader::Csv,
        InputFormat::Auto => {
            let prefix = reader.fill_buf()?;
            detect::detect(prefix).map_err(|reason| anyhow::anyhow!(reason.0))?
        }
    })
}

fn read_chosen(
    reader: &mut dyn BufRead,
    chosen: Reader,
    input: usize,
    options: &Options,
    workers: usize,
    sink: &mut dyn Sink,
) -> Result<Shape> {
    let shape = match chosen {
        // Whitespace only as far as detection looked: read on as lines, which ends
        // empty unless something follows (and so a bomb of blanks meets its limit).
        Reader::Empty | Reader::JsonLines => {
            json::read_lines(reader, input, sink, options.max_record_size, workers)?
        }
        Reader::JsonDocuments => json::read_documents(reader, input, sink, workers)?,
        Reader::Csv => csv::read(reader, input, options, sink)?,
        Reader::Avro => avro::read(reader, input, options, sink)?,
        Reader::StateEvents => state_events::read(reader, input, sink, options.max_record_size)?,
        Reader::Metrics => metrics::read(reader, input, sink, options.max_record_size)?,
        Reader::Report(what) => {
            sink.warning(
                input,
                format!("skipped: it is {what} written by iothub-triage, not a log export"),
            );
            return Ok(Shape::Report);
        }
    };
    if shape == Shape::Empty {
        sink.warning(input, "the input is empty: no records".to_string());
    }
    Ok(shape)
}

fn skip_utf8_bom(reader: &mut dyn BufRead) -> io::Result<()> {
    if reader.fill_buf()?.starts_with(&[0xEF, 0xBB, 0xBF]) {
        reader.consume(3);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Record;

    #[test]
    fn the_progress_bar_shows_escapes_in_names_instead_of_running_them() {
        let bar = progress_bar(1, "logs/\u{1b}]0;owned\u{7}\u{202E}.json");
        assert_eq!(bar.message(), "logs/\\u{1b}]0;owned\\u{7}\\u{202e}.json");
    }

    #[derive(Default)]
    struct Collect {
        records: Vec<Record>,
        filtered: Vec<(Position, String)>,
        skipped: Vec<(Position, String)>,
        warnings: Vec<String>,
    }

    impl Sink for Collect {
        fn outcome(&mut self, position: Position, outcome: Outcome) {
            match outcome {
                Outcome::Record(record) => self.records.push(record),
                Outcome::Filtered(reason) => self.filtered.push((position, reason)),
                Outcome::Skipped(reason) => self.skipped.push((position, reason)),
            }
        }
        fn warning(&mut self, _: usize, message: String) {
            self.warnings.push(message);
        }
    }

    fn read_text(text: &str, options: &Options) -> Result<(Shape, Collect)> {
        let mut sink = Collect::default();
        let shape = read_from(&mut text.as_bytes(), 0, options, every_core(), &mut sink)?;
        Ok((shape, sink))
    }

    const CONNECT: &str = r#"{"time":"2026-03-02T08:00:05Z","operationName":"deviceConnect","category":"Connections","level":"Information","properties":"{\"deviceId\":\"pump-0042\"}"}"#;

    #[test]
    fn json_lines_skip_a_broken_line_and_go_on() {
        let text = format!("{CONNECT}\n{{\"time\": oops\n\n{CONNECT}{CONNECT}\n");
        let (shape, sink) = read_text(&text, &Options::default()).expect("reads");
        assert_eq!(shape, Shape::JsonLines);
        assert_eq!(sink.records.len(), 3);
        assert_eq!(sink.skipped.len(), 1);
        assert_eq!(sink.skipped[0].0, Position::line(0, 2));
        assert!(
            sink.skipped[0].1.starts_with("invalid JSON"),
            "{}",
            sink.skipped[0].1
        );
    }

    #[test]
    fn records_wrappers_one_after_another_are_all_read() {
        let text = format!("{{\"records\":[{CONNECT},{CONNECT}]}}\n{{\"records\":[{CONNECT}, 7]}}");
        let (shape, sink) = read_text(&text, &Options::default()).expect("reads");
        assert_eq!(shape, Shape::Records);
        assert_eq!(sink.records.len(), 3);
        assert_eq!(sink.skipped.len(), 1);
        assert_eq!(sink.skipped[0].0, Position::record(0, 4));
    }

    #[test]
    fn a_document_cut_off_keeps_what_came_before_and_reports_the_break() {
        let text = format!("[{CONNECT},{CONNECT},{{\"time\":\"2026");
        let (_, sink) = read_text(&text, &Options::default()).expect("reads");
        assert_eq!(sink.records.len(), 2);
        assert_eq!(sink.skipped.len(), 1);
        assert!(
            sink.skipped[0].1.contains("line 1 column"),
            "{}",
            sink.skipped[0].1
        );
    }

    #[test]
    fn tables_rows_map_by_column_name_and_partial_errors_warn() {
        let text = r#"{"tables":[{"name":"PrimaryResult","columns":[{"name":"TimeGenerated","type":"datetime"},{"name":"OperationName","type":"string"},{"name":"Category","type":"string"},{"name":"DeviceId","type":"string"}],
            "rows":[["2026-03-02T08:00:05Z","deviceConnect","Connections","d1"],["2026-03-02T08:00:06Z","deviceConnect"]]}],
            "error":{"code":"PartialError","message":"Query result set has exceeded the internal record count limit"}}"#;
        let (shape, sink) = read_text(text, &Options::default()).expect("reads");
        assert_eq!(shape, Shape::Tables);
        assert_eq!(sink.records.len(), 1);
        assert_eq!(
            sink.skipped[0].1,
            "row has 2 values but the table declares 4 columns"
        );
        assert_eq!(sink.warnings.len(), 1);
        assert!(sink.warnings[0].contains("PartialError"));
    }

    #[test]
    fn az_cli_rows_treat_none_as_null() {
        let text = r#"[{"TableName":"PrimaryResult","TimeGenerated":"2026-03-02T08:00:05Z","OperationName":"deviceConnect","Category":"Connections","ResultType":"None","DurationMs":"None","properties_s":"{\"deviceId\":\"d1\"}"}]"#;
        let (shape, sink) = read_text(text, &Options::default()).expect("reads");
        assert_eq!(shape, Shape::AzCli);
        assert_eq!(sink.records[0].code, None);
    }

    #[test]
    fn csv_order_is_settled_by_the_data_or_refused() {
        let header = "\"TimeGenerated [UTC]\",OperationName,Category,DeviceId\n";
        let settled = format!(
            "{header}\"02/03/2026 10:10:04.000\",deviceConnect,Connections,d1\n\"16/03/2026 10:10:04.000\",deviceConnect,Connections,d1\n"
        );
        let (_, sink) = read_text(&settled, &Options::default()).expect("reads");
        assert_eq!(
            sink.records[0].time.to_rfc3339(),
            "2026-03-02T10:10:04+00:00"
        );
        let open = format!("{header}\"02/03/2026 10:10:04.000\",deviceConnect,Connections,d1\n");
        let err = read_text(&open, &Options::default())
            .err()
            .expect("ambiguous");
        assert!(format!("{err:#}").contains("--date-order"), "{err:#}");
        let forced = Options {
            date_order: Some(DateOrder::MonthFirst),
            ..Options::default()
        };
        let (_, sink) = read_text(&open, &forced).expect("reads");
        assert_eq!(
            sink.records[0].time.to_rfc3339(),
            "2026-02-03T10:10:04+00:00"
        );
    }

    #[test]
    fn csv_local_times_use_the_given_offset_or_warn() {
        let text = "\"TimeGenerated [Local Time]\",OperationName,Level,ResultType,DeviceId\n\"16/03/2026 10:10:04.000\",deviceConnect,Information,,d1\n";
        let (_, sink) = read_text(text, &Options::default()).expect("reads");
        assert_eq!(sink.warnings.len(), 1);
        assert_eq!(
            sink.records[0].time.to_rfc3339(),
            "2026-03-16T10:10:04+00:00"
        );
        let east = Options {
            tz_offset: Some(3600),
            ..Options::default()
        };
        let (_, sink) = read_text(text, &east).expect("reads");
        assert!(sink.warnings.is_empty());
        assert_eq!(
            sink.records[0].time.to_rfc3339(),
            "2026-03-16T09:10:04+00:00"
        );
    }

    #[test]
    fn csv_ragged_rows_are_skipped_with_their_line() {
        let text = "TimeGenerated,OperationName,Category,DeviceId\n2026-03-02T08:00:05Z,deviceConnect,Connections,d1\n2026-03-02T08:00:06Z,deviceConnect\n";
        let (_, sink) = read_text(text, &Options::default()).expect("reads");
        assert_eq!(sink.records.len(), 1);
        assert_eq!(
            sink.skipped,
            vec![(
                Position::line(0, 3),
                "row has 2 fields but the header has 4".to_string()
            )]
        );
    }

    /// Everything a sink hears, in order, and each input's end as `done` hears it.
    #[derive(Default, Debug, PartialEq)]
    struct Transcript(Vec<String>);

    impl Sink for Transcript {
        fn outcome(&mut self, position: Position, outcome: Outcome) {
            self.0.push(format!("{position:?} {outcome:?}"));
        }
        fn warning(&mut self, input: usize, message: String) {
            self.0.push(format!("{input} warning: {message}"));
        }
    }

    fn units(paths: &[&str]) -> Vec<Unit> {
        let sources: Vec<Source> = paths.iter().map(|path| Source::new(path)).collect();
        expand(&sources, &Limits::default(), &mut |_| {}).expect("expands")
    }

    /// Whether every unit is small enough to be read whole, beside others.
    fn all_small(units: &[Unit]) -> bool {
        units
            .iter()
            .all(|unit| unit.size_hint().is_some_and(|size| size <= SMALL_INPUT))
    }

    /// Each unit read with `read`, one after another, up to the first error.
    fn one_by_one(units: &[Unit]) -> (Transcript, Option<String>) {
        let mut held = Transcript::default();
        for (index, unit) in units.iter().enumerate() {
            match read(unit, index, &Options::default(), &mut held) {
                Ok(shape) => held.0.push(format!("{index} done: {shape:?}")),
                Err(err) => return (held, Some(format!("{err:#}"))),
            }
        }
        (held, None)
    }

    fn in_order(units: &[Unit], stop_after: Option<usize>) -> (Transcript, Option<String>) {
        let mut held = Transcript::default();
        let indices: Vec<usize> = (0..units.len()).collect();
        let result = read_in_order(
            units,
            &indices,
            &Options::default(),
            &mut held,
            &mut |held, index, shape| {
                held.0.push(format!("{index} done: {shape:?}"));
                match stop_after {
                    Some(last) if index == last => anyhow::bail!("stopped after {index}"),
                    _ => Ok(()),
                }
            },
        );
        (held, result.err().map(|err| format!("{err:#}")))
    }

    #[test]
    fn small_inputs_read_several_at_a_time_say_what_each_says_alone() {
        let units = units(&[
            "fixtures/shapes/PT1H.json",
            "fixtures/shapes/az-cli.json",
            "fixtures/shapes/eventhubs-records.json",
            "fixtures/shapes/log-analytics-tables.json",
            "fixtures/shapes/portal-all-columns-en-us.csv",
            "fixtures/shapes/records-array.json",
            "fixtures/broken/malformed-lines.json",
            "fixtures/broken/duplicates.json",
            "fixtures/broken/empty.json",
            "fixtures/broken/truncated-array.json",
            // Not an export: the reading stops here with its error.
            "fixtures/broken/not-a-log.txt",
            "fixtures/broken/bad-times.json",
        ]);
        assert!(all_small(&units));
        let (expected, error) = one_by_one(&units);
        assert!(
            error
                .as_deref()
                .is_some_and(|e| e.starts_with("fixtures/broken/not-a-log.txt")),
            "{error:?}"
        );
        assert!(expected.0.iter().any(|line| line.contains("Skipped")));
        assert!(
            expected
                .0
                .iter()
                .any(|line| line.contains("warning: the input is empty"))
        );
        assert_eq!(in_order(&units, None), (expected, error));
    }

    #[test]
    fn an_error_from_done_stops_the_reading_after_that_input() {
        let units = units(&["fixtures/shapes"]);
        let (held, error) = in_order(&units, Some(1));
        assert_eq!(error.as_deref(), Some("stopped after 1"));
        assert_eq!(held.0.last().map(String::as_str), Some("1 done: AzCli"));
        assert!(!held.0.iter().any(|line| line.contains("input: 2")));
    }

    #[test]
    fn a_small_gzip_file_of_a_large_log_is_read_again_the_usual_way() {
        use std::io::Write as _;
        // Compressed it is a few kilobytes; decompressed, more than an input read whole.
        let line = format!("{CONNECT}\n");
        let copies = usize::try_from(WHOLE_LIMIT).expect("fits") / line.len() + 10;
        let path = std::env::temp_dir().join(format!(
            "iothub-triage-{}-large.json.gz",
            std::process::id()
        ));
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        for _ in 0..copies {
            encoder.write_all(line.as_bytes()).expect("compresses");
        }
        std::fs::write(&path, encoder.finish().expect("compresses")).expect("writes");
        let path_text = path.display().to_string();
        let units = units(&[
            "fixtures/shapes/PT1H.json",
            &path_text,
            "fixtures/broken/malformed-lines.json",
        ]);
        assert!(all_small(&units));
        let (expected, error) = one_by_one(&units);
        assert_eq!(error, None);
        assert!(expected.0.len() > copies);
        let (held, error) = in_order(&units, None);
        let _ = std::fs::remove_file(&path);
        assert_eq!(error, None);
        assert!(held == expected, "the same outcomes in the same order");
    }
}

/// Everything a sink hears, in order: what the readers' tests compare.
#[cfg(test)]
#[derive(Default, Debug, PartialEq)]
pub(crate) struct Recorded {
    pub outcomes: Vec<(Position, Outcome)>,
    pub warnings: Vec<String>,
}

#[cfg(test)]
impl Sink for Recorded {
    fn outcome(&mut self, position: Position, outcome: Outcome) {
        self.outcomes.push((position, outcome));
    }
    fn warning(&mut self, _: usize, message: String) {
        self.warnings.push(message);
    }
}
