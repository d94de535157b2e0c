//! The closed choices (`ValueEnum`s) and the parsers of flag values: offsets, durations,
//! times, output targets.

pub use crate::analysis::diagnosis::parse_duration;
use crate::input::{DateOrder, InputFormat, parse_offset, parse_rfc3339};
use crate::model::{Level, Severity, Shape};
use crate::report::{self, Format};
use crate::synth::Scenario;
use chrono::{DateTime, NaiveDate, Utc};
use clap::ValueEnum;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use std::num::NonZeroUsize;
use std::path::PathBuf;

/// `--format` of `analyze`: every format of [`report::FORMATS`].
pub fn report_format_parser() -> impl TypedValueParser<Value = &'static Format> {
    format_parser(|_| true)
}

/// `--format` of `timeline`: the formats that can write a timeline.
pub fn timeline_format_parser() -> impl TypedValueParser<Value = &'static Format> {
    format_parser(|format| format.timeline.is_some())
}

fn format_parser(offered: fn(&Format) -> bool) -> impl TypedValueParser<Value = &'static Format> {
    let choices = report::FORMATS
        .iter()
        .filter(|format| offered(format))
        .map(|format| PossibleValue::new(format.name).help(format.help));
    PossibleValuesParser::new(choices)
        // The parser above only lets known names through, so the fallback is never used.
        .map(|name: String| report::format(&name).unwrap_or(&report::FORMATS[0]))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

/// Which preset share of scenarios a generated fleet is dealt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MixArg {
    /// The first eleven scenarios, as every test and benchmark figure was made with.
    Default,
    /// Every device-level scenario, the later ones (other SDKs' renewals, takeovers,
    /// restarts, IoT Edge modules) included.
    Field,
    /// Every scenario, the fleet-level ones too: a site outage, a reconnect storm, NAT
    /// and edgeHub idle timeouts, an SDK version that flaps.
    Fleet,
}

/// The scenario names of `generate --scenario`, listed in its help.
/// `--shape` of `generate`: the export shapes it writes, by their names in reports.
pub fn shape_parser() -> impl TypedValueParser<Value = Shape> {
    PossibleValuesParser::new(Shape::WRITTEN.map(Shape::name))
        // The parser above only lets known names through, so the fallback is never used.
        .map(|name: String| Shape::from_name(&name).unwrap_or(Shape::JsonLines))
}

/// One value a flag takes: its name on the command line, what it means, and other names
/// it answers to. The flags' closed choices are tables of these over the program's own
/// types, so that no flag needs an enum of its own to convert.
pub struct Choice<T: 'static> {
    pub value: T,
    pub name: &'static str,
    pub help: Option<&'static str>,
    pub aliases: &'static [&'static str],
}

impl<T> Choice<T> {
    const fn plain(value: T, name: &'static str) -> Choice<T> {
        Choice {
            value,
            name,
            help: None,
            aliases: &[],
        }
    }
}

/// A parser that takes the names of `choices` (and their aliases) to their values.
pub fn choice_parser<T: Copy + Send + Sync + 'static>(
    choices: &'static [Choice<T>],
) -> impl TypedValueParser<Value = T> {
    let names = choices.iter().map(|choice| {
        let name = PossibleValue::new(choice.name).aliases(choice.aliases.iter().copied());
        match choice.help {
            Some(help) => name.help(help),
            None => name,
        }
    });
    PossibleValuesParser::new(names).map(move |name: String| {
        choices
            .iter()
            .find(|choice| choice.name == name || choice.aliases.contains(&name.as_str()))
            // The parser above only lets known names through: the fallback is never used.
            .map_or(choices[0].value, |choice| choice.value)
    })
}

