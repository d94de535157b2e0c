//! Resolved settings: what the command line asked for, decided once (stdin, colour,
//! width), in types the rest of the program uses. Nothing below `main` sees clap.

use crate::analysis::diagnosis::Thresholds;
use crate::analysis::{DeviceKey, Filter};
use crate::gate::Gate;
use crate::input::{self, Source};
use crate::report::Format;
use crate::report::html::Footer;
use crate::synth::{FleetSpec, OutputShape};
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
    pub gate: Gate,
    /// How the report was made, for the formats that say so.
    pub footer: Footer,
}

/// How text output looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Output {
    pub color: bool,
    pub width: u16,
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
    },
    Generate {
        spec: FleetSpec,
        shape: OutputShape,
        truth: Option<PathBuf>,
    },
    Codes {
        json: bool,
        output: Output,
    },
    Completions {
        shell: clap_complete::Shell,
    },
    Man,
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
