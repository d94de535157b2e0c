//! The command line, with clap derive: flags as typed values with their help, turned into
//! a [`config::Command`] once.

use crate::analysis::DeviceKey;
use crate::analysis::diagnosis::Thresholds;
use crate::config::{self, AnalyzeConfig, Output, ReportFormat};
use crate::input::{self, DateOrder, InputFormat, Source, parse_offset};
use crate::synth::{FleetSpec, OutputShape};
use chrono::TimeDelta;
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
    /// One device's events in time order, with its sessions and what explains them.
    #[command(after_help = EXIT_CODES)]
    Timeline(TimelineArgs),
    /// Explain one IoT Hub error code: cause, resolution, class, severity and docs.
    Explain {
        /// The code as logged in ResultType, e.g. 404104.
        code: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Write a synthetic fleet's Connections log (seeded, deterministic) for demos,
    /// tests and benchmarks.
    Generate(GenerateArgs),
    /// List every IoT Hub error code the tool knows.
    Codes {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Report format.
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,

    /// When to colour the table.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,

    /// Devices listed in the table report, worst first; 0 lists all (JSON always has all).
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub top: usize,

    #[command(flatten)]
    pub thresholds: ThresholdArgs,
}

#[derive(Debug, Args)]
pub struct TimelineArgs {
    /// The device id (`device/module` for a module identity).
    pub device: String,

    #[command(flatten)]
    pub input: InputArgs,

    /// Report format.
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,

    /// When to colour the table.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,

    #[command(flatten)]
    pub thresholds: ThresholdArgs,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Seed of the generator: the same seed gives the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Number of devices.
    #[arg(long, default_value_t = 100)]
    pub devices: usize,
    /// Hours of log, from 2026-03-02T00:00:00Z.
    #[arg(long, default_value_t = 24)]
    pub hours: u32,
    /// Export shape to write.
    #[arg(long, value_enum, default_value_t = ShapeArg::JsonLines)]
    pub shape: ShapeArg,
    /// Also write the truth (each device's scenario, the incidents) as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub truth: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShapeArg {
    JsonLines,
    Records,
    JsonArray,
    Tables,
    AzCli,
    Csv,
}

/// Which logs to read and how.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Log files to read; `-` or none reads standard input.
    #[arg(value_name = "FILE")]
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
}

/// The diagnosis thresholds; each default is the documented one.
#[derive(Debug, Args)]
#[command(next_help_heading = "Diagnosis thresholds")]
pub struct ThresholdArgs {
    /// Token renewal: 401003, 404104 and the reconnect (or an informational disconnect
    /// and the reconnect) all within this span.
    #[arg(long, value_name = "DURATION", default_value = "2m", value_parser = parse_duration)]
    pub renewal_window: TimeDelta,
    /// Token renewal: cycles closer than this to another are a reconnect loop instead.
    #[arg(long, value_name = "DURATION", default_value = "40m", value_parser = parse_duration)]
    pub renewal_period_min: TimeDelta,
    /// Token renewal: the longest interval between cycles still called steady.
    #[arg(long, value_name = "DURATION", default_value = "100m", value_parser = parse_duration)]
    pub renewal_period_max: TimeDelta,
    /// Rapid flapping: this many drops within --flap-rapid-window.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub flap_rapid_drops: u32,
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    /// Rapid flapping window.
    pub flap_rapid_window: TimeDelta,
    /// Chronic flapping: this many drops within --flap-chronic-window.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub flap_chronic_drops: u32,
    /// Chronic flapping window.
    #[arg(long, value_name = "DURATION", default_value = "60m", value_parser = parse_duration)]
    pub flap_chronic_window: TimeDelta,
    /// Duplicate identity: this many 400027 disconnects.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub duplicate_min_400027: u32,
    /// Credential failure: this many 401003 with no successful connect after them.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub credential_min_401003: u32,
    /// Offline: the last event is a drop at least this long before the end of the log.
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = parse_duration)]
    pub offline_after: TimeDelta,
    /// Side effect: a 409002 this soon after another error of the device.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub side_effect_window: TimeDelta,
    /// Hub incident: window in which devices hit server faults together.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub incident_window: TimeDelta,
    /// Hub incident: fewest devices hit in one window.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub incident_min_devices: u64,
    /// Hub incident: fewest devices hit, as a share of those active in the window.
    #[arg(long, value_name = "SHARE", default_value_t = 0.10)]
    pub incident_min_share: f64,
}