/// `--input-format`.
pub const INPUT_FORMATS: &[Choice<InputFormat>] = &[
    Choice::plain(InputFormat::Auto, "auto"),
    Choice {
        value: InputFormat::JsonLines,
        name: "json-lines",
        help: Some("Storage PT1H.json: one JSON record per line"),
        aliases: &["jsonl", "pt1h"],
    },
    Choice {
        value: InputFormat::Json,
        name: "json",
        help: Some("JSON documents: records wrappers, arrays (az CLI too), tables responses"),
        aliases: &["records", "array", "tables", "az-cli"],
    },
    Choice {
        value: InputFormat::Csv,
        name: "csv",
        help: Some("Portal \"Export to CSV\""),
        aliases: &[],
    },
];

/// `--date-order`.
pub const DATE_ORDERS: &[Choice<DateOrder>] = &[
    Choice {
        value: DateOrder::DayFirst,
        name: "dmy",
        help: Some("Day first: 02/03/2026 is 2 March"),
        aliases: &[],
    },
    Choice {
        value: DateOrder::MonthFirst,
        name: "mdy",
        help: Some("Month first: 02/03/2026 is 3 February"),
        aliases: &[],
    },
];

/// `--fail-on`.
pub const SEVERITIES: &[Choice<Severity>] = &[
    Choice::plain(Severity::Info, "info"),
    Choice::plain(Severity::Low, "low"),
    Choice::plain(Severity::Medium, "medium"),
    Choice::plain(Severity::High, "high"),
    Choice::plain(Severity::Critical, "critical"),
];

/// `--level`.
pub const LEVELS: &[Choice<Level>] = &[
    Choice::plain(Level::Information, "information"),
    Choice::plain(Level::Warning, "warning"),
    Choice::plain(Level::Error, "error"),
    Choice::plain(Level::Critical, "critical"),
];

pub fn scenario_parser() -> impl TypedValueParser<Value = Scenario> {
    PossibleValuesParser::new(Scenario::ALL.map(Scenario::name))
        // The parser above only lets known names through, so the fallback is never used.
        .map(|name: String| Scenario::from_name(&name).unwrap_or(Scenario::Healthy))
}

pub fn parse_tz(text: &str) -> Result<i32, String> {
    parse_offset(text)
        .ok_or_else(|| format!("{text:?} is not a UTC offset such as +01:00 or -05:30"))
}

/// The most threads `-j` takes: far more than any machine has cores, far fewer than
/// what exhausts the system's threads or memory (each has a stack of its own).
pub const MAX_THREADS: usize = 1024;

/// `-j N`: from 1 to [`MAX_THREADS`].
pub fn parse_threads(text: &str) -> Result<NonZeroUsize, String> {
    let threads: NonZeroUsize = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of threads (1 or more)"))?;
    if threads.get() > MAX_THREADS {
        return Err(format!(
            "{threads} threads is more than the most this tool starts, {MAX_THREADS}"
        ));
    }
    Ok(threads)
}

/// A time from the command line, and the words it was given in when they were relative
/// to the clock (`2h`), to say on stderr what they came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeArg {
    pub at: DateTime<Utc>,
    pub ago: Option<String>,
    /// A date alone: its midnight, in UTC until `--tz` says otherwise.
    pub date: bool,
}

impl TimeArg {
    fn of(text: &str, at: DateTime<Utc>) -> TimeArg {
        let date = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").is_ok();
        let absolute = date || parse_rfc3339(text).is_some();
        TimeArg {
            at,
            ago: (!absolute).then(|| text.trim().to_string()),
            date,
        }
    }
}

/// `--since` for `analyze` and `timeline`: as [`parse_time`], remembering a duration ago.
pub fn parse_since_arg(text: &str) -> Result<TimeArg, String> {
    parse_time(text).map(|at| TimeArg::of(text, at))
}

/// `--until` for `analyze` and `timeline`: as [`parse_until`], remembering a duration ago.
pub fn parse_until_arg(text: &str) -> Result<TimeArg, String> {
    parse_until(text).map(|at| TimeArg::of(text, at))
}

/// A point in time: RFC 3339 (`2026-03-02T09:00:00Z`), a date (`2026-03-02`, midnight
/// UTC), or a duration before now (`2h`, `30m`, `1d`).
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    parse_time_at(text, now())
}

