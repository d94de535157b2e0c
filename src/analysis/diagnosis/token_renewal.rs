//! SAS token renewal: Azure IoT SDKs renew their token over MQTT by letting the hub close
//! the connection when the token expires (`401003`, usually with the client's `404104`
//! right after it) and reconnecting at once. The cycles are benign; they are marked
//! expected so the other detectors do not count them as drops.
//!
//! Renewal is recognised by its signature, whatever the SDK and token lifetime:
//! - a cycle is a `401003` disconnect (with an adjacent `404104`, in either order, or
//!   without it: exports lose records), followed by a successful connect within
//!   `renewal_window`. On an export without successful connects (errors only) the
//!   reconnect cannot be seen, and the close alone is the cycle;
//! - each cycle's *age* is the time since the connection it closed began: the previous
//!   cycle when nothing else happened in between, otherwise the last reconnect (on an
//!   errors-only export, the last drop, which a reconnect follows);
//! - the cycles whose ages lie between `renewal_period_min` and `renewal_period_max` and
//!   agree within `renewal_jitter` (or a tenth of the period) are renewal when there are
//!   at least two of them, most of the device's 401003 cycles agree, and the device does
//!   not drop far more often for other reasons (irregular 401003 among many drops is a
//!   flapping device, not renewal).
//!
//! A full export's single cycle, not near any other drop, is renewal with an unknown
//! period. Informational disconnect/reconnect pairs (the Node.js SDK renews that way) are
//! renewal only at a steady period of about an hour, the SDK's default; the same pairs
//! twice a day are restarts, not renewal. The device's SDK names the period to expect; it
//! never decides.

use super::insight::{Evidence, Insight, code_counts, round1, sample_times};
use super::thresholds::Thresholds;
use crate::analysis::event::{Event, elapsed};
use crate::model::{InsightKind, Operation, Severity};
use crate::rules::sdk;
use chrono::{DateTime, TimeDelta, Utc};
use std::ops::Range;

const UNAUTHORIZED: u32 = 401_003;
const CLOSED_REMOTELY: u32 = 404_104;

/// Informational disconnect/reconnect pairs are renewal only at a period in this band:
/// the Node.js SDK's default hour, with room for its jitter.
pub const CLEAN_PERIOD_MINUTES: std::ops::RangeInclusive<f64> = 40.0..=100.0;

/// The renewal cycles of one device.
#[derive(Debug)]
pub struct Renewal {
    /// Per event: part of a renewal cycle.
    pub expected: Vec<bool>,
    pub insight: Option<Insight>,
}

/// What the device's evidence can show besides its own events.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Successful connects are in the export, so a missing reconnect is a fact.
    pub connects_logged: bool,
    /// The device's `sdkVersion`, to name the period its SDK renews at.
    pub sdk_version: Option<&'a str>,
    /// A module identity: its hourly clean reconnects are edgeHub's idle timeout, not
    /// renewal.
    pub module: bool,
}

/// A disconnect without code or error level: the client closed the connection cleanly.
pub fn is_clean_disconnect(event: &Event) -> bool {
    event.operation == Operation::Disconnect && event.code.is_none() && !event.level.is_error()
}

pub fn detect(events: &[Event], context: Context<'_>, t: &Thresholds) -> Renewal {
    // Most devices have no cycle at all: nothing to look for.
    if !events
        .iter()
        .any(|e| is_closing(e, UNAUTHORIZED) || is_clean_disconnect(e))
    {
        return Renewal {
            expected: vec![false; events.len()],
            insight: None,
        };
    }
    let candidates = candidates(events, context.connects_logged, t);
    let other_drops = other_drops(events, &candidates);
    let (coded, clean): (Vec<Cycle>, Vec<Cycle>) = candidates.into_iter().partition(|c| !c.clean);
    let mut cycles = accept(coded, other_drops, context.connects_logged, t);
    let mut clean = accept(clean, other_drops, context.connects_logged, t);
    let clean_period = period(&clean);
    if context.module
        || clean.len() < 2
        || !clean_period.is_some_and(|p| CLEAN_PERIOD_MINUTES.contains(&p))
    {
        clean.clear();
    }
    cycles.append(&mut clean);
    cycles.sort_unstable_by_key(|c| c.range.start);

    let mut expected = vec![false; events.len()];
    for cycle in &cycles {
        for flag in expected.get_mut(cycle.range.clone()).into_iter().flatten() {
            *flag = true;
        }
    }
    Renewal {
        expected,
        insight: insight(events, &cycles, context),
    }
}

