//! Resolved settings: what the command line asked for, decided once (stdin, colour,
//! width), in types the rest of the program uses. Nothing below `main` sees clap.

use crate::analysis::DeviceKey;
use crate::analysis::diagnosis::Thresholds;
use crate::input::{self, Source};
use crate::synth::{FleetSpec, OutputShape};
use std::path::PathBuf;

/// What `analyze` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Table,
    Json,
}

#[derive(Debug, Clone)]
pub struct AnalyzeConfig {
    pub sources: Vec<Source>,
    pub input: input::Options,
    pub format: ReportFormat,
    pub output: Output,
    pub strict: bool,
    pub thresholds: Thresholds,
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
}
