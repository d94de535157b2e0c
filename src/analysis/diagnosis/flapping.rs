//! Flapping: a device that keeps dropping. Counts drops (disconnects and refused
//! connects) that nothing else explains (token renewal, a takeover by a newer connection,
//! a side effect), in a sliding window: many in a short window is rapid flapping (high),
//! a few an hour for long is chronic flapping (medium). The dominant code says where to
//! look.
//!
//! On an export without successful connects (errors only) the reconnects cannot be
//! seen, but every error disconnect ends a connection that was up: each is a drop, the
//! records of one drop (closes a few seconds apart) counting once.

use super::insight::{Evidence, Insight, code_counts, duration_words, round1, sample_times};
use super::thresholds::Thresholds;
use crate::analysis::event::{Event, elapsed, most_in_window};
use crate::model::{InsightKind, Operation, Severity};
use crate::rules;
use chrono::{DateTime, TimeDelta, Utc};

/// Records of one drop on an errors-only export: closes this close together.
const SAME_DROP: TimeDelta = TimeDelta::seconds(5);

/// The flapping a device shows, and the drops it counted.
#[derive(Debug)]
pub struct Flapping {
    pub insight: Option<Insight>,
    /// Per event: a drop the insight counts (all false without an insight).
    pub drops: Vec<bool>,
}

/// `explained` marks the events something else explains (same length as `events`).
/// A drop is counted once per lost connection (see [`cycle_drops`]).
pub fn detect(
    events: &[Event],
    explained: &[bool],
    connects_logged: bool,
    t: &Thresholds,
) -> Flapping {
    let drops = if connects_logged {
        cycle_drops(events, explained)
    } else {
        error_drops(events, explained)
    };
    let insight = insight(events, &drops, t);
    // The insight explains every drop of its span, the refused retries and the second
    // record of a drop included.
    let mut marked = vec![false; events.len()];
    if let Some(insight) = &insight {
        for ((event, flag), explained) in events.iter().zip(&mut marked).zip(explained) {
            *flag = !explained
                && event.is_drop()
                && insight.start <= event.time
                && event.time <= insight.end + SAME_DROP;
        }
    }
    Flapping {
        insight,
        drops: marked,
    }
}

fn insight(events: &[Event], drops: &[usize], t: &Thresholds) -> Option<Insight> {
    // Too few drops for either window: most devices.
    if drops.len() < t.flapping_rapid_drops.min(t.flapping_chronic_drops) as usize {
        return None;
    }
    let drops: Vec<&Event> = drops.iter().filter_map(|&i| events.get(i)).collect();
    let times: Vec<DateTime<Utc>> = drops.iter().map(|e| e.time).collect();

    let rapid = most_in_window(&times, t.flapping_rapid_window);
    let (label, severity, window, worst) = if rapid >= t.flapping_rapid_drops as usize {
        ("Flapping", Severity::High, t.flapping_rapid_window, rapid)
    } else {
        let chronic = most_in_window(&times, t.flapping_chronic_window);
        if chronic < t.flapping_chronic_drops as usize {
            return None;
        }
        (
            "Chronic flapping",
            Severity::Medium,
            t.flapping_chronic_window,
            chronic,
        )
    };

    let (&start, &end) = (times.first()?, times.last()?);
    // The span is at least the detection window, so a single burst does not read as
    // hundreds of drops per hour.
    let hours = (end - start).max(window).num_milliseconds() as f64 / 3_600_000.0;
    let rate = round1(drops.len() as f64 / hours);
    let codes = code_counts(drops.iter().filter_map(|e| e.code));
    let uncoded = drops.iter().filter(|e| e.code.is_none()).count() as u64;
    let dominant = match codes.first() {
        Some(top) if top.count >= uncoded => top.code.parse().ok(),
        _ => None,
    };
    let (what, action) = cause(dominant);
    let total = drops.len();
    Some(Insight {
        kind: InsightKind::Flapping,
        severity,
        summary: format!(
            "{label}: {worst} drops in {} ({total} in all, {rate:.1}/h), mostly {what}",
            duration_words(window)
        ),
        action,
        start,
        end,
        first_event: drops.first().map(|e| e.sequence),
        location: None,
        evidence: Evidence {
            count: Some(worst as u64),
            codes,
            times: sample_times(&times),
            rate_per_hour: Some(rate),
            ..Evidence::default()
        },
    })
}

/// The drops that end a connection: the first drop after a successful connect (or
/// before any connect, when the device was connected before the log began). Refused
/// retries while already down are not new cycles, and the two records the hub may write
/// for one drop (401003 then 404104) count once. Token renewal events are left out.
fn cycle_drops(events: &[Event], explained: &[bool]) -> Vec<usize> {
    let mut drops = Vec::new();
    let mut connected = true;
    for (index, (event, explained)) in events
        .iter()
        .zip(explained.iter().chain(std::iter::repeat(&false)))
        .enumerate()
    {
        if *explained {
            continue;
        }
        if event.is_successful_connect() {
            connected = true;
        } else if event.is_drop() {
            if connected {
                drops.push(index);
            }
            connected = false;
        }
    }
    drops
}