/// A renewal-shaped run of consecutive events.
#[derive(Debug, Clone)]
struct Cycle {
    range: Range<usize>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    /// An informational disconnect and a reconnect, without error codes.
    clean: bool,
    /// How long the connection it closed had lasted, when that is known.
    age: Option<TimeDelta>,
}

/// Every renewal-shaped run of events, left to right, not overlapping, with its age.
fn candidates(events: &[Event], connects_logged: bool, t: &Thresholds) -> Vec<Cycle> {
    let mut found: Vec<Cycle> = Vec::new();
    // The start of the current connection, as far as the log tells.
    let mut connection_start: Option<DateTime<Utc>> = None;
    // A drop since the previous cycle: the next cycle's age is not the interval.
    let mut dropped_since_cycle = true;
    let mut index = 0;
    while let Some(rest) = events.get(index..) {
        let Some(first) = rest.first() else { break };
        if let Some((len, clean)) = cycle_len(rest, connects_logged, t) {
            let previous = found.last().filter(|_| !dropped_since_cycle);
            let anchor = previous.map(|c| c.start).or(connection_start);
            let end = rest.get(len - 1).map_or(first.time, |e| e.time);
            found.push(Cycle {
                range: index..index + len,
                start: first.time,
                end,
                clean,
                age: anchor.map(|anchor| elapsed(first.time, anchor)),
            });
            connection_start = Some(end);
            dropped_since_cycle = false;
            index += len;
            continue;
        }
        if first.is_successful_connect() {
            connection_start = Some(first.time);
        } else if first.is_drop() {
            dropped_since_cycle = true;
            if !connects_logged {
                // The device reconnects soon after a drop: its next connection starts
                // about now.
                connection_start = Some(first.time);
            }
        }
        index += 1;
    }
    found
}

/// Length of the cycle starting the slice, and whether it is clean, if one does.
fn cycle_len(events: &[Event], connects_logged: bool, t: &Thresholds) -> Option<(usize, bool)> {
    let first = events.first()?;
    let within = |event: &Event| elapsed(event.time, first.time) <= t.renewal_window;
    if is_clean_disconnect(first) {
        let next = events.get(1)?;
        return (next.is_successful_connect() && within(next)).then_some((2, true));
    }
    let close = match events {
        [a, b, ..] if is_close_pair(a, b) && within(b) => 2,
        [a, ..] if is_closing(a, UNAUTHORIZED) => 1,
        _ => return None,
    };
    if !connects_logged {
        return Some((close, false));
    }
    let next = events.get(close)?;
    (next.is_successful_connect() && within(next)).then_some((close + 1, false))
}

fn is_closing(event: &Event, code: u32) -> bool {
    event.operation == Operation::Disconnect && event.code == Some(code)
}

/// The hub's `401003` (token expired) and the client's `404104` close, in either order.
fn is_close_pair(a: &Event, b: &Event) -> bool {
    (is_closing(a, UNAUTHORIZED) && is_closing(b, CLOSED_REMOTELY))
        || (is_closing(a, CLOSED_REMOTELY) && is_closing(b, UNAUTHORIZED))
}

/// Drops of the device that are not part of any candidate cycle; on an export without
/// connects, the records of one drop (closes a few seconds apart) count once.
fn other_drops(events: &[Event], candidates: &[Cycle]) -> usize {
    let mut in_cycle = vec![false; events.len()];
    for cycle in candidates {
        for flag in in_cycle.get_mut(cycle.range.clone()).into_iter().flatten() {
            *flag = true;
        }
    }
    let mut count = 0;
    let mut last: Option<DateTime<Utc>> = None;
    for (event, in_cycle) in events.iter().zip(in_cycle) {
        if in_cycle || !event.is_drop() {
            continue;
        }
        if last.is_none_or(|last| elapsed(event.time, last) > TimeDelta::seconds(5)) {
            count += 1;
        }
        last = Some(event.time);
    }
    count
}