/// The clock to the second: what a duration ago is counted from.
fn now() -> DateTime<Utc> {
    chrono::SubsecRound::trunc_subsecs(Utc::now(), 0)
}

/// The end of a time range: as [`parse_time`], but a date alone ends with its day, so
/// that `--since 2026-03-02 --until 2026-03-02` is that whole day.
pub fn parse_until(text: &str) -> Result<DateTime<Utc>, String> {
    parse_until_at(text, now())
}

fn parse_until_at(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        Ok(date) => date
            .succ_opt()
            .and_then(|next| next.and_hms_opt(0, 0, 0))
            .map(|end| end.and_utc())
            .ok_or_else(|| format!("{text:?} is the last day that can be written")),
        Err(_) => parse_time_at(text, now),
    }
}

fn parse_time_at(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if let Some(time) = parse_rfc3339(text) {
        return Ok(time);
    }
    if let Ok(date) = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        return Ok(date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    }
    match parse_duration(text) {
        Ok(ago) => now
            .checked_sub_signed(ago)
            .ok_or_else(|| format!("{text:?} ago is before the earliest time that can be written")),
        Err(_) => Err(format!(
            "{text:?} is neither a time (2026-03-02T09:00:00Z, 2026-03-02) nor a duration ago (2h)"
        )),
    }
}

/// A byte count: `1048576`, `512KiB`, `64MiB`, `4GiB` (also `KB`/`MB`/`GB` and `K`/`M`/`G`,
/// all in powers of 1024).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size such as 4GiB"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(format!("{text:?} has an unknown unit (use KiB, MiB, GiB)")),
    };
    number
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("{text:?} is too large"))
}

