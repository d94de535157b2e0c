//! What a detector found: an [`Insight`] with a one-line summary, an action, the time it
//! covers and the [`Evidence`] behind it. Shared by the per-device and fleet detectors,
//! and serialized as is into the JSON report.

use crate::model::{InsightKind, Location, Severity};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Serialize, Serializer};
use std::cmp::Reverse;
use std::collections::BTreeMap;

/// At most this many sample times are kept in [`Evidence::times`].
pub const SAMPLE_TIMES: usize = 10;

/// One diagnosis of a device (or of the hub).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Insight {
    pub kind: InsightKind,
    pub severity: Severity,
    /// One line in plain words.
    pub summary: String,
    /// What to do about it.
    pub action: String,
    #[serde(serialize_with = "serialize_time")]
    pub start: DateTime<Utc>,
    #[serde(serialize_with = "serialize_time")]
    pub end: DateTime<Utc>,
    /// Arrival number of the first event of the evidence, resolved into `location`
    /// when the report is built.
    #[serde(skip)]
    pub first_event: Option<u32>,
    /// Where the first record of the evidence is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    pub evidence: Evidence,
}

/// The facts behind an insight; each kind fills the fields that make sense for it.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Evidence {
    /// Occurrences: cycles, drops, failures, 409002s, devices...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Most frequent first, then by code.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<CodeCount>,
    /// Masked client addresses involved, sorted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<String>,
    /// Up to [`SAMPLE_TIMES`] sample times, chronological.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "serialize_times"
    )]
    pub times: Vec<DateTime<Utc>>,
    /// Token renewal: the median interval between cycles, rounded to 0.1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_minutes: Option<f64>,
    /// Token renewal: the SDK family the device's `sdkVersion` names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sdk: Option<String>,
    /// Flapping: drops per hour over the device's flapping span, rounded to 0.1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_per_hour: Option<f64>,
    /// Side effect: the code the 409002s are attributed to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caused_by: Option<String>,
    /// Offline: the code of the last event, if it had one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_code: Option<String>,
    /// Hub incident: distinct devices hit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub devices: Option<u64>,
    /// Hub incident: devices with any event in the incident's window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_devices: Option<u64>,
    /// Hub incident, mass disconnect, throttling: up to 20 sample device ids, sorted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_ids: Vec<String>,
    /// Mass disconnect: seconds from the first drop until half the identities were back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub half_back_seconds: Option<i64>,
    /// Mass disconnect: ... until nine in ten were back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub most_back_seconds: Option<i64>,
    /// Mass disconnect: identities with no successful connect after their drop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub never_back: Option<u64>,
    /// Periodic drop: the median time a connection lasted, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_seconds: Option<i64>,
}

/// How often one code occurs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeCount {
    /// As the logs write it: `"404104"`.
    pub code: String,
    pub count: u64,
}

/// Tallies codes: most frequent first, ties by code.
pub fn code_counts(codes: impl IntoIterator<Item = u32>) -> Vec<CodeCount> {
    let mut tally: BTreeMap<String, u64> = BTreeMap::new();
    for code in codes {
        *tally.entry(code.to_string()).or_default() += 1;
    }
    let mut counts: Vec<CodeCount> = tally
        .into_iter()
        .map(|(code, count)| CodeCount { code, count })
        .collect();
    // Stable over the BTreeMap order, so equal counts stay sorted by code.
    counts.sort_by_key(|c| Reverse(c.count));
    counts
}

/// Up to [`SAMPLE_TIMES`] times spread evenly over `times` (first and last included),
/// so a long pattern is sampled from end to end rather than only at its start.
pub fn sample_times(times: &[DateTime<Utc>]) -> Vec<DateTime<Utc>> {
    if times.len() <= SAMPLE_TIMES {
        return times.to_vec();
    }
    let last = times.len() - 1;
    (0..SAMPLE_TIMES)
        .filter_map(|i| times.get(i * last / (SAMPLE_TIMES - 1)).copied())
        .collect()
}

/// Orders a device's insights: most severe first, then earliest, then by kind.
pub fn sort_insights(insights: &mut [Insight]) {
    insights.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.start.cmp(&b.start))
            .then_with(|| a.kind.cmp(&b.kind))
    });
}

/// RFC 3339 in UTC with a `Z`, fractional seconds only when present.
pub fn rfc3339(time: DateTime<Utc>) -> String {
    crate::model::format_time(&time)
}

