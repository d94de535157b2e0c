//! The flags of `analyze` (and those `timeline` shares): inputs, filters, outputs and the
//! CI gate, resolved into an [`AnalyzeConfig`].

use super::thresholds::ThresholdArgs;
use super::values::{
    self, ColorArg, DATE_ORDERS, INPUT_FORMATS, LEVELS, SEVERITIES, TimeArg, choice_parser,
    parse_duration, parse_output, parse_since_arg, parse_size, parse_threads, parse_tz,
    parse_until_arg,
};
use crate::analysis::Filter;
use crate::config::{AnalyzeConfig, Output, Window};
use crate::gate::Gate;
use crate::input::{self, DateOrder, InputFormat, Source};
use crate::model::{Level, Severity};
use crate::report::Format;
use crate::report::html::Footer;
use chrono::TimeDelta;
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
    /// reads standard input. A storage container or folder is read in place:
    /// `https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX?SAS` or
    /// `az://ACCOUNT/CONTAINER/PREFIX` (credentials from AZURE_STORAGE_CONNECTION_STRING,
    /// AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY, or AZURE_STORAGE_SAS_TOKEN).
    #[arg(value_name = "PATH")]
    pub files: Vec<String>,

    /// Input shape; `auto` detects it from the content of each input.
    #[arg(long, default_value = "auto", value_parser = choice_parser(INPUT_FORMATS))]
    pub input_format: InputFormat,

    /// Day/month order of CSV timestamps such as 02/03/2026, when the file cannot tell.
    #[arg(long, value_parser = choice_parser(DATE_ORDERS))]
    pub date_order: Option<DateOrder>,

    /// UTC offset of CSV `[Local Time]` columns, e.g. +01:00 or -05:00; a date alone in
    /// --since or --until is a day at this offset too.
    #[arg(long, value_parser = parse_tz, allow_hyphen_values = true)]
    pub tz: Option<i32>,

    /// Stop with exit code 2 at the first malformed record instead of skipping it, and at
    /// the first file of a directory or entry of an archive that is not a log.
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

    #[command(flatten)]
    pub time: TimeArgs,

    /// Show only the identities with a record of this ResultType, each with its whole
    /// diagnosis (the records are all analyzed). Repeatable.
    #[arg(long, value_name = "CODE")]
    pub code: Vec<String>,

    /// Show only the identities with a record of this level, each with its whole
    /// diagnosis. Repeatable.
    #[arg(long, value_parser = choice_parser(LEVELS))]
    pub level: Vec<Level>,

    /// Analyze exact repeats of a record (same time, device, operation, code) too; by
    /// default they are counted once and the repeats filtered.
    #[arg(long)]
    pub keep_duplicates: bool,
}

/// Which stretch of the log to analyze; the records outside it are counted as filtered.
#[derive(Debug, Default, Args)]
#[command(next_help_heading = "Filters")]
pub struct TimeArgs {
    /// Only records at or after this time: RFC 3339, a date (midnight UTC, or at --tz), or
    /// a duration before now (2h); stderr says what a duration came to.
    #[arg(long, value_name = "TIME", value_parser = parse_since_arg)]
    pub since: Option<TimeArg>,

    /// Only records before this time: RFC 3339, a duration before now (30m), or a date,
    /// which ends with its day (`--since 2026-03-02 --until 2026-03-02` is that day).
    #[arg(long, value_name = "TIME", value_parser = parse_until_arg)]
    pub until: Option<TimeArg>,

    /// Only the last stretch of the log, e.g. 2h: counted back from its latest record,
    /// not from now, so an older export works the same (the inputs are read twice).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, conflicts_with = "since")]
    pub last: Option<TimeDelta>,
}