/// The candidates that make a renewal cadence, as the module explains.
fn accept(
    candidates: Vec<Cycle>,
    other_drops: usize,
    connects_logged: bool,
    t: &Thresholds,
) -> Vec<Cycle> {
    let lowest = t.renewal_period_min;
    let highest = t.renewal_period_max;
    if candidates.len() == 1 {
        // One cycle: renewal when the export shows the reconnect, nothing else drops, and
        // the connection it closed (when known) lasted like a token.
        let alone = connects_logged
            && other_drops == 0
            && candidates
                .first()
                .is_some_and(|c| c.age.is_none_or(|age| (lowest..=highest).contains(&age)));
        return if alone { candidates } else { Vec::new() };
    }
    let mut ages: Vec<TimeDelta> = candidates
        .iter()
        .filter_map(|c| c.age)
        .filter(|age| (lowest..=highest).contains(age))
        .collect();
    ages.sort_unstable();
    let Some(&median) = ages.get(ages.len() / 2) else {
        return Vec::new();
    };
    let tolerance = t.renewal_jitter.max(median / 10);
    let fits = |age: TimeDelta| (age - median).abs() <= tolerance;
    let steady = candidates
        .iter()
        .filter(|c| c.age.is_some_and(fits))
        .count();
    let with_age = candidates.iter().filter(|c| c.age.is_some()).count();
    // Most of the cycles agree, and they are not a handful among many other drops.
    if steady < 2 || steady * 5 < with_age * 3 || other_drops > 2 * steady {
        return Vec::new();
    }
    // A cycle whose age is unknown (the first of the log) follows the cadence of the rest.
    candidates
        .into_iter()
        .filter(|c| c.age.is_none_or(fits))
        .collect()
}

/// The median interval between accepted cycles, in minutes, from their ages.
fn period(cycles: &[Cycle]) -> Option<f64> {
    let mut ages: Vec<f64> = cycles
        .iter()
        .filter_map(|c| c.age)
        .map(as_minutes)
        .collect();
    ages.sort_unstable_by(f64::total_cmp);
    median(&ages)
}

