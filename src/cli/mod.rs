//! The command line, with clap derive: flags as typed values with their help, turned into
//! a [`config::Command`] once. Nothing below this module sees clap.

mod analyze;
mod footer;
mod kql;
pub mod pages;
mod thresholds;
mod values;

pub use analyze::{AnalyzeArgs, FilterArgs, GateArgs, InputArgs, TimeArgs};
pub use footer::{html_footer, kql_equivalent};
pub use kql::KqlArgs;
pub use thresholds::ThresholdArgs;
pub use values::{ColorArg, ListFormat, MixArg};

use crate::analysis::DeviceKey;
use crate::config::{self, Command};
use crate::model::Shape;
use crate::report::Format;
use crate::synth::{FleetSpec, Mix, Scenario};
use clap::{Args, CommandFactory, Parser, Subcommand};
use clap_complete::Shell;
use std::path::PathBuf;

/// Diagnose Azure IoT Hub connection logs offline: per device, which error codes
/// happened, how often, when, why, and what to do.
#[derive(Debug, Parser)]
#[command(name = "iothub-triage", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: CliCommand,
}

const EXIT_CODES: &str = "Exit codes: 0 the command ran and no finding reached the gate; 1 findings at or \
above --fail-on, or more than --max-findings; 2 it could not run (usage error, an input named on the \
command line that cannot be read, nothing readable at all, or under --strict a skipped record or a file \
of a directory or archive that is not a log).";

