//! The flags of `analyze` (and those `timeline` shares): inputs, filters, outputs and the
//! CI gate, resolved into an [`AnalyzeConfig`].

use super::thresholds::ThresholdArgs;
use super::values::{
    self, ColorArg, DateOrderArg, InputFormatArg, LevelArg, SeverityArg, parse_output, parse_size,
    parse_threads, parse_time, parse_tz, parse_until,
};
use crate::analysis::Filter;
use crate::config::{AnalyzeConfig, Output};
use crate::gate::Gate;
use crate::input::{self, DateOrder, InputFormat, Source};
use crate::report::Format;
use crate::report::html::Footer;
use chrono::{DateTime, Utc};
use clap::Args;
use globset::{Glob, GlobSetBuilder};
use std::io::IsTerminal;
use std::num::NonZeroUsize;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Report format on stdout.
    #[arg(long, default_value = "table", value_parser = values::report_format_parser())]
    pub format: &'static Format,

    /// Write a report to a file: `FORMAT=FILE` (e.g. sarif=results.sarif) adds a report,
    /// a plain FILE receives the --format report instead of stdout. Repeatable.
    #[arg(long, short = 'o', value_name = "[FORMAT=]FILE", value_parser = parse_output)]
    pub output: Vec<(Option<&'static Format>, PathBuf)>,

    /// When to colour the table.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,

    /// Devices listed in the table report, worst first; 0 lists all (JSON always has all).
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub top: usize,

    #[command(flatten)]
    pub filter: FilterArgs,

    #[command(flatten)]
    pub gate: GateArgs,

    #[command(flatten)]
    pub thresholds: ThresholdArgs,
}

/// Which logs to read and how.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Log files, directories (read recursively) or bundles (.gz, .zip); `-` or none
    /// reads standard input.
    #[arg(value_name = "PATH")]
    pub files: Vec<String>,

    /// Input shape; `auto` detects it from the content of each input.
    #[arg(long, value_enum, default_value_t = InputFormatArg::Auto)]
    pub input_format: InputFormatArg,

    /// Day/month order of CSV timestamps such as 02/03/2026, when the file cannot tell.
    #[arg(long, value_enum)]
    pub date_order: Option<DateOrderArg>,

    /// UTC offset of CSV `[Local Time]` columns, e.g. +01:00 or -05:00.
    #[arg(long, value_parser = parse_tz, allow_hyphen_values = true)]
    pub tz: Option<i32>,

    /// Stop with exit code 2 at the first malformed record instead of skipping it.
    #[arg(long)]
    pub strict: bool,

    /// Most bytes one compressed input (a .gz, a zip entry) may expand to: a guard
    /// against decompression bombs. Takes KiB, MiB, GiB suffixes.
    #[arg(long, value_name = "SIZE", default_value = "4GiB", value_parser = parse_size)]
    pub max_decompressed_size: u64,

    /// Most bytes the entries of all zip archives of a run may expand to together, as
    /// they declare it: an archive of many entries, each under --max-decompressed-size,
    /// is bounded all the same. Takes KiB, MiB, GiB suffixes.
    #[arg(long, value_name = "SIZE", default_value = "64GiB", value_parser = parse_size)]
    pub max_total_decompressed_size: u64,

    /// Longest record read, a JSON Lines line or a CSV row (all its lines): a longer
    /// line is skipped with its length, never held in memory. Takes KiB, MiB, GiB
    /// suffixes.
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = parse_size)]
    pub max_record_size: u64,

    /// Threads to read and analyze with [default: one a core]. Fewer leave cores to
    /// other jobs on a shared machine; the report is the same with any number.
    #[arg(long, short = 'j', value_name = "N", value_parser = parse_threads)]
    pub threads: Option<NonZeroUsize>,
}

/// Which records to analyze; the others are counted as filtered.
#[derive(Debug, Args)]
#[command(next_help_heading = "Filters")]
pub struct FilterArgs {
    /// Only devices whose id (or device/module) matches this glob, e.g. 'pump-*'. Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub device: Vec<String>,

    /// Only records at or after this time: RFC 3339, a date, or a duration ago (2h).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub since: Option<DateTime<Utc>>,

    /// Only records before this time: RFC 3339, a duration ago (30m), or a date, which
    /// ends with its day (`--since 2026-03-02 --until 2026-03-02` is that day).
    #[arg(long, value_name = "TIME", value_parser = parse_until)]
    pub until: Option<DateTime<Utc>>,

