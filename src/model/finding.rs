//! A finding: one thing to look at, with a typed rule id, a severity, where its evidence
//! starts and a fingerprint that stays the same from run to run. CI outputs, the gate
//! and `--baseline` work on lists of these, whether the analysis made them or a KQL
//! query's result was read back.

use super::{InsightKind, Severity};
use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};
use serde::{Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;

/// One thing to look at.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// `device` or `device/module`; `None` for a fleet finding.
    pub device: Option<String>,
    pub rule: Rule,
    pub severity: Severity,
    pub title: String,
    pub action: String,
    pub location: Option<Location>,
    /// Stable across runs for the same device and rule (fleet incidents: and start time).
    pub fingerprint: String,
}

/// What a finding is about: an error code nothing explains, or an insight. Written as
/// `code/<ResultType>` or `insight/<kind>`, and ordered as those strings are.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Rule {
    Code(String),
    Insight(InsightKind),
}

impl Rule {
    /// Reads `code/<ResultType>` or `insight/<kind>` back.
    pub fn parse(text: &str) -> Option<Rule> {
        if let Some(code) = text.strip_prefix("code/") {
            return (!code.is_empty()).then(|| Rule::Code(code.to_string()));
        }
        text.strip_prefix("insight/")
            .and_then(InsightKind::from_name)
            .map(Rule::Insight)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Code(code) => write!(f, "code/{code}"),
            Rule::Insight(kind) => write!(f, "insight/{}", kind.as_str()),
        }
    }
}

impl Ord for Rule {
    fn cmp(&self, other: &Rule) -> Ordering {
        match (self, other) {
            (Rule::Code(a), Rule::Code(b)) => a.cmp(b),
            (Rule::Insight(a), Rule::Insight(b)) => a.as_str().cmp(b.as_str()),
            (Rule::Code(_), Rule::Insight(_)) => Ordering::Less,
            (Rule::Insight(_), Rule::Code(_)) => Ordering::Greater,
        }
    }
}

impl PartialOrd for Rule {
    fn partial_cmp(&self, other: &Rule) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Where a record is: the input's name and the line or record number in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<u64>,
}

impl Location {
    /// Resolves a position against the names of the inputs.
    pub fn new(sources: &[String], position: &super::Position) -> Location {
        Location {
            source: sources.get(position.input).cloned().unwrap_or_default(),
            line: position.line,
            record: position.record,
        }
    }
}

/// FNV-1a, 64 bits, as hex: tiny, stable across versions and platforms, and enough to
/// tell findings apart (it is an identity, not a security property).
pub fn fingerprint(key: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// Times are written as RFC 3339 UTC with `Z`, fractions only when present (three,
/// six or nine digits): what chrono's `to_rfc3339_opts(SecondsFormat::AutoSi, true)`
/// writes, and the tests hold it to that. Written here digit by digit because a large
/// report writes hundreds of thousands of times and chrono's formatting machinery costs
/// several times as much; years outside 0 to 9999 and leap seconds are left to chrono.
pub fn format_time(time: &DateTime<Utc>) -> String {
    let naive = time.naive_utc();
    let year = naive.year();
    let nano = naive.nanosecond();
    if !(0..=9999).contains(&year) || nano >= 1_000_000_000 {
        return time.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    }
    let mut text = String::with_capacity(30);
    push_digits(&mut text, year as u32, 4);
    text.push('-');
    push_digits(&mut text, naive.month(), 2);
    text.push('-');
    push_digits(&mut text, naive.day(), 2);
    text.push('T');
    push_digits(&mut text, naive.hour(), 2);
    text.push(':');
    push_digits(&mut text, naive.minute(), 2);
    text.push(':');
    push_digits(&mut text, naive.second(), 2);
    let (fraction, places) = if nano == 0 {
        (0, 0)
    } else if nano.is_multiple_of(1_000_000) {
        (nano / 1_000_000, 3)
    } else if nano.is_multiple_of(1_000) {
        (nano / 1_000, 6)
    } else {
        (nano, 9)
    };
    if places > 0 {
        text.push('.');
        push_digits(&mut text, fraction, places);
    }
    text.push('Z');
    text
}

/// `value`'s last `places` decimal digits, zero-padded.
fn push_digits(text: &mut String, value: u32, places: u32) {
    for place in (0..places).rev() {
        text.push(char::from(b'0' + (value / 10u32.pow(place) % 10) as u8));
    }
}

/// Serializes a time as [`format_time`] writes it.
pub fn rfc3339<S: Serializer>(time: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format_time(time))
}

/// Serializes an optional time as [`format_time`] writes it, or `null`.
pub fn rfc3339_opt<S: Serializer>(
    time: &Option<DateTime<Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match time {
        Some(time) => rfc3339(time, serializer),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chrono_writes(time: &DateTime<Utc>) -> String {
        time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }

    #[test]
    fn times_are_written_as_chrono_writes_them_at_the_edges() {
        let times = [
            (0, 0),
            (-62_167_219_200, 0),
            (-62_167_219_201, 0),
            (253_402_300_799, 999_999_999),
            (253_402_300_800, 0),
            (1_772_442_604, 1_000_000),
            (1_772_442_604, 120_000_000),
            (1_772_442_604, 123_400_000),
            (1_772_442_604, 123_456_000),
            (1_772_442_604, 1_000),
            (1_772_442_604, 1),
            (1_772_442_604, 123_456_789),
            (1_772_442_659, 1_500_000_000),
        ];
        for (secs, nanos) in times {
            let time = DateTime::from_timestamp(secs, nanos).expect("a time");
            assert_eq!(format_time(&time), chrono_writes(&time), "{secs} {nanos}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]

        #[test]
        fn any_time_is_written_as_chrono_writes_it(
            secs in -62_167_219_200i64..253_402_300_800,
            nanos in 0u32..1_000_000_000,
            precision in 0u32..4,
        ) {
            let nanos = nanos - nanos % [1_000_000_000, 1_000_000, 1_000, 1][precision as usize];
            let time = DateTime::from_timestamp(secs, nanos).expect("a time");
            proptest::prop_assert_eq!(format_time(&time), chrono_writes(&time));
        }
    }

    #[test]
    fn fingerprints_are_stable_and_tell_keys_apart() {
        // Known FNV-1a values: the empty string and "a".
        assert_eq!(fingerprint(""), "cbf29ce484222325");
        assert_eq!(fingerprint("a"), "af63dc4c8601ec8c");
        assert_ne!(
            fingerprint("pump-0042\0code/404104"),
            fingerprint("pump-0042\0code/401003")
        );
    }

    #[test]
    fn rules_read_back_what_they_write_and_order_as_their_text() {
        let mut rules: Vec<Rule> = InsightKind::ALL.into_iter().map(Rule::Insight).collect();
        rules.extend(["404104", "401003", "500001"].map(|c| Rule::Code(c.into())));
        for rule in &rules {
            assert_eq!(Rule::parse(&rule.to_string()).as_ref(), Some(rule));
        }
        let mut by_text = rules.clone();
        by_text.sort_by_key(ToString::to_string);
        rules.sort();
        assert_eq!(rules, by_text);
        assert_eq!(Rule::parse("insight/nonsense"), None);
        assert_eq!(Rule::parse("code/"), None);
        assert_eq!(Rule::parse("flapping"), None);
    }
}
