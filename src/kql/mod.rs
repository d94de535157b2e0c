//! The triage as a KQL query, for logs that live in Log Analytics or Azure Data
//! Explorer: one `let` prelude per source turns its columns into a common `Conn` table,
//! `let` parameters carry the thresholds and filters of `analyze`, the code table comes
//! in as a `datatable` generated from the Rust table, and the body computes one row per
//! finding (per identity and code, and the insights KQL can express).
//!
//! The portable tier keeps to what open-source KQL engines run (no `serialize`,
//! `prev`/`next`, `row_window_session`, `make-series`, `scan`, `partition`,
//! `top-nested` or `dcount`): it puts each identity's connects and drops in order by
//! sorting a list of them per identity. `--full` orders them with `sort` and `prev()`,
//! which an engine runs without building those lists.

mod codes;
mod literal;
mod prelude;
mod template;

use crate::analysis;
use crate::analysis::diagnosis::{self, Thresholds};
use crate::rules::sdk::HUB_IDLE_CLOSE_MAX_SECONDS;
use chrono::{DateTime, TimeDelta, Utc};
use std::fmt::Write;

/// Where the Connections records are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Log Analytics: the `AzureDiagnostics` table.
    LogAnalytics,
    /// Azure Data Explorer, a table with the records' raw field names as columns.
    Adx(String),
    /// Azure Data Explorer, a table whose `records` column holds raw bodies.
    AdxRaw(String),
}

impl Source {
    /// `la`, `adx:TABLE` or `adx-raw:TABLE`.
    pub fn parse(text: &str) -> Result<Source, String> {
        let table = |name: &str| -> Result<String, String> {
            let valid = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
            if valid {
                Ok(name.to_string())
            } else {
                Err(format!(
                    "{name:?} is not a table name (letters, digits, `_` and `.` only)"
                ))
            }
        };
        match text.split_once(':') {
            None if text == "la" => Ok(Source::LogAnalytics),
            Some(("adx", name)) => table(name).map(Source::Adx),
            Some(("adx-raw", name)) => table(name).map(Source::AdxRaw),
            _ => Err(format!("{text:?}: expected la, adx:TABLE or adx-raw:TABLE")),
        }
    }
}

/// What the query is asked for.
#[derive(Debug, Clone)]
pub struct KqlOptions {
    pub source: Source,
    /// Allow the operators the portable tier avoids.
    pub full: bool,
    pub thresholds: Thresholds,
    /// Device globs, as `--device` takes them.
    pub devices: Vec<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Only the last span before the query runs (`ago()`).
    pub last: Option<TimeDelta>,
    /// Print a stored-function definition of this name instead of a query.
    pub function: Option<String>,
}

/// The query (or function definition) for these options.
pub fn query(options: &KqlOptions) -> String {
    let mut out = String::new();
    out.push_str("// iothub-triage: the Connections triage as KQL. One row per finding.\n");
    out.push_str(&parameters(&options.thresholds));
    out.push_str(&codes::datatable());
    out.push_str(&codes::families());
    out.push_str(&prelude::conn(&options.source));
    out.push_str(&time_filter(options));
    out.push_str(
        "\n| summarize Level = max(Level), SdkVersion = max(SdkVersion), \
         Protocol = max(Protocol) by Time, Operation, Code, DeviceId, ModuleId, Identity;\n",
    );
    out.push_str(
        &template::body(options.full).replace("DEVICES", &device_filter(&options.devices)),
    );
    match &options.function {
        None => out,
        Some(name) => function(name, &out),
    }
}

/// `.create-or-alter function`: the same lets and expression as the body of a function
/// without parameters (its parameters are the `let`s at the top).
fn function(name: &str, query: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        ".create-or-alter function with (folder = \"iothub-triage\", docstring = \
         \"Connections triage, one row per finding\")\n{name}() {{"
    );
    for line in query.lines() {
        let _ = writeln!(out, "    {line}");
    }
    out.push_str("}\n");
    out
}

