//! `409002 LinkCreationConflict` right after another error is a side effect: the device
//! reconnected before the hub had closed its previous connection. Such 409002s point at
//! the preceding error, not at a second client; only the others stay "real" for the
//! duplicate-identity detector.

use super::insight::{Evidence, Insight, code_counts, sample_times};
use super::thresholds::Thresholds;
use crate::analysis::event::{Event, elapsed};
use crate::model::{InsightKind, Severity};
use chrono::{DateTime, Utc};

const LINK_CREATION_CONFLICT: u32 = 409_002;

/// The device's side-effect 409002s.
#[derive(Debug)]
pub struct SideEffects {
    /// Per event: a 409002 explained by an earlier error.
    pub explained: Vec<bool>,
    pub insight: Option<Insight>,
}

pub fn detect(events: &[Event], t: &Thresholds) -> SideEffects {
    let mut explained = vec![false; events.len()];
    let mut causes = Vec::new();
    let mut times = Vec::new();
    let mut first_event = None;
    // The latest error with a code other than 409002: a 409002 always follows the error
    // nearest before it, and a run of 409002s after one drop all belong to that drop.
    let mut last_cause: Option<(DateTime<Utc>, u32)> = None;
    for (event, flag) in events.iter().zip(explained.iter_mut()) {
        match event.code {
            Some(LINK_CREATION_CONFLICT) => {
                if let Some((time, code)) = last_cause
                    && elapsed(event.time, time) <= t.side_effect_window
                {
                    *flag = true;
                    causes.push(code);
                    times.push(event.time);
                    first_event = first_event.or(Some(event.sequence));
                }
            }
            Some(code) => last_cause = Some((event.time, code)),
            None => {}
        }
    }
    SideEffects {
        explained,
        insight: insight(&causes, &times, first_event),
    }
}

fn insight(causes: &[u32], times: &[DateTime<Utc>], first_event: Option<u32>) -> Option<Insight> {
    let (&start, &end) = (times.first()?, times.last()?);
    // Evidence codes are the preceding errors, the thing to look at instead.
    let codes = code_counts(causes.iter().copied());
    let caused_by = codes.first()?.code.clone();
    let named: Vec<&str> = codes.iter().take(3).map(|c| c.code.as_str()).collect();
    let named = named.join("/");
    Some(Insight {
        kind: InsightKind::SideEffect,
        severity: Severity::Info,
        summary: format!(
            "409002 x{}: side effect of {named}, not a cause",
            times.len()
        ),
        action: format!(
            "Look at the preceding {named} instead: the device reconnected before the hub \
             had closed its previous connection, so the hub refused the new link once."
        ),
        start,
        end,
        first_event,
        location: None,
        evidence: Evidence {
            count: Some(times.len() as u64),
            codes,
            times: sample_times(times),
            caused_by: Some(caused_by),
            ..Evidence::default()
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::diagnosis::testing::*;

    #[test]
    fn a_409002_right_after_a_404104_is_a_low_side_effect_of_it() {
        let events = timeline(vec![
            ev("09:00:00", Disconnect, Some(404_104), None),
            ev("09:00:05", Connect, Some(409_002), None),
            ev("09:00:20", Connect, None, None),
        ]);
        let found = detect(&events, &Thresholds::default());
        assert_eq!(found.explained, [false, true, false]);
        let insight = found.insight.expect("side effect");
        assert_eq!(insight.severity, Severity::Info);
        assert_eq!(insight.evidence.caused_by.as_deref(), Some("404104"));
        assert_eq!(insight.evidence.count, Some(1));
        assert_eq!(
            insight.summary,
            "409002 x1: side effect of 404104, not a cause"
        );
    }

    #[test]
    fn only_409002s_within_the_window_after_another_error_are_explained() {
        let cases: Vec<(&str, Vec<Event>, Vec<bool>)> = vec![
            (
                "alone",
                vec![ev("09:00:00", Connect, Some(409_002), None)],
                vec![false],
            ),
            (
                "too long after the error",
                vec![
                    ev("09:00:00", Disconnect, Some(404_104), None),
                    ev("09:01:01", Connect, Some(409_002), None),
                ],
                vec![false, false],
            ),
            (
                "a run after one error, the last one outside the window",
                vec![
                    ev("09:00:00", Disconnect, Some(404_104), None),
                    ev("09:00:10", Connect, Some(409_002), None),
                    ev("09:00:50", Connect, Some(409_002), None),
                    ev("09:01:10", Connect, Some(409_002), None),
                ],
                vec![false, true, true, false],
            ),
            (
                "after a clean disconnect, which is no error",
                vec![
                    ev("09:00:00", Disconnect, None, None),
                    ev("09:00:10", Connect, Some(409_002), None),
                ],
                vec![false, false],
            ),
        ];
        for (case, events, explained) in cases {
            let found = detect(&timeline(events), &Thresholds::default());
            assert_eq!(found.explained, explained, "{case}");
        }
    }

    #[test]
    fn the_cause_is_the_most_frequent_preceding_code() {
        let events = timeline(vec![
            ev("09:00:00", Disconnect, Some(404_104), None),
            ev("09:00:05", Connect, Some(409_002), None),
            ev("09:10:00", Disconnect, Some(500_001), None),
            ev("09:10:05", Connect, Some(409_002), None),
            ev("09:20:00", Disconnect, Some(404_104), None),
            ev("09:20:05", Connect, Some(409_002), None),
        ]);
        let insight = detect(&events, &Thresholds::default())
            .insight
            .expect("side effect");
        assert_eq!(insight.evidence.caused_by.as_deref(), Some("404104"));
        assert_eq!(insight.evidence.count, Some(3));
        assert_eq!(
            insight.summary,
            "409002 x3: side effect of 404104/500001, not a cause"
        );
    }
}
