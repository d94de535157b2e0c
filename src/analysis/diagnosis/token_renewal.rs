//! SAS token renewal: Azure IoT SDKs renew their token over MQTT by disconnecting and
//! reconnecting about once an hour. The cycles are benign; they are marked expected so
//! the other detectors do not count them as drops.
//!
//! A cycle is either `401003` and `404104` (either order: resource logs are not
//! guaranteed ordered) followed by a successful connect, or an informational disconnect
//! (no code, no error level; Node.js SDK style) followed by a successful connect. The
//! events are consecutive in the device's timeline and fit within `renewal_window`.
//!
//! The same shape repeated every few minutes is a reconnect loop, not renewal. The rule:
//! a cycle counts as renewal only when its nearest cycle (before or after) is at least
//! `renewal_period_min` away, or it is the device's only cycle. Clean (code-less) cycles
//! need a second one: alone, a clean reconnect is just that. So a steady hourly
//! renewal is all expected, a loop every 3 min is all visible, and a real renewal right
//! next to a loop stays visible too: we prefer showing one renewal too many to hiding a
//! loop.

use super::insight::{Evidence, Insight, InsightKind, code_counts, round1, sample_times};
use super::thresholds::Thresholds;
use crate::analysis::event::Event;
use crate::model::{Operation, Severity};
use chrono::{DateTime, TimeDelta, Utc};
use std::ops::Range;

/// The renewal cycles of one device.
#[derive(Debug)]
pub struct Renewal {
    /// Per event: part of a renewal cycle.
    pub expected: Vec<bool>,
    pub insight: Option<Insight>,
}

/// A disconnect without code or error level: the client closed the connection cleanly.
pub fn is_clean_disconnect(event: &Event) -> bool {
    event.operation == Operation::Disconnect && event.code.is_none() && !event.level.is_error()
}

pub fn detect(events: &[Event], t: &Thresholds) -> Renewal {
    let mut cycles = spaced(candidates(events, t), t);
    // A lone clean disconnect/reconnect has no error to explain and shows no renewal
    // cadence (an app restart looks the same): clean cycles count from two on.
    if cycles.iter().filter(|c| c.is_clean()).count() < 2 {
        cycles.retain(|c| !c.is_clean());
    }
    let mut expected = vec![false; events.len()];
    for cycle in &cycles {
        for flag in expected.get_mut(cycle.range.clone()).into_iter().flatten() {
            *flag = true;
        }
    }
    Renewal {
        expected,
        insight: insight(events, &cycles, t),
    }
}