fn parameters(t: &Thresholds) -> String {
    use literal::timespan;
    let incident_minutes = (t.incident_window.num_seconds() + 59) / 60;
    let lines = [
        ("RenewalWindow", timespan(t.renewal_window)),
        ("RenewalPeriodMin", timespan(t.renewal_period_min)),
        ("RenewalPeriodMax", timespan(t.renewal_period_max)),
        ("RenewalJitter", timespan(t.renewal_jitter)),
        ("FlapRapidDrops", t.flapping_rapid_drops.to_string()),
        ("FlapRapidWindow", timespan(t.flapping_rapid_window)),
        ("FlapChronicDrops", t.flapping_chronic_drops.to_string()),
        ("FlapChronicWindow", timespan(t.flapping_chronic_window)),
        (
            "DuplicateMinConflicts",
            t.duplicate_min_conflicts.to_string(),
        ),
        ("DuplicateWindow", timespan(t.duplicate_window)),
        ("CredentialMin401003", t.credential_min_401003.to_string()),
        ("OfflineAfter", timespan(t.offline_after)),
        ("SideEffectWindow", timespan(t.side_effect_window)),
        ("IncidentWindow", format!("{incident_minutes}m")),
        ("IncidentMinutes", incident_minutes.max(1).to_string()),
        ("IncidentMinDevices", t.incident_min_devices.to_string()),
        ("IncidentMinShare", format!("{:?}", t.incident_min_share)),
        (
            "MassWindow",
            timespan(t.mass_window.max(TimeDelta::seconds(1))),
        ),
        ("MassMinDevices", t.mass_min_devices.to_string()),
        ("MassMinShare", format!("{:?}", t.mass_min_share)),
        ("PeriodicMinDrops", t.periodic_min_drops.to_string()),
        ("CohortMinDevices", t.cohort_min_devices.to_string()),
        ("CohortMinLift", format!("{:?}", t.cohort_min_lift)),
        ("CohortMaxP", format!("{:?}", t.cohort_max_p)),
        // What the analysis fixes rather than takes as a flag.
        (
            "CleanPeriodMin",
            format!("{:?}", diagnosis::CLEAN_RENEWAL_MINUTES.start()),
        ),
        (
            "CleanPeriodMax",
            format!("{:?}", diagnosis::CLEAN_RENEWAL_MINUTES.end()),
        ),
        ("EpisodeGap", timespan(analysis::CODE_EPISODE_GAP)),
        (
            "RecurringEpisodes",
            analysis::RECURRING_EPISODES.to_string(),
        ),
        ("RecurringRecords", analysis::RECURRING_RECORDS.to_string()),
        ("PeriodicShortest", timespan(diagnosis::PERIODIC_SHORTEST)),
        (
            "PeriodicSteadyPercent",
            diagnosis::PERIODIC_STEADY_PERCENT.to_string(),
        ),
        ("EdgeIdleSeconds", diagnosis::EDGE_IDLE_SECONDS.to_string()),
        ("HubIdleCloseMax", HUB_IDLE_CLOSE_MAX_SECONDS.to_string()),
        ("ThrottleGap", timespan(diagnosis::THROTTLING_EPISODE_GAP)),
        (
            "DailyQuota",
            literal::string(&diagnosis::DAILY_QUOTA.to_string()),
        ),
    ];
    let mut out = String::new();
    for (name, value) in lines {
        let _ = writeln!(out, "let {name} = {value};");
    }
    out
}

fn time_filter(options: &KqlOptions) -> String {
    let mut out = String::new();
    if let Some(since) = &options.since {
        let _ = write!(out, "\n| where Time >= {}", literal::datetime(since));
    }
    if let Some(until) = &options.until {
        let _ = write!(out, "\n| where Time < {}", literal::datetime(until));
    }
    if let Some(last) = options.last {
        let _ = write!(out, "\n| where Time >= ago({})", literal::timespan(last));
    }
    out
}

/// Keeps the fleet rows and the identities a glob matches (the device id or
/// `device/module`), after the analysis: the end of the log and incidents still see the
/// whole fleet, as in `analyze`.
fn device_filter(globs: &[String]) -> String {
    if globs.is_empty() {
        return String::new();
    }
    let patterns: Vec<String> = globs
        .iter()
        .map(|glob| literal::string(&glob_regex(glob)))
        .collect();
    let tests: Vec<String> = patterns
        .iter()
        .map(|p| format!("Identity matches regex {p} or tostring(split(Identity, \"/\")[0]) matches regex {p}"))
        .collect();
    format!("| where isempty(Identity) or {}\n", tests.join(" or "))
}