/// A duration in the words reports use: "5 min", "90 s", "2 h".
pub fn duration_words(delta: TimeDelta) -> String {
    let seconds = delta.num_seconds();
    if seconds % 3600 == 0 && seconds >= 3600 {
        format!("{} h", seconds / 3600)
    } else if seconds % 60 == 0 && seconds >= 60 {
        format!("{} min", seconds / 60)
    } else {
        format!("{seconds} s")
    }
}

/// A fleet event's span in the words summaries use: `2026-03-02 14:00-14:07`, the end's
/// date only when it is another day.
pub fn span_words(start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    let end_format = if start.date_naive() == end.date_naive() {
        "%H:%M"
    } else {
        "%Y-%m-%d %H:%M"
    };
    format!(
        "{}-{}",
        start.format("%Y-%m-%d %H:%M"),
        end.format(end_format)
    )
}

/// Rounds to one decimal, as reports show periods and rates.
pub fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

pub(super) fn serialize_time<S: Serializer>(
    time: &DateTime<Utc>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&rfc3339(*time))
}

fn serialize_times<S: Serializer>(
    times: &[DateTime<Utc>],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(times.iter().map(|time| rfc3339(*time)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::diagnosis::testing::{at, minutes};

    #[test]
    fn code_counts_put_the_most_frequent_first_and_break_ties_by_code() {
        let counts = code_counts([409_002, 404_104, 401_003, 404_104, 409_002, 404_104]);
        let flat: Vec<(&str, u64)> = counts.iter().map(|c| (c.code.as_str(), c.count)).collect();
        assert_eq!(flat, [("404104", 3), ("409002", 2), ("401003", 1)]);
    }

    #[test]
    fn sample_times_keep_short_lists_and_spread_long_ones_from_first_to_last() {
        let short: Vec<_> = (0..3).map(|i| at("09:00:00") + minutes(i)).collect();
        assert_eq!(sample_times(&short), short);
        let long: Vec<_> = (0..100).map(|i| at("09:00:00") + minutes(i)).collect();
        let sampled = sample_times(&long);
        assert_eq!(sampled.len(), SAMPLE_TIMES);
        assert_eq!(sampled.first(), long.first());
        assert_eq!(sampled.last(), long.last());
        assert!(sampled.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn durations_read_in_the_largest_whole_unit() {
        let cases = [
            (TimeDelta::seconds(45), "45 s"),
            (minutes(5), "5 min"),
            (minutes(90), "90 min"),
            (minutes(120), "2 h"),
        ];
        for (delta, words) in cases {
            assert_eq!(duration_words(delta), words);
        }
    }

    #[test]
    fn kinds_serialize_as_their_snake_case_names() {
        for kind in InsightKind::ALL {
            let json = serde_json::to_string(&kind).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
    }

    #[test]
    fn insights_serialize_times_as_rfc3339_and_skip_empty_evidence() {
        let insight = Insight {
            kind: InsightKind::Offline,
            severity: Severity::High,
            summary: "s".into(),
            action: "a".into(),
            start: at("09:10:04"),
            end: at("09:30:00"),
            first_event: Some(7),
            location: None,
            evidence: Evidence {
                last_code: Some("404104".into()),
                times: vec![at("09:10:04")],
                ..Evidence::default()
            },
        };
        let json = serde_json::to_value(&insight).unwrap_or_default();
        assert_eq!(
            json,
            serde_json::json!({
                "kind": "offline",
                "severity": "high",
                "summary": "s",
                "action": "a",
                "start": "2026-03-02T09:10:04Z",
                "end": "2026-03-02T09:30:00Z",
                "evidence": { "times": ["2026-03-02T09:10:04Z"], "last_code": "404104" }
            })
        );
    }

    #[test]
    fn insights_sort_by_severity_then_start_then_kind() {
        let make = |kind, severity, start| Insight {
            kind,
            severity,
            summary: String::new(),
            action: String::new(),
            start,
            end: start,
            first_event: None,
            location: None,
            evidence: Evidence::default(),
        };
        let mut insights = vec![
            make(InsightKind::SideEffect, Severity::Low, at("09:00:00")),
            make(InsightKind::Offline, Severity::High, at("10:00:00")),
            make(InsightKind::Flapping, Severity::High, at("10:00:00")),
            make(
                InsightKind::DuplicateIdentity,
                Severity::High,
                at("08:00:00"),
            ),
        ];
        sort_insights(&mut insights);
        let kinds: Vec<_> = insights.iter().map(|i| i.kind).collect();
        assert_eq!(
            kinds,
            [
                InsightKind::DuplicateIdentity,
                InsightKind::Flapping,
                InsightKind::Offline,
                InsightKind::SideEffect
            ]
        );
    }
}