/// A renewal-shaped run of consecutive events.
#[derive(Debug, Clone)]
struct Cycle {
    range: Range<usize>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl Cycle {
    /// An informational disconnect and a reconnect, without error codes.
    fn is_clean(&self) -> bool {
        self.range.len() == 2
    }
}

/// Every renewal-shaped run of events, left to right, not overlapping.
fn candidates(events: &[Event], t: &Thresholds) -> Vec<Cycle> {
    let mut found = Vec::new();
    let mut index = 0;
    while let Some(rest) = events.get(index..) {
        let Some(first) = rest.first() else {
            break;
        };
        match cycle_len(rest, t) {
            Some(len) => {
                let end = rest.get(len - 1).map_or(first.time, |e| e.time);
                found.push(Cycle {
                    range: index..index + len,
                    start: first.time,
                    end,
                });
                index += len;
            }
            None => index += 1,
        }
    }
    found
}

/// Length of the cycle starting the slice, if one does.
fn cycle_len(events: &[Event], t: &Thresholds) -> Option<usize> {
    let within = |first: &Event, last: &Event| last.time - first.time <= t.renewal_window;
    match events {
        [a, b, c, ..] if is_sdk_close(a, b) && c.is_successful_connect() && within(a, c) => Some(3),
        [a, b, ..] if is_clean_disconnect(a) && b.is_successful_connect() && within(a, b) => {
            Some(2)
        }
        _ => None,
    }
}

/// The hub's `401003` (token expired) and the client's `404104` close, in either order.
fn is_sdk_close(a: &Event, b: &Event) -> bool {
    let disconnect = |e: &Event| e.operation == Operation::Disconnect;
    disconnect(a)
        && disconnect(b)
        && matches!(
            (a.code, b.code),
            (Some(401_003), Some(404_104)) | (Some(404_104), Some(401_003))
        )
}

/// Keeps the candidates with no other candidate closer than `renewal_period_min`.
fn spaced(candidates: Vec<Cycle>, t: &Thresholds) -> Vec<Cycle> {
    // close[k]: candidates k and k + 1 are too near each other to both be renewal.
    let close: Vec<bool> = candidates
        .windows(2)
        .map(|w| w[1].start - w[0].start < t.renewal_period_min)
        .collect();
    candidates
        .into_iter()
        .enumerate()
        .filter(|(k, _)| {
            let before = k.checked_sub(1).and_then(|p| close.get(p)) == Some(&true);
            let after = close.get(*k) == Some(&true);
            !before && !after
        })
        .map(|(_, cycle)| cycle)
        .collect()
}

fn insight(events: &[Event], cycles: &[Cycle], t: &Thresholds) -> Option<Insight> {
    let start = cycles.first()?.start;
    let end = cycles.last().map_or(start, |c| c.end);
    let starts: Vec<DateTime<Utc>> = cycles.iter().map(|c| c.start).collect();
    let codes = code_counts(
        cycles
            .iter()
            .filter_map(|c| events.get(c.range.clone()))
            .flatten()
            .filter_map(|e| e.code),
    );

    let mut intervals: Vec<f64> = starts.windows(2).map(|w| as_minutes(w[1] - w[0])).collect();
    intervals.sort_by(f64::total_cmp);
    let period = median(&intervals).map(round1);
    let steady_range = as_minutes(t.renewal_period_min)..=as_minutes(t.renewal_period_max);
    let steady = intervals.iter().all(|m| steady_range.contains(m));

    let count = starts.len();
    let style = if codes.is_empty() {
        " by informational disconnect/reconnect"
    } else {
        ""
    };
    let summary = match (period, intervals.first(), intervals.last()) {
        (Some(period), Some(&shortest), Some(&longest)) if !steady => format!(
            "SAS token renewal{style} about every {period:.1} min ({count} cycles, not steady: \
             intervals {shortest:.1}-{longest:.1} min): expected, no action"
        ),
        (Some(period), _, _) => format!(
            "SAS token renewal{style} every {period:.1} min ({count} cycles): expected, no action"
        ),
        _ => format!("SAS token renewal{style} (1 cycle, period unknown): expected, no action"),
    };
    Some(Insight {
        kind: InsightKind::TokenRenewal,
        severity: Severity::Info,
        summary,
        action: "None: the device SDK reconnects to renew its SAS token. These cycles are \
                 not counted as drops; a longer token lifetime makes them rarer."
            .to_string(),
        start,
        end,
        evidence: Evidence {
            count: Some(count as u64),
            codes,
            times: sample_times(&starts),
            period_minutes: period,
            ..Evidence::default()
        },
    })
}

fn as_minutes(delta: TimeDelta) -> f64 {
    delta.num_milliseconds() as f64 / 60_000.0
}

/// Median of sorted values.
fn median(sorted: &[f64]) -> Option<f64> {
    let mid = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => sorted.get(mid).copied(),
        _ => Some((sorted.get(mid - 1)? + sorted.get(mid)?) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::diagnosis::testing::*;
    use crate::model::Level;

    #[test]
    fn a_steady_hourly_renewal_is_one_info_insight_with_its_period_and_every_cycle_expected() {
        let events = renewals(at("06:00:00"), minutes(65), 12);
        let renewal = detect(&events, &Thresholds::default());
        let insight = renewal.insight.expect("renewal insight");
        assert_eq!(insight.severity, Severity::Info);
        assert_eq!(insight.evidence.count, Some(12));
        assert_eq!(insight.evidence.period_minutes, Some(65.0));
        assert_eq!(
            insight.summary,
            "SAS token renewal every 65.0 min (12 cycles): expected, no action"
        );
        assert_eq!(insight.start, at("06:00:00"));
        // The connect before the first cycle is not part of any cycle.
        assert_eq!(renewal.expected.first(), Some(&false));
        assert!(renewal.expected.iter().skip(1).all(|&e| e));
    }

    #[test]
    fn a_single_cycle_counts_as_renewal_with_an_unknown_period() {
        let events = renewals(at("06:00:00"), minutes(65), 1);
        let insight = detect(&events, &Thresholds::default())
            .insight
            .expect("renewal insight");
        assert_eq!(insight.evidence.count, Some(1));
        assert_eq!(insight.evidence.period_minutes, None);
        assert!(insight.summary.contains("period unknown"));
    }

    #[test]
    fn a_reconnect_loop_every_three_minutes_is_not_renewal() {
        let events = renewals(at("06:00:00"), minutes(3), 10);
        let renewal = detect(&events, &Thresholds::default());
        assert_eq!(renewal.insight, None);
        assert!(renewal.expected.iter().all(|&e| !e));
    }

    #[test]
    fn informational_disconnect_reconnect_pairs_are_node_style_renewal() {
        let mut events = Vec::new();
        for hour in 0..4 {
            let start = at("06:00:00") + minutes(60 * hour);
            events.push(event(start, Disconnect, None, None));
            events.push(event(start + minutes(1), Connect, None, None));
        }
        let renewal = detect(&timeline(events), &Thresholds::default());
        let insight = renewal.insight.expect("renewal insight");
        assert_eq!(insight.evidence.count, Some(4));
        assert!(insight.evidence.codes.is_empty());
        assert!(
            insight
                .summary
                .contains("informational disconnect/reconnect")
        );
        assert!(renewal.expected.iter().all(|&e| e));
    }

    #[test]
    fn a_single_clean_reconnect_is_not_renewal() {
        let events = timeline(vec![
            ev("09:00:00", Connect, None, None),
            ev("10:00:00", Disconnect, None, None),
            ev("10:00:20", Connect, None, None),
        ]);
        let renewal = detect(&events, &Thresholds::default());
        assert_eq!(renewal.insight, None);
        assert!(renewal.expected.iter().all(|e| !e));
    }

    #[test]
    fn the_two_closing_codes_may_arrive_in_either_order() {
        let events = timeline(vec![
            ev("06:00:00", Disconnect, Some(404_104), None),
            ev("06:00:00", Disconnect, Some(401_003), None),
            ev("06:00:30", Connect, None, None),
        ]);
        let renewal = detect(&events, &Thresholds::default());
        assert_eq!(renewal.expected, [true, true, true]);
    }

    #[test]
    fn irregular_intervals_are_still_renewal_but_not_called_steady() {
        let mut events = Vec::new();
        for start in ["06:00:00", "06:45:00", "08:55:00"] {
            events.extend(renewal_cycle(at(start)));
        }
        let insight = detect(&timeline(events), &Thresholds::default())
            .insight
            .expect("renewal insight");
        assert_eq!(insight.evidence.period_minutes, Some(87.5));
        assert!(
            insight
                .summary
                .contains("not steady: intervals 45.0-130.0 min")
        );
    }

    #[test]
    fn look_alikes_of_a_cycle_are_not_renewal() {
        let mut error_disconnect = ev("06:00:00", Disconnect, None, None);
        error_disconnect.level = Level::Error;
        let cases: Vec<(&str, Vec<Event>)> = vec![
            (
                "the reconnect comes after the window",
                vec![
                    ev("06:00:00", Disconnect, Some(401_003), None),
                    ev("06:00:01", Disconnect, Some(404_104), None),
                    ev("06:05:00", Connect, None, None),
                ],
            ),
            (
                "another event intervenes",
                vec![
                    ev("06:00:00", Disconnect, Some(401_003), None),
                    ev("06:00:01", Disconnect, Some(404_104), None),
                    ev("06:00:05", Connect, Some(409_002), None),
                    ev("06:00:20", Connect, None, None),
                ],
            ),
            (
                "a network drop without 401003",
                vec![
                    ev("06:00:01", Disconnect, Some(404_104), None),
                    ev("06:00:20", Connect, None, None),
                ],
            ),
            (
                "an error-level disconnect without a code",
                vec![error_disconnect, ev("06:00:20", Connect, None, None)],
            ),
            (
                "the reconnect is refused",
                vec![
                    ev("06:00:00", Disconnect, None, None),
                    ev("06:00:20", Connect, Some(401_003), None),
                ],
            ),
        ];
        for (case, events) in cases {
            let renewal = detect(&timeline(events), &Thresholds::default());
            assert_eq!(renewal.insight, None, "{case}");
            assert!(renewal.expected.iter().all(|&e| !e), "{case}");
        }
    }
}
