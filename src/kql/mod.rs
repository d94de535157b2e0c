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

use crate::analysis::diagnosis::{self, Thresholds};
use crate::analysis::{self, COHORTS_KEPT};
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

const BODY: &str = include_str!("portable.kql");

/// Added to the numbers of a list before it is sorted, and taken off after: numbers of
/// one width sort alike as numbers and as text (some engines sort lists as text), and
/// stay below 2^53, exact where an engine passes them through doubles.
const WIDE: &str = "1000000000000000";

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
    out.push_str(&body(options.full).replace("DEVICES", &device_filter(&options.devices)));
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

/// The body of the query: the template with its sequences, tests and code lists written
/// out.
fn body(full: bool) -> String {
    let mut out = String::new();
    for line in BODY.lines() {
        if let Some(name) = macro_argument(line, "SEQUENCE(") {
            out.push_str(&sequence(name.trim(), full));
        } else if let Some(arguments) = macro_argument(line, "FISHER(") {
            let (output, input) = arguments.split_once(',').unwrap_or((arguments, ""));
            out.push_str(&fisher(output.trim(), input.trim()));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    let throttling: Vec<String> = (100_000..1_000_000)
        .filter(|&code| diagnosis::is_throttling(code))
        .map(|code| literal::string(&code.to_string()))
        .collect();
    out.replace("THROTTLING_CODES", &throttling.join(", "))
        .replace("COHORTS_KEPT", &COHORTS_KEPT.to_string())
        .replace("WIDE", WIDE)
}

/// The argument of a template line `NAME(argument)`.
fn macro_argument<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    line.strip_prefix(name)?.strip_suffix(')')
}

/// `SEQUENCE(Name)`: each identity's connects and drops of `NameInput` (Identity, Time,
/// D: 0 a successful connect, 1 a drop) in time order, connects before drops of the same
/// instant, and per drop instant: `Lost` (the first drop after a connect, or on an export
/// without connects more than 5 s after the previous drop), `Fresh` (more than 5 s after
/// the previous drop), `PrevDropTime` and `FirstAfter` (the first connect after the
/// previous drop). The portable tier numbers the instants by sorting each identity's list
/// of them (`make_list`, `array_sort_asc`, `mv-expand with_itemindex`); `--full` uses
/// `sort` and `prev()`. An instant's key is its microsecond since 2000, twice, plus D,
/// made [`WIDE`] (one width for the years 2000 to 2126).
fn sequence(name: &str, full: bool) -> String {
    let keys = format!(
        "let {name}Keys = {name}Input\n\
         | summarize by Identity, Time, D\n\
         | extend Key = WIDE + tolong((Time - datetime(2000-01-01)) / 1microsecond) * 2 + D;\n"
    );
    let order = if full {
        format!(
            "let {name}Order = {name}Keys\n\
             | sort by Identity asc, Key asc\n\
             | extend I = row_number(0, Identity != prev(Identity))\n\
             | project Identity, I, Time, D;\n\
             let {name}DropOrder = {name}Order\n\
             | where D == 1\n\
             | sort by Identity asc, I asc\n\
             | extend J = row_number(0, Identity != prev(Identity))\n\
             | project Identity, J, I;\n"
        )
    } else {
        format!(
            "let {name}Order = {name}Keys\n\
             | summarize Keys = make_list(Key) by Identity\n\
             | mv-expand with_itemindex = I Key = array_sort_asc(Keys) to typeof(long)\n\
             | project Identity, I, Key\n\
             | join kind=inner {name}Keys on Identity, Key\n\
             | project Identity, I, Key, Time, D;\n\
             let {name}DropOrder = {name}Keys\n\
             | where D == 1\n\
             | summarize Keys = make_list(Key) by Identity\n\
             | mv-expand with_itemindex = J Key = array_sort_asc(Keys) to typeof(long)\n\
             | join kind=inner ({name}Order | project Identity, I, Key) on Identity, Key\n\
             | project Identity, J, I;\n"
        )
    };
    let drops = format!(
        "let {name}Seq = {name}DropOrder\n\
         | join kind=leftouter ({name}DropOrder | project Identity, J = J + 1, PrevDropI = I) on Identity, J\n\
         | project Identity, I, PrevDropI, After = coalesce(PrevDropI, -1) + 1\n\
         | join kind=inner ({name}Order | project Identity, I, Time) on Identity, I\n\
         | project Identity, I, Time, PrevDropI, After\n\
         | join kind=leftouter ({name}Order | project Identity, PrevDropI = I, PrevDropTime = Time) on Identity, PrevDropI\n\
         | project Identity, I, Time, PrevDropI, PrevDropTime, After\n\
         | join kind=leftouter ({name}Order | where D == 0 | project Identity, After = I, FirstAfter = Time) on Identity, After\n\
         | extend Fresh = isnull(PrevDropTime) or Time - PrevDropTime > 5s\n\
         | project Identity, Time, PrevDropTime, FirstAfter, Fresh,\n    \
         Lost = iff(ConnectsLogged, isnull(PrevDropI) or I > PrevDropI + 1, Fresh);\n"
    );
    format!("{keys}{order}{drops}")
}

/// `FISHER(Output, Input)`: the rows of `Input` (Kind, Attribute, Value, Total, All,
/// Size, Inside: identities in the fleet and the cohort, all and with the problem) that
/// make a cohort, with `Others`, `OthersWith` and `P`, the one-sided Fisher's exact test:
/// the hypergeometric tail from `Inside` on, summed term by term in logarithms.
fn fisher(output: &str, input: &str) -> String {
    let factorials: Vec<String> = [
        "All",
        "J",
        "All - J",
        "Others",
        "Size - J",
        "Others - Size + J",
        "Total",
        "Size",
        "Others",
    ]
    .iter()
    .enumerate()
    .map(|(n, count)| format!("F{n} = {}", ln_factorial(count)))
    .collect();
    format!(
        "let {input}Cheap = {input}\n\
         | extend Others = Total - Size, OthersWith = All - Inside\n\
         | where Size >= CohortMinDevices and Size < Total and Inside >= CohortMinDevices\n\
         | where OthersWith == 0\n    \
         or todouble(Inside) / todouble(Size) / (todouble(OthersWith) / todouble(Others)) >= CohortMinLift\n\
         | extend Lo = max_of(Inside, Size - Others), Hi = min_of(Size, All);\n\
         let {input}Terms = coalesce(toscalar({input}Cheap | summarize max(Hi - Lo)), 0);\n\
         let {output} = {input}Cheap\n\
         | extend Key = 1\n\
         | join kind=inner (range K from 0 to {input}Terms step 1 | extend Key = 1) on Key\n\
         | extend J = Lo + K\n\
         | where J <= Hi\n\
         // ln C(All, J) + ln C(Others, Size - J) - ln C(Total, Size)\n\
         | extend {}\n\
         | extend Term = exp(F0 - F1 - F2 + F3 - F4 - F5 - F6 + F7 + F8)\n\
         | summarize P = sum(Term) by Kind, Attribute, Value, Total, All, Size, Inside, Others, OthersWith\n\
         | where P <= CohortMaxP;\n",
        factorials.join(",\n    "),
    )
}

/// ln(n!) for a count `n`: from `gamma` below 170, Stirling's series above (exact to
/// double precision there).
fn ln_factorial(n: &str) -> String {
    let x = format!("(todouble({n}) + 1.0)");
    format!(
        "iff(({n}) < 170, log(gamma({x})), ({x} - 0.5) * log({x}) - {x} + 0.91893853320467274 \
         + 1.0 / (12.0 * {x}) - 1.0 / (360.0 * {x} * {x} * {x}))"
    )
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