impl ThresholdArgs {
    fn into_thresholds(self) -> Thresholds {
        Thresholds {
            renewal_window: self.renewal_window,
            renewal_period_min: self.renewal_period_min,
            renewal_period_max: self.renewal_period_max,
            flapping_rapid_drops: self.flap_rapid_drops,
            flapping_rapid_window: self.flap_rapid_window,
            flapping_chronic_drops: self.flap_chronic_drops,
            flapping_chronic_window: self.flap_chronic_window,
            duplicate_min_400027: self.duplicate_min_400027,
            credential_min_401003: self.credential_min_401003,
            offline_after: self.offline_after,
            side_effect_window: self.side_effect_window,
            incident_window: self.incident_window,
            incident_min_devices: self.incident_min_devices,
            incident_min_share: self.incident_min_share,
        }
    }
}

/// `90s`, `2m`, `1h 30m`: humantime's duration syntax.
fn parse_duration(text: &str) -> Result<TimeDelta, String> {
    let duration = humantime::parse_duration(text).map_err(|err| format!("{text:?}: {err}"))?;
    TimeDelta::from_std(duration).map_err(|_| format!("{text:?} is too long"))
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

fn output(color: ColorArg, top: usize) -> Output {
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
    Output { color, width, top }
}

impl Cli {
    /// Resolves the raw flags into the program's settings.
    pub fn into_command(self) -> config::Command {
        match self.command {
            CliCommand::Analyze(args) => config::Command::Analyze(args.into_config()),
            CliCommand::Timeline(args) => {
                let (device_id, module_id) = match args.device.split_once('/') {
                    Some((device, module)) => (device.to_string(), Some(module.to_string())),
                    None => (args.device.clone(), None),
                };
                let config = AnalyzeArgs {
                    input: args.input,
                    format: args.format,
                    color: args.color,
                    top: 0,
                    thresholds: args.thresholds,
                }
                .into_config();
                config::Command::Timeline {
                    device: DeviceKey {
                        device_id,
                        module_id,
                    },
                    config,
                }
            }
            CliCommand::Explain { code, format } => config::Command::Explain {
                code,
                json: format == ListFormat::Json,
            },
            CliCommand::Generate(args) => config::Command::Generate {
                spec: FleetSpec::new(args.seed, args.devices, args.hours),
                shape: match args.shape {
                    ShapeArg::JsonLines => OutputShape::JsonLines,
                    ShapeArg::Records => OutputShape::Records,
                    ShapeArg::JsonArray => OutputShape::JsonArray,
                    ShapeArg::Tables => OutputShape::Tables,
                    ShapeArg::AzCli => OutputShape::AzCli,
                    ShapeArg::Csv => OutputShape::Csv,
                },
                truth: args.truth,
            },
            CliCommand::Codes { format } => config::Command::Codes {
                json: format == ListFormat::Json,
                output: output(ColorArg::Never, 0),
            },
        }
    }
}

impl AnalyzeArgs {
    fn into_config(self) -> AnalyzeConfig {
        let input = self.input;
        let sources = if input.files.is_empty() {
            vec![Source::Stdin]
        } else {
            input.files.iter().map(|f| Source::new(f)).collect()
        };
        AnalyzeConfig {
            sources,
            input: input::Options {
                format: match input.input_format {
                    InputFormatArg::Auto => InputFormat::Auto,
                    InputFormatArg::JsonLines => InputFormat::JsonLines,
                    InputFormatArg::Json => InputFormat::Json,
                    InputFormatArg::Csv => InputFormat::Csv,
                },
                date_order: input.date_order.map(|order| match order {
                    DateOrderArg::Dmy => DateOrder::DayFirst,
                    DateOrderArg::Mdy => DateOrder::MonthFirst,
                }),
                tz_offset: input.tz,
            },
            format: match self.format {
                FormatArg::Table => ReportFormat::Table,
                FormatArg::Json => ReportFormat::Json,
            },
            output: output(self.color, self.top),
            strict: input.strict,
            thresholds: self.thresholds.into_thresholds(),
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
    fn threshold_flags_default_to_the_documented_thresholds() {
        let cli = Cli::try_parse_from(["iothub-triage", "analyze", "x.json"]).expect("parses");
        let CliCommand::Analyze(args) = cli.command else {
            panic!("analyze")
        };
        assert_eq!(args.thresholds.into_thresholds(), Thresholds::default());
    }

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(parse_duration("90s"), Ok(TimeDelta::seconds(90)));
        assert_eq!(parse_duration("1h 30m"), Ok(TimeDelta::minutes(90)));
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn tz_accepts_offsets_and_refuses_names() {
        assert_eq!(parse_tz("+01:00"), Ok(3600));
        assert_eq!(parse_tz("-05:30"), Ok(-19800));
        assert!(parse_tz("Europe/Paris").is_err());
    }
}
