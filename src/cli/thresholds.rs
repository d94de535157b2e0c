//! The diagnosis thresholds as flags, built from the analysis's table of them
//! ([`THRESHOLDS`]): each flag's name, default and help are declared there, once.

use crate::analysis::diagnosis::{Slot, THRESHOLDS, Threshold, Thresholds, parse_duration};
use clap::builder::ValueParser;
use clap::{Arg, ArgMatches, Args, Command, FromArgMatches};

/// The diagnosis thresholds, each defaulting to the documented value.
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdArgs(Thresholds);

impl ThresholdArgs {
    pub fn into_thresholds(self) -> Thresholds {
        self.0
    }
}

impl Args for ThresholdArgs {
    fn augment_args(command: Command) -> Command {
        THRESHOLDS
            .iter()
            .fold(
                command.next_help_heading("Diagnosis thresholds"),
                |command, threshold| command.arg(flag(threshold)),
            )
            // The flags that follow go back under the default heading.
            .next_help_heading(None)
    }

    fn augment_args_for_update(command: Command) -> Command {
        ThresholdArgs::augment_args(command)
    }
}

impl FromArgMatches for ThresholdArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<ThresholdArgs, clap::Error> {
        let mut args = ThresholdArgs(Thresholds::default());
        args.update_from_arg_matches(matches)?;
        Ok(args)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        for threshold in THRESHOLDS {
            // Each flag's parser has checked its text already, and each has a default.
            let Some(text) = matches.get_one::<String>(threshold.flag) else {
                continue;
            };
            (threshold.slot)(&mut self.0).set(text).map_err(|message| {
                clap::Error::raw(clap::error::ErrorKind::InvalidValue, message)
            })?;
        }
        Ok(())
    }
}

fn flag(threshold: &Threshold) -> Arg {
    let mut probe = Thresholds::default();
    let check: fn(&str) -> Result<String, String> = match (threshold.slot)(&mut probe) {
        Slot::Duration(_) => |text| parse_duration(text).map(|_| text.to_string()),
        Slot::Count(_) => |text| number::<u32>(text),
        Slot::Devices(_) => |text| number::<u64>(text),
        Slot::Number(_) => |text| number::<f64>(text),
    };
    let mut arg = Arg::new(threshold.flag)
        .long(threshold.flag)
        .value_name(threshold.value_name)
        .default_value(threshold.default)
        .help(threshold.help)
        .value_parser(ValueParser::new(check));
    if let Some(alias) = threshold.alias {
        arg = arg.alias(alias);
    }
    arg
}

fn number<T: std::str::FromStr>(text: &str) -> Result<String, String>
where
    T::Err: std::fmt::Display,
{
    text.parse::<T>()
        .map(|_| text.to_string())
        .map_err(|err| format!("{text:?}: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Probe {
        #[command(flatten)]
        thresholds: ThresholdArgs,
    }

    fn parse(args: &[&str]) -> Result<Thresholds, String> {
        Probe::try_parse_from(std::iter::once("probe").chain(args.iter().copied()))
            .map(|probe| probe.thresholds.into_thresholds())
            .map_err(|err| err.to_string())
    }

    #[test]
    fn every_flag_defaults_to_the_documented_threshold_and_sets_its_field() {
        assert_eq!(parse(&[]), Ok(Thresholds::default()));
        let t = parse(&[
            "--flap-rapid-window",
            "90s",
            "--duplicate-min-400027",
            "7",
            "--cohort-max-p",
            "0.05",
        ])
        .expect("parses");
        assert_eq!(t.flapping_rapid_window, TimeDelta::seconds(90));
        assert_eq!(t.duplicate_min_conflicts, 7);
        assert!((t.cohort_max_p - 0.05).abs() < f64::EPSILON);
    }

    #[test]
    fn a_bad_value_is_a_usage_error_naming_the_flag() {
        let err = parse(&["--mass-min-devices", "many"]).expect_err("refused");
        assert!(err.contains("--mass-min-devices"), "{err}");
    }
}