/// An anchored RE2 pattern for a glob: `*` any run, `?` one character, `[...]` a class.
fn glob_regex(glob: &str) -> String {
    let mut out = String::from("^");
    let mut in_class = false;
    for c in glob.chars() {
        match c {
            '*' if !in_class => out.push_str(".*"),
            '?' if !in_class => out.push('.'),
            '[' if !in_class => {
                in_class = true;
                out.push('[');
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '!' if in_class && out.ends_with('[') => out.push('^'),
            c if !in_class && r"\.+()|{}^$#&-~".contains(c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push('$');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> KqlOptions {
        KqlOptions {
            source: Source::LogAnalytics,
            full: false,
            thresholds: Thresholds::default(),
            devices: Vec::new(),
            since: None,
            until: None,
            last: None,
            function: None,
        }
    }

    #[test]
    fn sources_parse_and_refuse_table_names_that_are_not_names() {
        assert_eq!(Source::parse("la"), Ok(Source::LogAnalytics));
        assert_eq!(
            Source::parse("adx:Connections"),
            Ok(Source::Adx("Connections".into()))
        );
        assert_eq!(
            Source::parse("adx-raw:db.Raw_1"),
            Ok(Source::AdxRaw("db.Raw_1".into()))
        );
        for bad in ["", "adx:", "adx:a b", "adx:T | take 1", "sql:T"] {
            assert!(Source::parse(bad).is_err(), "{bad:?}");
        }
    }

    /// The query without its string literals and comments: the operators alone.
    fn code_only(query: &str) -> String {
        let mut out = String::new();
        for line in query.lines() {
            let line = line.split("//").next().unwrap_or_default();
            let mut inside = false;
            let mut escaped = false;
            for c in line.chars() {
                match c {
                    _ if escaped => escaped = false,
                    '\\' if inside => escaped = true,
                    '"' => inside = !inside,
                    c if !inside => out.push(c),
                    _ => {}
                }
            }
            out.push('\n');
        }
        out
    }

    #[test]
    fn the_portable_tier_avoids_what_open_engines_lack() {
        let query = code_only(&query(&options()));
        for word in [
            "serialize",
            "prev(",
            "next(",
            "row_window_session",
            "make-series",
            "scan ",
            "partition ",
            "top-nested",
            "dcount",
        ] {
            assert!(!query.contains(word), "{word}");
        }
        let full = super::query(&KqlOptions {
            full: true,
            ..options()
        });
        assert!(code_only(&full).contains("prev("));
    }

    #[test]
    fn thresholds_become_the_lets_at_the_top() {
        let t = Thresholds {
            flapping_rapid_drops: 7,
            offline_after: TimeDelta::minutes(30),
            ..Thresholds::default()
        };
        let query = query(&KqlOptions {
            thresholds: t,
            ..options()
        });
        assert!(query.contains("let FlapRapidDrops = 7;"));
        assert!(query.contains("let OfflineAfter = 1800s;"));
        assert!(query.contains("let IncidentMinShare = 0.1;"));
        assert!(query.contains("let MassWindow = 120s;"));
        assert!(query.contains("let CohortMaxP = 0.001;"));
        assert!(query.contains("let ThrottleGap = 1800s;"));
    }

    #[test]
    fn globs_become_anchored_regexes() {
        assert_eq!(glob_regex("pump-*"), "^pump\\-.*$");
        assert_eq!(glob_regex("a?.b"), "^a.\\.b$");
        assert_eq!(glob_regex("dev-[!0-9]"), "^dev\\-[^0-9]$");
        let query = query(&KqlOptions {
            devices: vec!["say \"x\"*".into()],
            ..options()
        });
        assert!(query.contains(r#"matches regex "^say \"x\".*$""#));
    }

    #[test]
    fn a_function_wraps_the_query() {
        let text = query(&KqlOptions {
            function: Some("IotHubTriage".into()),
            ..options()
        });
        assert!(text.starts_with(".create-or-alter function"));
        assert!(text.contains("IotHubTriage() {"));
        assert!(text.trim_end().ends_with('}'));
    }
}