/// On an export without successful connects: every error disconnect that nothing else
/// explains, the records of one drop counting once. A refusal of the credential (401xxx)
/// repeating the one before it, with nothing between, is a retry while locked out, not a
/// new drop.
fn error_drops(events: &[Event], explained: &[bool]) -> Vec<usize> {
    let mut drops = Vec::new();
    let mut last: Option<&Event> = None;
    for (index, (event, explained)) in events
        .iter()
        .zip(explained.iter().chain(std::iter::repeat(&false)))
        .enumerate()
    {
        if *explained || !event.is_error() {
            continue;
        }
        let previous = last.replace(event);
        if event.operation != Operation::Disconnect {
            continue;
        }
        let same_drop = previous.is_some_and(|p| elapsed(event.time, p.time) <= SAME_DROP);
        let retry = previous.is_some_and(|p| p.code == event.code && is_refusal(event.code));
        if !same_drop && !retry {
            drops.push(index);
        }
    }
    drops
}

/// The hub refused the credential: 401xxx.
fn is_refusal(code: Option<u32>) -> bool {
    code.is_some_and(|code| (401_000..402_000).contains(&code))
}

/// The dominant code in words, and what to do about it.
fn cause(code: Option<u32>) -> (String, String) {
    let (what, action) = match code {
        None => (
            "clean disconnects (no code)".to_string(),
            "The device closes its connection itself: check the application's connection \
             handling, restarts and crash loops",
        ),
        Some(404_104) => (
            "404104 (keep-alive or network)".to_string(),
            "Keep-alive/network: test connectivity, check keep-alive, update the SDK",
        ),
        Some(401_003) => (
            "401003 (credentials or clock)".to_string(),
            "Credentials: check the SAS token or certificate and its lifetime, and sync the \
             device clock (NTP)",
        ),
        Some(code @ (400_027 | 409_002)) => (
            format!("{code} (another connection with the same identity)"),
            "Identity: give every client its own identity; stop duplicate processes, \
             containers or parallel connections",
        ),
        Some(code @ (400_029 | 400_030)) => (
            format!("{code} (hub upgrade)"),
            "Planned service upgrade: devices should reconnect on their own; make sure \
             retries back off",
        ),
        Some(code @ 500_000..=599_999) => (
            format!("{code} (hub-side faults)"),
            "Server-side: retries should recover; check Azure Resource Health if it persists",
        ),
        Some(code) => {
            let known = rules::lookup(code);
            return (
                known.map_or_else(
                    || code.to_string(),
                    |info| format!("{code} ({})", info.name),
                ),
                known.map_or_else(
                    || format!("Look up {code} and follow its resolution"),
                    |info| info.resolution.to_string(),
                ),
            );
        }
    };
    (what, action.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::diagnosis::testing::*;
    use crate::analysis::diagnosis::token_renewal;

    /// Drops with `code` every `every`, each followed by a reconnect 5 s later.
    fn drops(start: &str, every: TimeDelta, count: i32, code: Option<u32>) -> Vec<Event> {
        let mut events = Vec::new();
        for n in 0..count {
            let time = at(start) + every * n;
            events.push(event(time, Disconnect, code, None));
            events.push(event(time + TimeDelta::seconds(5), Connect, None, None));
        }
        timeline(events)
    }

    fn flapping(events: &[Event]) -> Option<Insight> {
        let t = Thresholds::default();
        let context = token_renewal::Context {
            connects_logged: true,
            sdk_version: None,
            module: false,
        };
        let expected = token_renewal::detect(events, context, &t).expected;
        detect(events, &expected, true, &t).insight
    }

    #[test]
    fn on_errors_only_each_error_disconnect_is_a_drop_and_one_drop_counts_once() {
        let mut events = Vec::new();
        for n in 0..6 {
            let time = at("09:00:00") + minutes(10 * n);
            events.push(event(time, Disconnect, Some(401_003), None));
            events.push(event(
                time + TimeDelta::seconds(1),
                Disconnect,
                Some(404_104),
                None,
            ));
        }
        let events = timeline(events);
        let found = detect(
            &events,
            &vec![false; events.len()],
            false,
            &Thresholds::default(),
        );
        let insight = found.insight.expect("six drops in an hour");
        assert_eq!(insight.severity, Severity::Medium);
        assert_eq!(insight.evidence.count, Some(6));
        assert!(found.drops.iter().all(|&d| d), "every record explained");
        // Refusals one after another, nothing between: retries while locked out.
        let lockout: Vec<Event> = timeline(
            (0..8)
                .map(|n| {
                    event(
                        at("09:00:00") + minutes(2 * n),
                        Disconnect,
                        Some(401_003),
                        None,
                    )
                })
                .collect(),
        );
        let none = vec![false; lockout.len()];
        assert!(
            detect(&lockout, &none, false, &Thresholds::default())
                .insight
                .is_none()
        );
        // The same records read as a full export: one drop, then refused retries.
        assert!(
            detect(
                &events,
                &vec![false; events.len()],
                true,
                &Thresholds::default()
            )
            .insight
            .is_none()
        );
    }

    #[test]
    fn many_404104_drops_in_five_minutes_are_high_flapping_pointing_at_the_network() {
        let events = drops("09:00:00", TimeDelta::seconds(20), 14, Some(404_104));
        let insight = flapping(&events).expect("flapping");
        assert_eq!(insight.severity, Severity::High);
        assert_eq!(insight.evidence.count, Some(14));
        assert!(
            insight.summary.starts_with("Flapping: 14 drops in 5 min"),
            "{}",
            insight.summary
        );
        assert!(
            insight
                .summary
                .ends_with("mostly 404104 (keep-alive or network)")
        );
        assert!(insight.action.contains("keep-alive"));
    }

    #[test]
    fn a_few_drops_an_hour_are_medium_chronic_flapping_with_a_rate() {
        let events = drops("09:00:00", minutes(10), 6, Some(404_104));
        let insight = flapping(&events).expect("flapping");
        assert_eq!(insight.severity, Severity::Medium);
        assert_eq!(insight.evidence.count, Some(6));
        // 6 drops over a 50 min span, floored to the 60 min window.
        assert_eq!(insight.evidence.rate_per_hour, Some(6.0));
    }

    #[test]
    fn three_drops_in_an_hour_are_not_flapping() {
        assert_eq!(
            flapping(&drops("09:00:00", minutes(20), 3, Some(404_104))),
            None
        );
    }

    #[test]
    fn a_steady_token_renewal_is_not_flapping() {
        assert_eq!(flapping(&renewals(at("06:00:00"), minutes(65), 12)), None);
    }

    #[test]
    fn a_three_minute_reconnect_loop_is_flapping_pointing_at_credentials() {
        let insight = flapping(&renewals(at("06:00:00"), minutes(3), 10)).expect("flapping");
        assert_eq!(insight.severity, Severity::Medium);
        assert!(
            insight.summary.contains("mostly 401003"),
            "{}",
            insight.summary
        );
        assert!(insight.action.starts_with("Credentials"));
    }

    #[test]
    fn refused_retries_while_down_are_one_drop_not_flapping() {
        // A credential failure: one lost connection, then the hub keeps refusing.
        let mut events = vec![ev("08:00:00", Connect, None, None)];
        for minute in 0..8 {
            events.push(event(
                at("09:00:00") + minutes(3 * minute),
                Disconnect,
                Some(401_003),
                None,
            ));
        }
        let events = timeline(events);
        assert_eq!(flapping(&events), None);
    }

    #[test]
    fn the_two_records_of_one_drop_count_once() {
        let mut events = Vec::new();
        // Eight minutes apart: too soon after each connect to be a token expiring.
        for n in 0..5 {
            let time = at("09:00:00") + minutes(8 * n);
            events.push(event(time, Disconnect, Some(401_003), None));
            events.push(event(
                time + TimeDelta::seconds(1),
                Disconnect,
                Some(404_104),
                None,
            ));
            events.push(event(time + TimeDelta::seconds(4), Connect, None, None));
        }
        let insight = flapping(&timeline(events)).expect("five lost connections in an hour");
        assert_eq!(insight.evidence.count, Some(5));
    }

    #[test]
    fn the_dominant_cause_decides_the_words() {
        let cases = [
            (None, "clean disconnects (no code)", "The device closes"),
            (Some(409_002), "409002 (another connection", "Identity"),
            (Some(500_008), "500008 (hub-side faults)", "Server-side"),
            (
                Some(400_029),
                "400029 (hub upgrade)",
                "Planned service upgrade",
            ),
        ];
        for (code, what, action) in cases {
            let (found_what, found_action) = cause(code);
            assert!(found_what.starts_with(what), "{code:?}: {found_what}");
            assert!(found_action.starts_with(action), "{code:?}: {found_action}");
        }
    }

    #[test]
    fn the_window_count_is_half_open() {
        let times: Vec<_> = (0..4).map(|n| at("09:00:00") + minutes(5) * n).collect();
        assert_eq!(most_in_window(&times, minutes(5)), 1);
        assert_eq!(most_in_window(&times, minutes(10)), 2);
        assert_eq!(most_in_window(&[], minutes(10)), 0);
    }
}