/// `--output`: `FORMAT=FILE` writes that format to FILE; a plain `FILE` receives the
/// `--format` report instead of stdout.
pub fn parse_output(text: &str) -> Result<(Option<&'static Format>, PathBuf), String> {
    if let Some((format, path)) = text.split_once('=')
        && let Some(format) = report::format(format)
    {
        if path.is_empty() {
            return Err(format!("{text:?} names no file after '='"));
        }
        return Ok((Some(format), PathBuf::from(path)));
    }
    if text.is_empty() {
        return Err("--output needs a file".to_string());
    }
    // `xml=out.xml`: a format the tool does not write, not a file named so (a path such
    // as `y=2026/report.json` starts with one letter; `./xml=out.xml` names such a file).
    if let Some((format, _)) = text.split_once('=')
        && format.len() >= 2
        && format.bytes().all(|b| b.is_ascii_alphabetic())
    {
        let known: Vec<&str> = report::FORMATS.iter().map(|format| format.name).collect();
        return Err(format!(
            "unknown report format {format:?}; the formats are {} (to write a file of that \
             name, give it as ./{text})",
            known.join(", ")
        ));
    }
    Ok((None, PathBuf::from(text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_choice_table_names_each_value_once_and_reads_back() {
        fn check<T: Copy + PartialEq + std::fmt::Debug + Send + Sync>(
            choices: &'static [Choice<T>],
        ) {
            let command = clap::Command::new("t").arg(
                clap::Arg::new("v")
                    .long("v")
                    .value_parser(choice_parser(choices)),
            );
            for choice in choices {
                for name in std::iter::once(choice.name).chain(choice.aliases.iter().copied()) {
                    let matches = command
                        .clone()
                        .try_get_matches_from(["t", "--v", name])
                        .expect("a name it offers");
                    assert_eq!(matches.get_one::<T>("v"), Some(&choice.value), "{name}");
                }
            }
            assert!(
                command
                    .try_get_matches_from(["t", "--v", "nonsense"])
                    .is_err()
            );
        }
        check(INPUT_FORMATS);
        check(DATE_ORDERS);
        check(SEVERITIES);
        check(LEVELS);
    }

    #[test]
    fn an_unknown_format_before_equals_is_named_with_the_known_ones() {
        let err = parse_output("xml=out.xml").expect_err("refused");
        assert!(
            err.starts_with(
                "unknown report format \"xml\"; the formats are csv, github, html, json"
            ),
            "{err}"
        );
        assert!(err.contains("./xml=out.xml"), "{err}");
        assert_eq!(
            parse_output("y=2026/report.json"),
            Ok((None, PathBuf::from("y=2026/report.json")))
        );
        assert_eq!(
            parse_output("./xml=out.xml"),
            Ok((None, PathBuf::from("./xml=out.xml")))
        );
        assert!(matches!(parse_output("SARIF=x.sarif"), Ok((Some(_), _))));
    }

    #[test]
    fn tz_accepts_offsets_and_refuses_names() {
        assert_eq!(parse_tz("+01:00"), Ok(3600));
        assert_eq!(parse_tz("-05:30"), Ok(-19800));
        assert!(parse_tz("Europe/Paris").is_err());
    }

    #[test]
    fn threads_are_at_least_one_and_at_most_the_cap() {
        assert_eq!(parse_threads("4").map(NonZeroUsize::get), Ok(4));
        assert_eq!(
            parse_threads("1024").map(NonZeroUsize::get),
            Ok(MAX_THREADS)
        );
        assert!(parse_threads("0").is_err());
        assert_eq!(
            parse_threads("100000"),
            Err("100000 threads is more than the most this tool starts, 1024".to_string())
        );
    }

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(parse_duration("90s"), Ok(chrono::TimeDelta::seconds(90)));
        assert_eq!(parse_duration("1h 30m"), Ok(chrono::TimeDelta::minutes(90)));
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn times_are_absolute_dates_or_durations_ago() {
        let now: DateTime<Utc> = "2026-11-26T12:00:00Z".parse().expect("time");
        let at = |s: &str| s.parse::<DateTime<Utc>>().expect("time");
        assert_eq!(
            parse_time_at("2026-03-02T09:00:00Z", now),
            Ok(at("2026-03-02T09:00:00Z"))
        );
        assert_eq!(
            parse_time_at("2026-03-02", now),
            Ok(at("2026-03-02T00:00:00Z"))
        );
        assert_eq!(parse_time_at("2h", now), Ok(at("2026-11-26T10:00:00Z")));
        assert!(parse_time_at("yesterday-ish", now).is_err());
        assert!(
            parse_time_at("300000y", now).is_err(),
            "a duration further back than chrono's range is refused, not a panic"
        );
    }

    #[test]
    fn a_date_alone_ends_a_range_with_its_day() {
        let now: DateTime<Utc> = "2026-11-26T12:00:00Z".parse().expect("time");
        let at = |s: &str| s.parse::<DateTime<Utc>>().expect("time");
        assert_eq!(
            parse_until_at("2026-03-02", now),
            Ok(at("2026-03-03T00:00:00Z"))
        );
        assert_eq!(
            parse_until_at("2026-03-02T09:00:00Z", now),
            Ok(at("2026-03-02T09:00:00Z"))
        );
        assert_eq!(parse_until_at("2h", now), Ok(at("2026-11-26T10:00:00Z")));
        assert_eq!(
            parse_until_at("2026-12-31", now),
            Ok(at("2027-01-01T00:00:00Z"))
        );
    }

    #[test]
    fn sizes_take_binary_units() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("4GiB"), Ok(4 << 30));
        assert_eq!(parse_size("2 k"), Ok(2048));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("3 parsecs").is_err());
    }

    #[test]
    fn outputs_name_a_format_or_take_the_main_one() {
        assert_eq!(
            parse_output("sarif=out/r.sarif"),
            Ok((report::format("sarif"), PathBuf::from("out/r.sarif")))
        );
        assert_eq!(
            parse_output("report.json"),
            Ok((None, PathBuf::from("report.json")))
        );
        // An '=' that does not follow a format name is part of the path.
        assert_eq!(
            parse_output("a=b.json"),
            Ok((None, PathBuf::from("a=b.json")))
        );
        assert!(parse_output("json=").is_err());
    }
}