impl TimeArgs {
    /// The window, and what stderr says of how relative times were resolved. A date
    /// alone is a day in UTC, or at `tz` (seconds east of UTC, `--tz`) when given.
    pub fn resolve(mut self, tz: Option<i32>) -> Window {
        let mut notes = Vec::new();
        for (flag, arg) in [("--since", &mut self.since), ("--until", &mut self.until)] {
            match arg {
                Some(TimeArg {
                    at, ago: Some(ago), ..
                }) => notes.push(format!(
                    "{flag} {ago} is {} ({ago} before now)",
                    crate::model::format_time(at)
                )),
                Some(TimeArg { at, date: true, .. }) if tz.is_some_and(|tz| tz != 0) => {
                    let offset = tz.unwrap_or_default();
                    *at -= TimeDelta::seconds(i64::from(offset));
                    notes.push(format!(
                        "{flag} is {} (midnight at UTC{}{:02}:{:02}, --tz)",
                        crate::model::format_time(at),
                        if offset < 0 { '-' } else { '+' },
                        offset.abs() / 3600,
                        offset.abs() / 60 % 60
                    ));
                }
                _ => {}
            }
        }
        Window {
            since: self.since.map(|arg| arg.at),
            until: self.until.map(|arg| arg.at),
            last: self.last,
            notes,
        }
    }
}

/// When findings make the run fail with exit code 1.
#[derive(Debug, Args)]
#[command(next_help_heading = "CI gate")]
pub struct GateArgs {
    /// Exit 1 when a finding is at or above this severity (default: never).
    #[arg(long, value_name = "SEVERITY", value_parser = choice_parser(SEVERITIES))]
    pub fail_on: Option<Severity>,

    /// Exit 1 when more than N findings (info excluded) are found.
    #[arg(long, value_name = "N")]
    pub max_findings: Option<usize>,

    /// A previous JSON report: only findings that are not in it count for the gate.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
}

/// Columns the table is laid out for when stdout is not a terminal (a file, a pipe, CI
/// logs) and `$COLUMNS` does not say: the same bytes whatever terminal ran the command,
/// and lines that most viewers show unwrapped.
pub const PIPE_WIDTH: u16 = 120;

/// Fewer columns than this are not worth laying a table out for.
const MIN_WIDTH: u16 = 40;

pub fn output(color: ColorArg, top: usize) -> Output {
    let stdout = std::io::stdout();
    let terminal = stdout.is_terminal();
    let env = |name: &str| std::env::var(name).ok();
    let no_color = env("NO_COLOR").is_some_and(|v| !v.is_empty());
    let color = match color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => terminal && !no_color,
    };
    let asked = terminal
        .then(|| terminal_size::terminal_size_of(&stdout))
        .flatten()
        .map(|(terminal_size::Width(columns), _)| columns);
    Output {
        color,
        width: width(env("COLUMNS").as_deref(), asked),
        hyperlinks: terminal && hyperlinks(env),
        top,
    }
}

/// `$COLUMNS` when it is a width, else the terminal's, else [`PIPE_WIDTH`].
fn width(columns: Option<&str>, terminal: Option<u16>) -> u16 {
    columns
        .and_then(|c| c.trim().parse::<u16>().ok())
        .or(terminal)
        .filter(|w| *w > 0)
        .map_or(PIPE_WIDTH, |w| w.max(MIN_WIDTH))
}

