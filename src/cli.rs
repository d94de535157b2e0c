//! The command line, with clap derive: flags as typed values with their help, turned into
//! a [`config::Command`] once.

use crate::config::{self, AnalyzeConfig, Output, ReportFormat};
use crate::input::{self, DateOrder, InputFormat, Source, parse_offset};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;

/// Diagnose Azure IoT Hub connection logs offline: per device, which error codes
/// happened, how often, when, why, and what to do.
#[derive(Debug, Parser)]
#[command(name = "iothub-triage", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: CliCommand,
}

const EXIT_CODES: &str = "Exit codes: 0 the command ran; 2 it could not (usage error, unreadable or \
unrecognised input, a skipped record under --strict).";

#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Analyze exported Connections logs and report per device.
    ///
    /// Reads storage PT1H.json (JSON Lines), Event Hubs {"records":[...]} bodies, JSON
    /// arrays, Log Analytics query responses ({"tables":[...]}), `az monitor
    /// log-analytics query -o json` output and portal CSV exports; the shape is detected
    /// from the content.
    #[command(after_help = EXIT_CODES)]
    Analyze(AnalyzeArgs),
    /// Explain one IoT Hub error code: cause, resolution, class, severity and docs.
    Explain {
        /// The code as logged in ResultType, e.g. 404104.
        code: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// List every IoT Hub error code the tool knows.
    Codes {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Log files to read; `-` or none reads standard input.
    #[arg(value_name = "FILE")]
    pub files: Vec<String>,

    /// Report format.
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,

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

    /// When to colour the table.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormatArg {
    Auto,
    /// Storage PT1H.json: one JSON record per line.
    #[value(alias = "jsonl", alias = "pt1h")]
    JsonLines,
    /// JSON documents: records wrappers, arrays (az CLI too), tables responses.
    #[value(alias = "records", alias = "array", alias = "tables", alias = "az-cli")]
    Json,
    /// Portal "Export to CSV".
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DateOrderArg {
    /// Day first: 02/03/2026 is 2 March.
    Dmy,
    /// Month first: 02/03/2026 is 3 February.
    Mdy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

fn parse_tz(text: &str) -> Result<i32, String> {
    parse_offset(text)
        .ok_or_else(|| format!("{text:?} is not a UTC offset such as +01:00 or -05:30"))
}

/// Table width when stdout is not a terminal (or its width is unknown).
const DEFAULT_WIDTH: u16 = 120;

fn output(color: ColorArg) -> Output {
    let stdout = std::io::stdout();
    let terminal = stdout.is_terminal();
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
    Output { color, width }
}

impl Cli {
    /// Resolves the raw flags into the program's settings.
    pub fn into_command(self) -> config::Command {
        match self.command {
            CliCommand::Analyze(args) => config::Command::Analyze(args.into_config()),
            CliCommand::Explain { code, format } => config::Command::Explain {
                code,
                json: format == ListFormat::Json,
            },
            CliCommand::Codes { format } => config::Command::Codes {
                json: format == ListFormat::Json,
                output: output(ColorArg::Never),
            },
        }
    }
}

impl AnalyzeArgs {
    fn into_config(self) -> AnalyzeConfig {
        let sources = if self.files.is_empty() {
            vec![Source::Stdin]
        } else {
            self.files.iter().map(|f| Source::new(f)).collect()
        };
        AnalyzeConfig {
            sources,
            input: input::Options {
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
            },
            format: match self.format {
                FormatArg::Table => ReportFormat::Table,
                FormatArg::Json => ReportFormat::Json,
            },
            output: output(self.color),
            strict: self.strict,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn tz_accepts_offsets_and_refuses_names() {
        assert_eq!(parse_tz("+01:00"), Ok(3600));
        assert_eq!(parse_tz("-05:30"), Ok(-19800));
        assert!(parse_tz("Europe/Paris").is_err());
    }
}
