//! Resolved settings: what the command line asked for, decided once (stdin, colour,
//! width), in types the rest of the program uses. Nothing below `main` sees clap.

use crate::analysis::diagnosis::Thresholds;
use crate::analysis::{DeviceKey, Filter};
use crate::gate::Gate;
use crate::input::{self, Source};
use crate::model::Shape;
use crate::report::Format;
use crate::report::html::Footer;
use crate::synth::FleetSpec;
use chrono::{DateTime, TimeDelta, Utc};
use std::num::NonZeroUsize;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct AnalyzeConfig {
    pub sources: Vec<Source>,
    pub input: input::Options,
    /// Where each report goes; `None` is stdout (at most one target).
    pub targets: Vec<(&'static Format, Option<PathBuf>)>,
    pub output: Output,
    pub strict: bool,
    pub thresholds: Thresholds,
    pub filter: Filter,
    /// `--last`: the filter's start is this long before the log's latest record, found
    /// by reading the inputs once before the analysis.
    pub last: Option<TimeDelta>,
    /// What relative times on the command line came to, said on stderr.
    pub time_notes: Vec<String>,
    pub gate: Gate,
    /// How the report was made, for the formats that say so.
    pub footer: Footer,
}

/// The time window asked for, resolved from the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Window {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub last: Option<TimeDelta>,
    /// What relative times came to, said on stderr.
    pub notes: Vec<String>,
}

/// How text output looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Output {
    pub color: bool,
    /// Columns the table is laid out for: `$COLUMNS`, else the terminal's, else
    /// a fixed 120 when stdout is not a terminal.
    pub width: u16,
    /// Documentation links as OSC 8 hyperlinks (a terminal known to show them).
    pub hyperlinks: bool,
    /// Devices listed in the table report; 0 lists all.
    pub top: usize,
}

#[derive(Debug, Clone)]
pub enum Command {
    Analyze(AnalyzeConfig),
    /// One identity's timeline, read with the same settings as `analyze`.
    Timeline {
        device: DeviceKey,
        config: AnalyzeConfig,
    },
    /// Print the triage as KQL.
    Kql(crate::kql::KqlOptions),
    Explain {
        code: String,
        json: bool,
        output: Output,
    },
    Generate {
        spec: FleetSpec,
        shape: Shape,
        truth: Option<PathBuf>,
    },
    Codes {
        json: bool,
        output: Output,
    },
    Completions {
        /// A shell the command line accepted (`bash`, `zsh`, ...).
        shell: String,
    },
    /// A man page: the tool's, a subcommand's, or all of them into a directory.
    Man {
        page: Option<String>,
        dir: Option<PathBuf>,
    },
}

impl Command {
    /// The threads the command was asked to run on, when it reads logs and was asked.
    pub fn threads(&self) -> Option<NonZeroUsize> {
        match self {
            Command::Analyze(config) | Command::Timeline { config, .. } => config.input.threads,
            _ => None,
        }
    }
}
