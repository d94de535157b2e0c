//! What the fuzz targets share: how fuzz bytes are handed to a reader (in one piece or in
//! dribbles, as a pipe or a decompressor hands them over), and a sink that checks what
//! every reader promises about each outcome.
//!
//! The shape targets take one control byte before the content (see [`Plan`]); their seeds
//! in `fuzz/seeds/` start with it.

use iothub_triage::input::fuzzing::read_from;
use iothub_triage::input::{InputFormat, Options, Outcome, Shape, Sink};
use iothub_triage::model::Position;
use std::io::{self, BufReader, Read};

/// The reader's buffer: as large as the head, so the first read hands all of it over, as
/// `input::read` does with its larger buffer.
const BUFFER: usize = 64 * 1024;

/// How the content reaches the reader, from the low five bits of the control byte. The
/// first read returns a head in one piece (`read` always hands detection its first 64 KiB
/// at once); later reads return at most `chunk` bytes.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub head: usize,
    pub chunk: usize,
    /// The top three bits, for the target to use.
    pub extra: u8,
}

impl Plan {
    pub fn new(control: u8) -> Plan {
        const HEADS: [usize; 8] = [64 << 10, 64 << 10, 64 << 10, 64 << 10, 4096, 512, 64, 16];
        const CHUNKS: [usize; 4] = [1, 3, 64, 4096];
        Plan {
            head: HEADS[usize::from(control & 7)],
            chunk: CHUNKS[usize::from((control >> 3) & 3)],
            extra: control >> 5,
        }
    }

    /// Splits fuzz bytes into the plan (first byte) and the content.
    pub fn split(data: &[u8]) -> Option<(Plan, &[u8])> {
        let (&control, content) = data.split_first()?;
        Some((Plan::new(control), content))
    }
}

/// Content handed over as the plan says.
struct Dribble<'a> {
    head: &'a [u8],
    rest: &'a [u8],
    chunk: usize,
}

impl Read for Dribble<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.head.is_empty() {
            let limit = self.chunk.min(buf.len());
            self.rest.read(&mut buf[..limit])
        } else {
            self.head.read(buf)
        }
    }
}

/// Reads `content` as input 0 with the given format, through a reader fed as `plan` says,
/// and checks every outcome on the way.
pub fn feed(
    content: &[u8],
    plan: Plan,
    options: &Options,
    ordered: bool,
) -> (anyhow::Result<Shape>, Checked) {
    let (head, rest) = content.split_at(plan.head.min(content.len()));
    let mut reader = BufReader::with_capacity(
        BUFFER,
        Dribble {
            head,
            rest,
            chunk: plan.chunk,
        },
    );
    let mut sink = Checked::new(0, ordered);
    let shape = read_from(&mut reader, 0, options, &mut sink);
    (shape, sink)
}

/// Options forcing one reader.
pub fn forced(format: InputFormat) -> Options {
    Options {
        format,
        ..Options::default()
    }
}

/// `prefix`, the content, `suffix`: a frame that puts fuzz bytes where one reader looks.
pub fn framed(prefix: &[u8], content: &[u8], suffix: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(prefix.len() + content.len() + suffix.len());
    bytes.extend_from_slice(prefix);
    bytes.extend_from_slice(content);
    bytes.extend_from_slice(suffix);
    bytes
}

/// A sink that holds every reader to its word: each outcome has a place (a 1-based line,
/// record number or both) in the input being read, a record always names its
/// device, and the JSON readers deliver in input order.
#[derive(Debug, Default)]
pub struct Checked {
    input: usize,
    ordered: bool,
    last_line: u64,
    last_record: u64,
    pub records: Vec<(Position, Outcome)>,
    pub analyzed: u64,
    pub filtered: u64,
    pub skipped: u64,
    pub warnings: Vec<String>,
}

impl Checked {
    pub fn new(input: usize, ordered: bool) -> Checked {
        Checked {
            input,
            ordered,
            ..Checked::default()
        }
    }

    /// Outcomes of any kind.
    pub fn outcomes(&self) -> u64 {
        self.analyzed + self.filtered + self.skipped
    }
}

impl Sink for Checked {
    fn outcome(&mut self, position: Position, outcome: Outcome) {
        check(&position, &outcome, self.input);
        if self.ordered {
            // Lines in order; records in order inside a document (inside a line they are
            // numbered only when wrapped).
            let (last, now) = match (position.line, position.record) {
                (Some(line), _) => (&mut self.last_line, line),
                (None, Some(record)) => (&mut self.last_record, record),
                (None, None) => unreachable!("checked above"),
            };
            assert!(
                now >= *last,
                "outcomes out of input order: {now} after {last}"
            );
            *last = now;
        }
        match &outcome {
            Outcome::Record(_) => self.analyzed += 1,
            Outcome::Filtered(_) => self.filtered += 1,
            Outcome::Skipped(_) => self.skipped += 1,
        }
        self.records.push((position, outcome));
    }

    fn warning(&mut self, input: usize, message: String) {
        assert_eq!(input, self.input, "a warning about another input");
        self.warnings.push(message);
    }
}

/// What holds for any outcome of any reader.
pub fn check(position: &Position, outcome: &Outcome, input: usize) {
    assert_eq!(position.input, input, "an outcome placed in another input");
    assert!(
        position.line.is_some() || position.record.is_some(),
        "an outcome without a place"
    );
    for n in [position.line, position.record].into_iter().flatten() {
        assert!(n >= 1, "place {n} is not 1-based");
    }
    match outcome {
        Outcome::Record(record) => {
            assert!(!record.device_id.is_empty(), "a record without a device");
        }
        Outcome::Filtered(reason) | Outcome::Skipped(reason) => {
            assert!(!reason.is_empty(), "an outcome without a reason");
        }
    }
}

/// The JSON document reader, forced with `InputFormat::Json`, on the content after the
/// control byte put between `prefix` and `suffix`.
pub fn read_document(data: &[u8], prefix: &[u8], suffix: &[u8]) -> Option<Checked> {
    let (plan, content) = Plan::split(data)?;
    let document = framed(prefix, content, suffix);
    let (_, sink) = feed(&document, plan, &forced(InputFormat::Json), true);
    Some(sink)
}
