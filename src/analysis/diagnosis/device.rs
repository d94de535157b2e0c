//! Runs every per-device detector over one device's timeline, in the order their inputs
//! need: token renewal first (its cycles are not drops), side effects next (their 409002s
//! are not duplicate evidence), then the rest.

use super::insight::{Insight, sort_insights};
use super::thresholds::Thresholds;
use super::{credential, duplicate, flapping, gaps, offline, side_effect, token_renewal};
use crate::analysis::event::{Addresses, Event};
use chrono::{DateTime, Utc};

/// What one device's timeline says.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceDiagnosis {
    /// Most severe first, then earliest, then by kind.
    pub insights: Vec<Insight>,
    /// Same length as the events: true for events explained as token renewal.
    pub expected: Vec<bool>,
    /// Where the story is incomplete, in plain words.
    pub gaps: Vec<String>,
}

/// Diagnoses one device. `events` are sorted by [`Event::order_key`]; `log_end` is the
/// time of the last event of the whole log, all devices.
pub fn diagnose_device(
    events: &[Event],
    addresses: &Addresses,
    log_end: DateTime<Utc>,
    t: &Thresholds,
) -> DeviceDiagnosis {
    let renewal = token_renewal::detect(events, t);
    let side_effects = side_effect::detect(events, t);
    let mut insights: Vec<Insight> = [
        renewal.insight,
        flapping::detect(events, &renewal.expected, t),
        duplicate::detect(events, &side_effects.explained, addresses, t),
        credential::detect(events, &renewal.expected, t),
        offline::detect(events, log_end, t),
        side_effects.insight,
    ]
    .into_iter()
    .flatten()
    .collect();
    sort_insights(&mut insights);
    DeviceDiagnosis {
        insights,
        expected: renewal.expected,
        gaps: gaps::find(events),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::diagnosis::InsightKind;
    use crate::analysis::diagnosis::testing::*;
    use crate::model::Severity;

    fn diagnose(events: &[Event]) -> DeviceDiagnosis {
        let log_end = events.last().map_or(at("00:00:00"), |e| e.time);
        diagnose_device(
            events,
            &Addresses::default(),
            log_end,
            &Thresholds::default(),
        )
    }

    fn kinds(diagnosis: &DeviceDiagnosis) -> Vec<InsightKind> {
        diagnosis.insights.iter().map(|i| i.kind).collect()
    }

    #[test]
    fn a_steady_token_renewal_is_only_an_info_insight_with_its_cycles_expected() {
        let events = renewals(at("06:00:00"), minutes(65), 12);
        let diagnosis = diagnose(&events);
        assert_eq!(kinds(&diagnosis), [InsightKind::TokenRenewal]);
        assert!(
            diagnosis
                .insights
                .iter()
                .all(|i| i.severity < Severity::High)
        );
        assert_eq!(diagnosis.expected.len(), events.len());
        assert_eq!(diagnosis.expected.iter().filter(|&&e| e).count(), 36);
        assert!(diagnosis.gaps.is_empty());
    }

    #[test]
    fn a_three_minute_reconnect_loop_is_flapping_and_not_renewal() {
        let diagnosis = diagnose(&renewals(at("06:00:00"), minutes(3), 10));
        assert_eq!(kinds(&diagnosis), [InsightKind::Flapping]);
        assert!(diagnosis.expected.iter().all(|&e| !e));
    }

    #[test]
    fn a_409002_right_after_a_404104_is_a_side_effect_and_not_a_duplicate_identity() {
        let events = timeline(vec![
            ev("09:00:00", Connect, None, None),
            ev("09:10:00", Disconnect, Some(404_104), None),
            ev("09:10:05", Connect, Some(409_002), None),
            ev("09:10:30", Connect, None, None),
        ]);
        assert_eq!(kinds(&diagnose(&events)), [InsightKind::SideEffect]);
    }

    #[test]
    fn insights_come_most_severe_first() {
        // A device that flaps for a while, then is locked out and stays offline.
        let mut events = vec![ev("08:00:00", Connect, None, None)];
        for n in 0..12 {
            let time = at("08:10:00") + chrono::TimeDelta::seconds(20 * n);
            events.push(event(time, Disconnect, Some(404_104), None));
            events.push(event(
                time + chrono::TimeDelta::seconds(5),
                Connect,
                None,
                None,
            ));
        }
        for time in ["09:00:00", "09:01:00", "09:02:00"] {
            events.push(ev(time, Connect, Some(401_003), None));
        }
        let events = timeline(events);
        let diagnosis = diagnose_device(
            &events,
            &Addresses::default(),
            at("10:00:00"),
            &Thresholds::default(),
        );
        assert_eq!(
            kinds(&diagnosis),
            [
                InsightKind::Flapping,
                InsightKind::CredentialFailure,
                InsightKind::Offline
            ]
        );
        assert!(
            diagnosis
                .insights
                .iter()
                .all(|i| i.severity == Severity::High)
        );
    }

    #[test]
    fn a_log_that_starts_mid_session_is_noted_as_a_gap() {
        let events = timeline(vec![
            ev("09:10:04", Disconnect, Some(404_104), None),
            ev("09:10:20", Connect, None, None),
        ]);
        assert_eq!(diagnose(&events).gaps.len(), 1);
    }
}