fn insight(events: &[Event], cycles: &[Cycle], context: Context<'_>) -> Option<Insight> {
    let first = cycles.first()?;
    let (start, end) = (first.start, cycles.last().map_or(first.start, |c| c.end));
    let starts: Vec<DateTime<Utc>> = cycles.iter().map(|c| c.start).collect();
    let codes = code_counts(
        cycles
            .iter()
            .filter_map(|c| events.get(c.range.clone()))
            .flatten()
            .filter_map(|e| e.code),
    );
    // One cycle shows no cadence, whatever its connection lasted.
    let period = period(cycles).map(round1).filter(|_| cycles.len() > 1);
    let count = cycles.len();
    let style = if codes.is_empty() {
        " by informational disconnect/reconnect"
    } else if !codes.iter().any(|c| c.code == "404104") {
        " (401003 and reconnect, no 404104)"
    } else {
        ""
    };
    let family = context.sdk_version.and_then(sdk::family);
    let expectation = match (family, period) {
        (Some(family), Some(period)) => format!("; {}", family.compare(period)),
        (Some(family), None) => {
            format!("; the {} renews {} by default", family.name, family.renewal)
        }
        (None, _) => String::new(),
    };
    let reconnect = if context.connects_logged {
        ""
    } else {
        ", reconnects not in this export"
    };
    let summary = match period {
        Some(period) => format!(
            "SAS token renewal{style} every {period:.1} min ({count} cycles{reconnect}\
             {expectation}): expected, no action"
        ),
        None => format!(
            "SAS token renewal{style} (1 cycle, period unknown{expectation}): expected, no \
             action"
        ),
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
        first_event: events.get(first.range.start).map(|e| e.sequence),
        location: None,
        evidence: Evidence {
            count: Some(count as u64),
            codes,
            times: sample_times(&starts),
            period_minutes: period,
            sdk: family.map(|f| f.name.to_string()),
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

    const FULL: Context<'static> = Context {
        connects_logged: true,
        sdk_version: None,
        module: false,
    };

    fn renewal(events: &[Event]) -> Renewal {
        detect(events, FULL, &Thresholds::default())
    }

    /// Only the records an errors-only export keeps.
    fn errors_only(events: &[Event]) -> Vec<Event> {
        events
            .iter()
            .filter(|e| e.level.is_error())
            .copied()
            .collect()
    }

    fn errors_only_renewal(events: &[Event]) -> Renewal {
        let context = Context {
            connects_logged: false,
            ..FULL
        };
        detect(&errors_only(events), context, &Thresholds::default())
    }

    /// `count` cycles of 401003, optionally 404104, and a reconnect, `every` apart.
    fn cycles(every: TimeDelta, count: i32, with_404104: bool) -> Vec<Event> {
        let start = at("01:00:00");
        let mut events = vec![event(start - every, Connect, None, None)];
        for n in 0..count {
            let time = start + every * n;
            events.push(event(time, Disconnect, Some(401_003), None));
            if with_404104 {
                events.push(event(
                    time + TimeDelta::seconds(1),
                    Disconnect,
                    Some(404_104),
                    None,
                ));
            }
            events.push(event(time + TimeDelta::seconds(25), Connect, None, None));
        }
        timeline(events)
    }

    #[test]
    fn a_steady_hourly_renewal_is_one_info_insight_with_its_period_and_every_cycle_expected() {
        let events = renewals(at("06:00:00"), minutes(65), 12);
        let renewal = renewal(&events);
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
    fn every_documented_period_is_renewal_with_or_without_the_404104_and_on_errors_only() {
        for period in [15, 30, 48, 58, 65, 120, 24 * 60 - 60] {
            for with_404104 in [true, false] {
                let count = (24 * 60 / period).clamp(2, 40) as i32 + 1;
                let events = cycles(minutes(period), count, with_404104);
                let case = format!("{period} min, 404104 {with_404104}");
                let full = renewal(&events).insight.expect(&case);
                assert_eq!(full.evidence.period_minutes, Some(period as f64), "{case}");
                assert_eq!(full.evidence.count, Some(count as u64), "{case}");
                let errors = errors_only_renewal(&events).insight.expect(&case);
                assert_eq!(errors.evidence.count, Some(count as u64), "{case}");
                assert!(errors.summary.contains("reconnects not in this export"));
            }
        }
    }

    #[test]
    fn the_sdk_names_the_period_to_expect_without_deciding() {
        let events = cycles(minutes(30), 10, true);
        let context = Context {
            sdk_version: Some(".NET/1.42.0 (.NET 6.0.25; Linux; X64)"),
            ..FULL
        };
        let insight = detect(&events, context, &Thresholds::default())
            .insight
            .expect("renewal");
        assert!(
            insight
                .summary
                .contains("a shorter token than the .NET SDK's default, which renews every 60-70"),
            "{}",
            insight.summary
        );
        assert_eq!(insight.evidence.sdk.as_deref(), Some(".NET SDK"));
    }

    #[test]
    fn a_reconnect_after_a_drop_restarts_the_token_clock() {
        // Renewal every 60 min, but a network drop at 03:20 reconnects at 03:21: the next
        // renewal is an hour after that reconnect, not after the previous renewal.
        let mut events = cycles(minutes(60), 3, true);
        events.push(ev("03:20:00", Disconnect, Some(404_104), None));
        events.push(ev("03:21:00", Connect, None, None));
        events.extend(renewal_cycle(at("04:21:00")));
        events.extend(renewal_cycle(at("05:21:00")));
        let renewal = renewal(&timeline(events));
        let insight = renewal.insight.expect("renewal");
        assert_eq!(insight.evidence.count, Some(5));
        assert_eq!(insight.evidence.period_minutes, Some(60.0));
    }

    #[test]
    fn a_reconnect_loop_every_three_minutes_is_not_renewal() {
        let events = renewals(at("06:00:00"), minutes(3), 10);
        let renewal = renewal(&events);
        assert_eq!(renewal.insight, None);
        assert!(renewal.expected.iter().all(|&e| !e));
    }

    #[test]
    fn informational_disconnect_reconnect_pairs_hourly_are_node_style_renewal() {
        let mut events = Vec::new();
        for hour in 0..4 {
            let start = at("06:00:00") + minutes(60 * hour);
            events.push(event(start, Disconnect, None, None));
            events.push(event(start + minutes(1), Connect, None, None));
        }
        let renewal = renewal(&timeline(events));
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
    fn the_two_closing_codes_may_arrive_in_either_order() {
        let events = timeline(vec![
            ev("05:00:00", Connect, None, None),
            ev("06:00:00", Disconnect, Some(404_104), None),
            ev("06:00:00", Disconnect, Some(401_003), None),
            ev("06:00:30", Connect, None, None),
        ]);
        assert_eq!(renewal(&events).expected, [false, true, true, true]);
    }

    #[test]
    fn a_single_cycle_counts_as_renewal_with_an_unknown_period() {
        let events = renewals(at("06:00:00"), minutes(65), 1);
        let insight = renewal(&events).insight.expect("renewal insight");
        assert_eq!(insight.evidence.count, Some(1));
        assert_eq!(insight.evidence.period_minutes, None);
        assert!(insight.summary.contains("period unknown"));
    }

    #[test]
    fn look_alikes_of_renewal_are_not_renewal() {
        let mut error_disconnect = ev("06:00:00", Disconnect, None, None);
        error_disconnect.level = Level::Error;
        // A flapper dropping every 2-4 min with a 401003 now and then.
        let mut flapper = vec![ev("00:00:00", Connect, None, None)];
        for n in 0..60 {
            let time = at("01:00:00") + TimeDelta::seconds(150 * n + (n % 3) * 40);
            let code = if n % 20 == 7 { 401_003 } else { 404_104 };
            flapper.push(event(time, Disconnect, Some(code), None));
            flapper.push(event(time + TimeDelta::seconds(10), Connect, None, None));
        }
        // Clean restarts twice a day.
        let mut restarts = vec![ev("00:00:00", Connect, None, None)];
        for n in 0..4 {
            let time = at("01:00:00") + minutes(720 * n);
            restarts.push(event(time, Disconnect, None, None));
            restarts.push(event(time + TimeDelta::seconds(40), Connect, None, None));
        }
        // 401003 at irregular times among 404104 drops, each followed by a reconnect.
        let mut irregular = vec![ev("00:00:00", Connect, None, None)];
        for (minute, code) in [
            (13, 401_003),
            (31, 404_104),
            (50, 404_104),
            (97, 401_003),
            (120, 404_104),
            (161, 404_104),
            (230, 401_003),
            (245, 404_104),
        ] {
            let time = at("01:00:00") + minutes(minute);
            irregular.push(event(time, Disconnect, Some(code), None));
            irregular.push(event(time + TimeDelta::seconds(20), Connect, None, None));
        }
        let cases: Vec<(&str, Vec<Event>)> = vec![
            (
                "the reconnect comes after the window",
                vec![
                    ev("05:00:00", Connect, None, None),
                    ev("06:00:00", Disconnect, Some(401_003), None),
                    ev("06:00:01", Disconnect, Some(404_104), None),
                    ev("06:05:00", Connect, None, None),
                ],
            ),
            (
                "another event intervenes",
                vec![
                    ev("05:00:00", Connect, None, None),
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
            (
                "401003 not followed by a connect",
                vec![
                    ev("05:00:00", Connect, None, None),
                    ev("06:00:00", Disconnect, Some(401_003), None),
                    ev("07:00:00", Connect, Some(401_003), None),
                    ev("08:00:00", Connect, Some(401_003), None),
                ],
            ),
            ("a rapid flapper with a few 401003", flapper),
            ("clean restarts twice a day", restarts),
            ("irregular 401003 among drops", irregular),
        ];
        for (case, events) in cases {
            let events = timeline(events);
            let full = renewal(&events);
            assert_eq!(full.insight, None, "{case}");
            assert!(full.expected.iter().all(|&e| !e), "{case}");
            assert_eq!(errors_only_renewal(&events).insight, None, "{case}");
        }
    }
}