    /// Show only the identities with a record of this ResultType, each with its whole
    /// diagnosis (the records are all analyzed). Repeatable.
    #[arg(long, value_name = "CODE")]
    pub code: Vec<String>,

    /// Show only the identities with a record of this level, each with its whole
    /// diagnosis. Repeatable.
    #[arg(long, value_enum)]
    pub level: Vec<LevelArg>,

    /// Analyze exact repeats of a record (same time, device, operation, code) too; by
    /// default they are counted once and the repeats filtered.
    #[arg(long)]
    pub keep_duplicates: bool,
}

/// When findings make the run fail with exit code 1.
#[derive(Debug, Args)]
#[command(next_help_heading = "CI gate")]
pub struct GateArgs {
    /// Exit 1 when a finding is at or above this severity (default: never).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<SeverityArg>,

    /// Exit 1 when more than N findings (info excluded) are found.
    #[arg(long, value_name = "N")]
    pub max_findings: Option<usize>,

    /// A previous JSON report: only findings that are not in it count for the gate.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
}

/// Table width when stdout is not a terminal (or its width is unknown).
const DEFAULT_WIDTH: u16 = 120;

pub fn output(color: ColorArg, top: usize) -> Output {
    let terminal = std::io::stdout().is_terminal();
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let color = match color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => terminal && !no_color,
    };
    let width = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|w| *w >= 40)
        .unwrap_or(DEFAULT_WIDTH);
    Output { color, width, top }
}

impl InputArgs {
    pub fn sources(&self) -> Vec<Source> {
        if self.files.is_empty() {
            vec![Source::Stdin]
        } else {
            self.files.iter().map(|f| Source::new(f)).collect()
        }
    }

    pub fn options(&self) -> input::Options {
        input::Options {
            format: match self.input_format {
                InputFormatArg::Auto => InputFormat::Auto,
                InputFormatArg::JsonLines => InputFormat::JsonLines,
                InputFormatArg::Json => InputFormat::Json,
                InputFormatArg::Csv => InputFormat::Csv,
            },
            date_order: self.date_order.map(|order| match order {
                DateOrderArg::Dmy => DateOrder::DayFirst,
                DateOrderArg::Mdy => DateOrder::MonthFirst,
            }),
            tz_offset: self.tz,
            limits: input::Limits {
                max_decompressed: self.max_decompressed_size,
                max_total_decompressed: self.max_total_decompressed_size,
                ..input::Limits::default()
            },
            progress: std::io::stderr().is_terminal(),
            max_record_size: self.max_record_size,
            threads: self.threads,
        }
    }
}

impl FilterArgs {
    fn into_filter(self) -> Result<Filter, String> {
        let devices = if self.device.is_empty() {
            None
        } else {
            let mut set = GlobSetBuilder::new();
            for pattern in &self.device {
                set.add(Glob::new(pattern).map_err(|err| format!("--device {pattern:?}: {err}"))?);
            }
            Some(set.build().map_err(|err| format!("--device: {err}"))?)
        };
        Ok(Filter {
            devices,
            since: self.since,
            until: self.until,
            codes: self
                .code
                .into_iter()
                .map(|code| code.trim().to_string())
                .collect(),
            levels: self.level.into_iter().map(LevelArg::resolve).collect(),
            keep_duplicates: self.keep_duplicates,
        })
    }
}

impl AnalyzeArgs {
    /// Resolves the flags; fails on a bad glob or two reports sent to stdout.
    pub fn into_config(self) -> Result<AnalyzeConfig, String> {
        let main = self.format;
        let mut targets: Vec<(&'static Format, Option<PathBuf>)> = Vec::new();
        let mut main_to_file = false;
        for (format, path) in self.output {
            match format {
                Some(format) => targets.push((format, Some(path))),
                None if main_to_file => {
                    return Err("only one --output may take the --format report".to_string());
                }
                None => {
                    main_to_file = true;
                    targets.push((main, Some(path)));
                }
            }
        }
        if !main_to_file {
            targets.insert(0, (main, None));
        }
        let footer = if targets.iter().any(|(format, _)| format.page) {
            super::html_footer()
        } else {
            Footer::default()
        };
        Ok(AnalyzeConfig {
            sources: self.input.sources(),
            input: self.input.options(),
            targets,
            output: output(self.color, self.top),
            strict: self.input.strict,
            thresholds: self.thresholds.into_thresholds(),
            filter: self.filter.into_filter()?,
            footer,
            gate: Gate {
                fail_on: self.gate.fail_on.map(SeverityArg::resolve),
                max_findings: self.gate.max_findings,
                baseline: self.gate.baseline,
            },
        })
    }
}
