//! Offline: the identity is not connected at the end of the log and has not been for a
//! long time. Connections overlap: a takeover (`400027`/`409002` closing an older
//! connection for a newer one) leaves the identity connected, so it never makes a device
//! offline. Refused connects while down keep it down.
//!
//! A drop with an error that is not followed by a reconnect is high. A clean disconnect
//! (no code) is the device closing on purpose: low. Only an export with successful
//! connects can show that none followed; on an errors-only export the state at the end
//! is unknown and this is never a finding.

use super::insight::{Evidence, Insight, rfc3339};
use super::thresholds::Thresholds;
use super::token_renewal::is_clean_disconnect;
use crate::analysis::event::{Event, elapsed};
use crate::model::{InsightKind, Level, Operation, Severity};
use chrono::{DateTime, Utc};

/// Records of one drop (`401003` then `404104`): closes this close together.
const SAME_DROP: chrono::TimeDelta = chrono::TimeDelta::seconds(5);

/// The identity's state at the end of its events: `None` when connected, or the index of
/// the drop that began the outage still running at the end. `takeover` marks the events
/// that closed an older connection for a newer one. A disconnect means a connection was
/// up before it, so a second disconnect while down starts the outage anew (the connect
/// between them is missing from the log); refused connects while down continue it.
pub fn outage(events: &[Event], takeover: &[bool]) -> Option<usize> {
    // Only what follows the last sign of a connection matters: most devices end connected.
    let is_up = |index: usize| {
        events.get(index).is_some_and(Event::is_successful_connect)
            || takeover.get(index) == Some(&true)
    };
    let from = (0..events.len())
        .rev()
        .find(|&i| is_up(i))
        .map_or(0, |up| up + 1);
    let mut down_since: Option<usize> = None;
    for (offset, event) in events.get(from..).unwrap_or_default().iter().enumerate() {
        let index = from + offset;
        if event.is_successful_connect() || is_up(index) {
            down_since = None;
        } else if event.operation == Operation::Disconnect {
            let same_drop = down_since
                .and_then(|since| events.get(since))
                .is_some_and(|since| {
                    since.operation == Operation::Disconnect
                        && elapsed(event.time, since.time) <= SAME_DROP
                });
            if !same_drop {
                down_since = Some(index);
            }
        } else if event.is_drop() && down_since.is_none() {
            down_since = Some(index);
        }
    }
    down_since
}

