//! The typed record every input shape is turned into, and the small value types the
//! analysis and the reports share. Nothing here knows about JSON or CSV.

mod finding;
mod insight;
mod shape;
mod shared_text;

pub use finding::{Finding, Location, Rule, fingerprint, format_time, rfc3339, rfc3339_opt};
pub use insight::{InsightKind, KindText};
pub use shape::Shape;
pub use shared_text::SharedText;

use chrono::{DateTime, Utc};
use compact_str::CompactString;
use serde::Serialize;
use std::fmt;
use std::hash::Hash;

/// How bad something is. Ordered: `Info < Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The Connections operation of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operation {
    Connect,
    Disconnect,
    /// Any other operation name; the analysis counts it but draws no state from it.
    Other,
}

impl Operation {
    pub fn parse(name: &str) -> Operation {
        if name.eq_ignore_ascii_case("deviceConnect") {
            Operation::Connect
        } else if name.eq_ignore_ascii_case("deviceDisconnect") {
            Operation::Disconnect
        } else {
            Operation::Other
        }
    }
}

/// The record's `level`. IoT Hub writes `Information` and `Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Information,
    Warning,
    Error,
    Critical,
    /// Absent or not one of the documented words.
    Unknown,
}

impl Level {
    pub fn parse(word: &str) -> Level {
        let word = word.trim();
        if word.eq_ignore_ascii_case("Information") || word.eq_ignore_ascii_case("Informational") {
            Level::Information
        } else if word.eq_ignore_ascii_case("Warning") {
            Level::Warning
        } else if word.eq_ignore_ascii_case("Error") {
            Level::Error
        } else if word.eq_ignore_ascii_case("Critical") {
            Level::Critical
        } else {
            Level::Unknown
        }
    }

    pub fn is_error(self) -> bool {
        matches!(self, Level::Error | Level::Critical)
    }
}

/// Where a record came from: the input's display name and its position in it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Position {
    /// Index of the input in the order given on the command line.
    #[serde(skip)]
    pub input: usize,
    /// 1-based line for line-oriented shapes (JSON Lines, CSV); `None` otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// 1-based record number inside a document (`records`, array, `tables`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<u64>,
}

impl Position {
    pub fn line(input: usize, line: u64) -> Position {
        Position {
            input,
            line: Some(line),
            record: None,
        }
    }

    pub fn record(input: usize, record: u64) -> Position {
        Position {
            input,
            line: None,
            record: Some(record),
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.record) {
            (Some(line), Some(record)) => write!(f, "line {line}, record {record}"),
            (Some(line), None) => write!(f, "line {line}"),
            (None, Some(record)) => write!(f, "record {record}"),
            (None, None) => f.write_str("start"),
        }
    }
}

/// One `Connections` event, as the analysis sees it. Its texts are short (ids, codes,
/// addresses) and kept inline, so that a record costs no allocation of its own beyond
/// the rare long one. Where it is in its input travels beside it ([`Position`]), once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub time: DateTime<Utc>,
    pub device_id: CompactString,
    pub module_id: Option<CompactString>,
    pub operation: Operation,
    pub level: Level,
    /// The `ResultType` exactly as logged (`"404104"`, `"401"`); `None` when empty.
    pub code: Option<CompactString>,
    pub protocol: Option<CompactString>,
    pub masked_ip: Option<CompactString>,
    pub sdk_version: Option<CompactString>,
    /// From a connection-state event (Event Grid, a routed `deviceConnectionStateEvents`
    /// message) rather than a resource log: sampled about once a minute, without codes.
    pub state_event: bool,
}

impl Record {
    /// A successful connect: `deviceConnect` without an error level or code.
    pub fn is_successful_connect(&self) -> bool {
        self.operation == Operation::Connect && !self.level.is_error() && self.code.is_none()
    }
}