/// Whether the terminal shows OSC 8 hyperlinks, from what it says of itself (the list of
/// the `supports-hyperlinks` convention); `FORCE_HYPERLINK=1` or `0` decides.
fn hyperlinks(env: impl Fn(&str) -> Option<String>) -> bool {
    if let Some(force) = env("FORCE_HYPERLINK") {
        return force.trim() != "0";
    }
    if env("CI").is_some() {
        return false;
    }
    let vte = env("VTE_VERSION")
        .and_then(|v| v.trim().parse::<u32>().ok())
        .is_some_and(|v| v >= 5000);
    let program = env("TERM_PROGRAM").is_some_and(|p| {
        matches!(
            p.as_str(),
            "iTerm.app" | "WezTerm" | "vscode" | "Hyper" | "ghostty" | "rio"
        )
    });
    let term = env("TERM").is_some_and(|t| matches!(t.as_str(), "xterm-kitty" | "alacritty"));
    vte || program
        || term
        || env("WT_SESSION").is_some()
        || env("KONSOLE_VERSION").is_some()
        || env("DOMTERM").is_some()
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
            format: self.input_format,
            date_order: self.date_order,
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
    fn into_filter(self, window: &Window) -> Result<Filter, String> {
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
            since: window.since,
            until: window.until,
            codes: self
                .code
                .into_iter()
                .map(|code| code.trim().to_string())
                .collect(),
            levels: self.level.into_iter().collect(),
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
        let mut filter = self.filter;
        let window = std::mem::take(&mut filter.time).resolve(self.input.tz);
        // A storage listing skips the hour folders outside the window.
        let storage_window = input::storage::Window {
            since: window.since,
            until: window.until,
        };
        Ok(AnalyzeConfig {
            sources: (self.input.sources().into_iter())
                .map(|source| source.within(storage_window))
                .collect(),
            input: self.input.options(),
            targets,
            output: output(self.color, self.top),
            strict: self.input.strict,
            thresholds: self.thresholds.into_thresholds(),
            filter: filter.into_filter(&window)?,
            last: window.last,
            time_notes: window.notes,
            footer,
            gate: Gate {
                fail_on: self.gate.fail_on,
                max_findings: self.gate.max_findings,
                baseline: self.gate.baseline,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_overrides_the_terminal_and_a_pipe_gets_the_fixed_width() {
        assert_eq!(width(Some("80"), Some(200)), 80);
        assert_eq!(width(None, Some(200)), 200);
        assert_eq!(width(Some("wide"), Some(93)), 93);
        assert_eq!(width(None, None), PIPE_WIDTH);
        assert_eq!(width(Some("0"), None), PIPE_WIDTH);
        assert_eq!(width(Some("12"), None), MIN_WIDTH);
    }

    #[test]
    fn a_date_alone_is_a_day_in_utc_or_at_the_offset_given() {
        let day = |tz: Option<i32>| {
            let since = parse_since_arg("2026-03-02").expect("a date");
            let until = parse_until_arg("2026-03-02").expect("a date");
            let window = TimeArgs {
                since: Some(since),
                until: Some(until),
                last: None,
            }
            .resolve(tz);
            (
                window.since.map(|t| t.to_rfc3339()),
                window.until.map(|t| t.to_rfc3339()),
                window.notes.len(),
            )
        };
        assert_eq!(
            day(None),
            (
                Some("2026-03-02T00:00:00+00:00".into()),
                Some("2026-03-03T00:00:00+00:00".into()),
                0
            )
        );
        assert_eq!(
            day(Some(3600)),
            (
                Some("2026-03-01T23:00:00+00:00".into()),
                Some("2026-03-02T23:00:00+00:00".into()),
                2
            )
        );
    }

    #[test]
    fn hyperlinks_only_where_the_terminal_says_it_shows_them() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| (*value).to_string())
            }
        };
        assert!(!hyperlinks(env(&[])));
        assert!(!hyperlinks(env(&[("TERM", "xterm-256color")])));
        assert!(hyperlinks(env(&[("TERM_PROGRAM", "WezTerm")])));
        assert!(hyperlinks(env(&[("VTE_VERSION", "7006")])));
        assert!(!hyperlinks(env(&[("VTE_VERSION", "4803")])));
        assert!(!hyperlinks(env(&[
            ("WT_SESSION", "x"),
            ("FORCE_HYPERLINK", "0")
        ])));
        assert!(hyperlinks(env(&[("FORCE_HYPERLINK", "1")])));
        assert!(!hyperlinks(env(&[
            ("CI", "true"),
            ("TERM_PROGRAM", "vscode")
        ])));
    }
}