/// The offline insight, and the events it explains (the drop and the refused connects
/// after it). `outage` is what [`outage`] found; `log_end` is the time of the last event
/// of the whole log, all devices.
pub fn detect(
    events: &[Event],
    outage: Option<usize>,
    log_end: DateTime<Utc>,
    connects_logged: bool,
    t: &Thresholds,
) -> Option<(Insight, std::ops::Range<usize>)> {
    if !connects_logged {
        return None;
    }
    let since = outage?;
    let first = events.get(since)?;
    let last = events.last()?;
    let silent = log_end - first.time;
    if silent < t.offline_after {
        return None;
    }
    let at = rfc3339(first.time);
    let minutes = silent.num_minutes();
    let refused = events[since..]
        .iter()
        .filter(|e| e.operation == Operation::Connect && e.is_drop())
        .count();
    let retries = match (refused, last.code) {
        (0, _) => String::new(),
        (1, Some(code)) => format!(", 1 refused connect since ({code})"),
        (n, Some(code)) => format!(", {n} refused connects since (last {code})"),
        (1, None) => ", 1 refused connect since".to_string(),
        (n, None) => format!(", {n} refused connects since"),
    };
    let (severity, summary, action) = if is_clean_disconnect(first) && refused == 0 {
        // Without a level (connection-state events, projected exports) the record says
        // the device went, not how.
        let how = if first.level == Level::Unknown {
            ""
        } else {
            " cleanly"
        };
        (
            Severity::Low,
            format!(
                "Disconnected{how} at {at} ({minutes} min before the end of the log) and not \
                 back"
            ),
            "The device closed its connection itself and did not come back: check whether it \
             was shut down or its application stopped on purpose"
                .to_string(),
        )
    } else {
        let how = match first.code {
            Some(code) => format!("dropped with {code}"),
            None if is_clean_disconnect(first) => "a clean disconnect".to_string(),
            None => "dropped with an error without a code".to_string(),
        };
        (
            Severity::High,
            format!("Offline since {at} ({minutes} min before the end of the log), {how}{retries}"),
            format!(
                "Check the device's power, network and logs around {at}; make sure it keeps \
                 retrying to connect, with back-off"
            ),
        )
    };
    let insight = Insight {
        kind: InsightKind::Offline,
        severity,
        summary,
        action,
        start: first.time,
        end: log_end,
        first_event: Some(first.sequence),
        location: None,
        evidence: Evidence {
            count: Some(refused as u64 + 1),
            last_code: last.code.or(first.code).map(|code| code.to_string()),
            times: vec![first.time],
            ..Evidence::default()
        },
    };
    Some((insight, since..events.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::diagnosis::testing::*;

    fn offline(events: Vec<Event>, log_end: &str) -> Option<Insight> {
        let events = timeline(events);
        let t = Thresholds::default();
        let conflicts = crate::analysis::diagnosis::duplicate::detect(
            &events,
            &vec![false; events.len()],
            &crate::analysis::event::Addresses::default(),
            &t,
        );
        let down = outage(&events, &conflicts.takeover);
        detect(&events, down, at(log_end), true, &t).map(|(i, _)| i)
    }

    #[test]
    fn a_404104_long_before_the_end_of_the_log_is_high_offline() {
        let insight = offline(
            vec![
                ev("09:00:00", Connect, None, None),
                ev("09:10:04", Disconnect, Some(404_104), None),
            ],
            "09:57:30",
        )
        .expect("offline");
        assert_eq!(insight.severity, Severity::High);
        assert_eq!(
            insight.summary,
            "Offline since 2026-03-02T09:10:04Z (47 min before the end of the log), dropped \
             with 404104"
        );
        assert_eq!(insight.evidence.last_code.as_deref(), Some("404104"));
        assert_eq!(insight.evidence.times, [at("09:10:04")]);
        assert_eq!(insight.end, at("09:57:30"));
    }

    #[test]
    fn a_clean_last_disconnect_is_low_offline_and_a_refused_connect_is_high() {
        let clean = offline(vec![ev("09:00:00", Disconnect, None, None)], "10:00:00");
        assert_eq!(clean.map(|i| i.severity), Some(Severity::Low));
        let refused = offline(
            vec![ev("09:00:00", Connect, Some(401_003), None)],
            "10:00:00",
        )
        .expect("offline");
        assert_eq!(refused.severity, Severity::High);
        assert_eq!(refused.evidence.last_code.as_deref(), Some("401003"));
    }

    #[test]
    fn look_alikes_of_offline_are_not_offline() {
        let cases = [
            (
                "quiet for 5 min at the end",
                vec![ev("09:55:00", Disconnect, Some(404_104), None)],
                "10:00:00",
            ),
            (
                "connected for hours at the end",
                vec![
                    ev("07:00:00", Disconnect, Some(404_104), None),
                    ev("07:00:10", Connect, None, None),
                ],
                "10:00:00",
            ),
            ("no events", vec![], "10:00:00"),
            (
                "a second disconnect shows a reconnect the log lost",
                vec![
                    ev("07:00:00", Connect, None, None),
                    ev("08:00:00", Disconnect, Some(500_008), None),
                    ev("09:59:00", Disconnect, None, None),
                ],
                "10:00:00",
            ),
            (
                "taken over by a newer connection (400027)",
                vec![
                    ev("07:00:00", Connect, None, None),
                    ev("08:00:00", Connect, None, None),
                    ev("08:00:01", Disconnect, Some(400_027), None),
                ],
                "10:00:00",
            ),
            (
                "taken over (409002), the newer connect logged after the conflict",
                vec![
                    ev("07:00:00", Connect, None, None),
                    ev("08:00:00", Disconnect, Some(409_002), None),
                ],
                "10:00:00",
            ),
        ];
        for (case, events, log_end) in cases {
            assert_eq!(offline(events, log_end), None, "{case}");
        }
    }

    #[test]
    fn refused_connects_keep_a_device_offline_and_are_counted() {
        let insight = offline(
            vec![
                ev("08:00:00", Connect, None, None),
                ev("09:00:00", Disconnect, Some(404_104), None),
                ev("09:30:00", Connect, Some(404_001), None),
                ev("09:55:00", Connect, Some(404_001), None),
            ],
            "10:00:00",
        )
        .expect("offline");
        assert_eq!(insight.severity, Severity::High);
        assert!(
            insight
                .summary
                .ends_with("dropped with 404104, 2 refused connects since (last 404001)"),
            "{}",
            insight.summary
        );
        assert_eq!(insight.start, at("09:00:00"));
    }

    #[test]
    fn an_errors_only_export_cannot_show_a_device_offline() {
        let events = timeline(vec![ev("09:00:00", Disconnect, Some(404_104), None)]);
        let t = Thresholds::default();
        let down = outage(&events, &[false]);
        assert_eq!(down, Some(0));
        assert!(detect(&events, down, at("12:00:00"), false, &t).is_none());
        assert!(detect(&events, down, at("12:00:00"), true, &t).is_some());
    }
}