#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Analyze exported Connections logs and report per device.
    ///
    /// Reads storage PT1H.json (JSON Lines), Event Hubs {"records":[...]} bodies, JSON
    /// arrays, Log Analytics query responses ({"tables":[...]}), `az monitor
    /// log-analytics query -o json` output and portal CSV exports, plain, gzipped or in
    /// zip bundles; the shape is detected from the content.
    #[command(after_help = EXIT_CODES)]
    Analyze(AnalyzeArgs),
    /// One device's events in time order, with its sessions and what explains them.
    #[command(after_help = EXIT_CODES)]
    Timeline(TimelineArgs),
    /// Print the triage as a KQL query to run where the logs are (Log Analytics, Azure
    /// Data Explorer): one row per finding, which `analyze` reads back.
    Kql(KqlArgs),
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
    /// Write a synthetic fleet's Connections log (seeded, deterministic) for demos,
    /// tests and benchmarks.
    Generate(GenerateArgs),
    /// Print a shell completion script (e.g. `iothub-triage completions bash > /etc/bash_completion.d/iothub-triage`).
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print a man page (roff): the tool's, or a subcommand's (`man analyze`); with
    /// `--dir`, write every page into a directory (`man --dir /usr/local/share/man/man1`).
    Man {
        /// The subcommand whose page to print.
        #[arg(value_name = "COMMAND")]
        page: Option<String>,
        /// Write every page (the tool's and each subcommand's) into this directory.
        #[arg(long, value_name = "DIR", conflicts_with = "page")]
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct TimelineArgs {
    /// The device id (`device/module` for a module identity).
    pub device: String,

    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub time: TimeArgs,

    /// Report format.
    #[arg(long, default_value = "table", value_parser = values::timeline_format_parser())]
    pub format: &'static Format,

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
    #[arg(long, default_value = "json-lines", value_parser = values::shape_parser())]
    pub shape: Shape,
    /// Also write the truth (each device's scenario, the incidents, site outages and
    /// reconnect storms) as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub truth: Option<PathBuf>,
    /// Share of devices per scenario.
    #[arg(long, value_enum, default_value_t = MixArg::Default)]
    pub mix: MixArg,
    /// Deal only this scenario to every device; repeat it for equal shares of several
    /// (replaces --mix; incident victims only with 20 devices or more).
    #[arg(long, value_name = "NAME", value_parser = values::scenario_parser(), conflicts_with = "mix")]
    pub scenario: Vec<Scenario>,
    /// Write only the records of level Error, as `AzureDiagnostics | where Category ==
    /// "Connections" and Level == "Error"` exports them: no connects, no informational
    /// disconnects. The truth still names every device and says `"errors_only": true`.
    #[arg(long)]
    pub errors_only: bool,
}

impl GenerateArgs {
    fn spec(&self) -> FleetSpec {
        let mix = match (self.scenario.as_slice(), self.mix) {
            ([], MixArg::Default) => Mix::default(),
            ([], MixArg::Field) => Mix::field(),
            ([], MixArg::Fleet) => Mix::fleet(),
            (scenarios, _) => Mix::of(scenarios),
        };
        FleetSpec {
            mix,
            errors_only: self.errors_only,
            ..FleetSpec::new(self.seed, self.devices, self.hours)
        }
    }
}

impl Cli {
    /// Resolves the raw flags into the program's settings.
    pub fn into_command(self) -> Result<Command, String> {
        Ok(match self.command {
            CliCommand::Analyze(args) => Command::Analyze(args.into_config()?),
            CliCommand::Timeline(args) => {
                let (device_id, module_id) = match args.device.split_once('/') {
                    Some((device, module)) => (device.to_string(), Some(module.to_string())),
                    None => (args.device.clone(), None),
                };
                let window = args.time.resolve(args.input.tz);
                let config = config::AnalyzeConfig {
                    sources: args.input.sources(),
                    input: args.input.options(),
                    targets: vec![(args.format, None)],
                    output: analyze::output(args.color, 0),
                    strict: args.input.strict,
                    thresholds: args.thresholds.into_thresholds(),
                    filter: crate::analysis::Filter {
                        since: window.since,
                        until: window.until,
                        ..Default::default()
                    },
                    last: window.last,
                    time_notes: window.notes,
                    gate: Default::default(),
                    footer: Default::default(),
                };
                Command::Timeline {
                    device: DeviceKey {
                        device_id,
                        module_id,
                    },
                    config,
                }
            }
            CliCommand::Kql(args) => Command::Kql(args.into_options()?),
            CliCommand::Explain { code, format } => Command::Explain {
                code,
                json: format == ListFormat::Json,
                output: analyze::output(ColorArg::Never, 0),
            },
            CliCommand::Codes { format } => Command::Codes {
                json: format == ListFormat::Json,
                output: analyze::output(ColorArg::Never, 0),
            },
            CliCommand::Generate(args) => Command::Generate {
                spec: args.spec(),
                shape: args.shape,
                truth: args.truth,
            },
            CliCommand::Completions { shell } => Command::Completions {
                shell: shell.to_string(),
            },
            CliCommand::Man { page, dir } => Command::Man { page, dir },
        })
    }

    /// The clap command, for completions and the man page.
    pub fn definition() -> clap::Command {
        Cli::command()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::diagnosis::Thresholds;

    fn format(name: &str) -> &'static Format {
        crate::report::format(name).expect("a format")
    }

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    fn analyze(args: &[&str]) -> Result<config::AnalyzeConfig, String> {
        let cli = Cli::try_parse_from(["iothub-triage", "analyze"].iter().chain(args))
            .map_err(|e| e.to_string())?;
        match cli.into_command()? {
            Command::Analyze(config) => Ok(config),
            other => Err(format!("not analyze: {other:?}")),
        }
    }

    #[test]
    fn threshold_flags_default_to_the_documented_thresholds() {
        assert_eq!(
            analyze(&["x.json"]).expect("parses").thresholds,
            Thresholds::default()
        );
    }

    #[test]
    fn outputs_pair_formats_with_files_and_stdout_keeps_the_main_format() {
        let config = analyze(&[
            "x.json",
            "--format",
            "table",
            "-o",
            "sarif=r.sarif",
            "--output",
            "markdown=s.md",
        ])
        .expect("parses");
        assert_eq!(
            config.targets,
            [
                (format("table"), None),
                (format("sarif"), Some(PathBuf::from("r.sarif"))),
                (format("markdown"), Some(PathBuf::from("s.md")))
            ]
        );
        let config = analyze(&["x.json", "--format", "json", "-o", "report.json"]).expect("parses");
        assert_eq!(
            config.targets,
            [(format("json"), Some(PathBuf::from("report.json")))]
        );
        assert!(analyze(&["x.json", "-o", "a.json", "-o", "b.json"]).is_err());
    }

    fn generate(args: &[&str]) -> Result<FleetSpec, String> {
        let cli = Cli::try_parse_from(["iothub-triage", "generate"].iter().chain(args))
            .map_err(|e| e.to_string())?;
        match cli.into_command()? {
            Command::Generate { spec, .. } => Ok(spec),
            other => Err(format!("not generate: {other:?}")),
        }
    }

    #[test]
    fn generate_deals_the_chosen_mix_or_scenarios() {
        let spec = generate(&[]).expect("parses");
        assert_eq!((spec.mix, spec.errors_only), (Mix::default(), false));
        assert_eq!(
            generate(&["--mix", "field"]).map(|s| s.mix),
            Ok(Mix::field())
        );
        assert_eq!(
            generate(&["--mix", "fleet"]).map(|s| s.mix),
            Ok(Mix::fleet())
        );
        assert_eq!(
            generate(&["--scenario", "takeover", "--errors-only"]).map(|s| (s.mix, s.errors_only)),
            Ok((Mix::only(Scenario::Takeover), true))
        );
        assert_eq!(
            generate(&[
                "--scenario",
                "token_renewal_c",
                "--scenario",
                "edge_modules"
            ])
            .map(|s| s.mix),
            Ok(Mix::of(&[Scenario::TokenRenewalC, Scenario::EdgeModules]))
        );
        assert!(generate(&["--scenario", "nonsense"]).is_err());
        assert!(generate(&["--scenario", "takeover", "--mix", "field"]).is_err());
    }

    #[test]
    fn a_bad_device_glob_is_a_usage_error() {
        assert!(analyze(&["x.json", "--device", "pump-[0-9"]).is_err());
    }
}
