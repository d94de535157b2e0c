//! Offline: the device's last event is a drop and nothing follows for a long time before
//! the end of the log. A clean disconnect (no code) is probably on purpose, so it is
//! medium; a drop with an error is high.

use super::insight::{Evidence, Insight, InsightKind, rfc3339};
use super::thresholds::Thresholds;
use super::token_renewal::is_clean_disconnect;
use crate::analysis::event::Event;
use crate::model::Severity;
use chrono::{DateTime, Utc};

/// `log_end` is the time of the last event of the whole log, all devices.
pub fn detect(events: &[Event], log_end: DateTime<Utc>, t: &Thresholds) -> Option<Insight> {
    let last = events.last()?;
    let silent = log_end - last.time;
    if !last.is_drop() || silent < t.offline_after {
        return None;
    }
    let since = rfc3339(last.time);
    let minutes = silent.num_minutes();
    let clean = is_clean_disconnect(last);
    let (severity, how, action) = match last.code {
        _ if clean => (
            Severity::Medium,
            "last event a clean disconnect".to_string(),
            "The device closed its connection itself and did not come back: check whether it \
             was shut down or its application stopped on purpose"
                .to_string(),
        ),
        Some(code) => (
            Severity::High,
            format!("last code {code}"),
            format!(
                "Check the device's power, network and logs around {since}; make sure it keeps \
                 retrying to connect, with back-off"
            ),
        ),
        None => (
            Severity::High,
            "last event an error without a code".to_string(),
            format!("Check the device's power, network and logs around {since}"),
        ),
    };
    Some(Insight {
        kind: InsightKind::Offline,
        severity,
        summary: format!("Offline since {since} ({minutes} min before the end of the log), {how}"),
        action,
        start: last.time,
        end: log_end,
        evidence: Evidence {
            last_code: last.code.map(|code| code.to_string()),
            times: vec![last.time],
            ..Evidence::default()
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::diagnosis::testing::*;

    fn offline(events: Vec<Event>, log_end: &str) -> Option<Insight> {
        detect(&timeline(events), at(log_end), &Thresholds::default())
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
            "Offline since 2026-03-02T09:10:04Z (47 min before the end of the log), last code \
             404104"
        );
        assert_eq!(insight.evidence.last_code.as_deref(), Some("404104"));
        assert_eq!(insight.evidence.times, [at("09:10:04")]);
        assert_eq!(insight.end, at("09:57:30"));
    }

    #[test]
    fn a_clean_last_disconnect_is_medium_offline_and_a_refused_connect_is_high() {
        let clean = offline(vec![ev("09:00:00", Disconnect, None, None)], "10:00:00");
        assert_eq!(clean.map(|i| i.severity), Some(Severity::Medium));
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
        ];
        for (case, events, log_end) in cases {
            assert_eq!(offline(events, log_end), None, "{case}");
        }
    }
}
