//! Runs every per-device detector over one device's timeline, in the order their inputs
//! need: token renewal first (its cycles are not drops), side effects next (their 409002s
//! are not conflicts), conflicts (a takeover is no drop), then credentials, the state at
//! the end and flapping over what is left. Each event is explained by at most one
//! insight, so that one problem makes one finding: the codes an insight explains do not
//! add findings of their own.

use super::insight::{Insight, sort_insights};
use super::thresholds::Thresholds;
use super::{credential, duplicate, flapping, gaps, offline, periodic, side_effect, token_renewal};
use crate::analysis::event::{Addresses, Event};
use crate::model::InsightKind;
use chrono::{DateTime, Utc};

/// What one device's timeline says.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceDiagnosis {
    /// Most severe first, then earliest, then by kind.
    pub insights: Vec<Insight>,
    /// Same length as the events: the insight that explains each, if one does.
    pub explained: Vec<Option<InsightKind>>,
    /// Where the story is incomplete, in plain words.
    pub gaps: Vec<String>,
    /// Connected at the end of the log: `None` when the export cannot tell (it holds no
    /// successful connects).
    pub connected_at_end: Option<bool>,
}

impl DeviceDiagnosis {
    /// Per event: explained as token renewal.
    pub fn expected(&self) -> Vec<bool> {
        self.explained
            .iter()
            .map(|kind| *kind == Some(InsightKind::TokenRenewal))
            .collect()
    }
}

/// What a device's diagnosis needs besides its events.
#[derive(Debug, Clone, Copy)]
pub struct DeviceContext<'a> {
    pub addresses: &'a Addresses,
    /// The time of the last event of the whole log, all devices.
    pub log_end: DateTime<Utc>,
    /// The export holds successful connects for this device, so their absence is a fact.
    pub connects_logged: bool,
    /// The device's latest `sdkVersion`.
    pub sdk_version: Option<&'a str>,
    /// A module identity (IoT Edge, module clients).
    pub module: bool,
}

/// Diagnoses one device. `events` are sorted by [`Event::order_key`].
pub fn diagnose_device(
    events: &[Event],
    context: &DeviceContext<'_>,
    t: &Thresholds,
) -> DeviceDiagnosis {
    let connects_logged = context.connects_logged;
    let mut explained: Vec<Option<InsightKind>> = vec![None; events.len()];
    let claim = |explained: &mut Vec<Option<InsightKind>>, kind, marks: &[bool]| {
        for (slot, mark) in explained.iter_mut().zip(marks) {
            if *mark && slot.is_none() {
                *slot = Some(kind);
            }
        }
    };
    let taken = |explained: &[Option<InsightKind>]| -> Vec<bool> {
        explained.iter().map(Option::is_some).collect()
    };

    let renewal = token_renewal::detect(
        events,
        token_renewal::Context {
            connects_logged,
            sdk_version: context.sdk_version,
            module: context.module,
        },
        t,
    );
    claim(&mut explained, InsightKind::TokenRenewal, &renewal.expected);
    let side_effects = side_effect::detect(events, t);
    claim(
        &mut explained,
        InsightKind::SideEffect,
        &side_effects.explained,
    );
    let conflicts = duplicate::detect(events, &side_effects.explained, context.addresses, t);
    if let Some(insight) = &conflicts.insight {
        claim(&mut explained, insight.kind, &conflicts.takeover);
    }
    let credential = credential::detect(events, &renewal.expected, connects_logged, t);
    if let Some(insight) = &credential {
        for (slot, event) in explained.iter_mut().zip(events) {
            if slot.is_none() && event.code == Some(401_003) && insight.start <= event.time {
                *slot = Some(InsightKind::CredentialFailure);
            }
        }
    }
    // A credential failure already says the device never got back in.
    let outage = offline::outage(events, &conflicts.takeover);
    let offline = offline::detect(events, outage, context.log_end, connects_logged, t)
        .filter(|_| credential.is_none());
    if let Some((_, range)) = &offline {
        for slot in explained.get_mut(range.clone()).into_iter().flatten() {
            slot.get_or_insert(InsightKind::Offline);
        }
    }
    let mut taken = taken(&explained);
    let periodic = periodic::detect(
        events,
        &taken,
        periodic::Context {
            connects_logged,
            module: context.module,
            sdk_version: context.sdk_version,
        },
        t,
    );
    claim(&mut explained, InsightKind::PeriodicDrop, &periodic.drops);
    // What the periodic drops claimed is taken too.
    for (taken, &drop) in taken.iter_mut().zip(&periodic.drops) {
        *taken |= drop;
    }
    let flapping = flapping::detect(events, &taken, connects_logged, t);
    claim(&mut explained, InsightKind::Flapping, &flapping.drops);

    let mut insights: Vec<Insight> = [
        renewal.insight,
        periodic.insight,
        flapping.insight,
        conflicts.insight,
        credential,
        offline.map(|(insight, _)| insight),
        side_effects.insight,
    ]
    .into_iter()
    .flatten()
    .collect();
    sort_insights(&mut insights);
    let connected_at_end = connects_logged.then(|| !events.is_empty() && outage.is_none());
    DeviceDiagnosis {
        insights,
        explained,
        gaps: if connects_logged {
            gaps::find(events)
        } else {
            Vec::new()
        },
        connected_at_end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::diagnosis::testing::*;
    use crate::model::{InsightKind, Severity};

    fn context(addresses: &Addresses, log_end: DateTime<Utc>) -> DeviceContext<'_> {
        DeviceContext {
            addresses,
            log_end,
            connects_logged: true,
            sdk_version: None,
            module: false,
        }
    }

    fn diagnose(events: &[Event]) -> DeviceDiagnosis {
        let log_end = events.last().map_or(at("00:00:00"), |e| e.time);
        let addresses = Addresses::default();
        diagnose_device(
            events,
            &context(&addresses, log_end),
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
        assert_eq!(diagnosis.explained.len(), events.len());
        assert_eq!(diagnosis.expected().iter().filter(|&&e| e).count(), 36);
        assert!(diagnosis.gaps.is_empty());
    }

    #[test]
    fn a_three_minute_reconnect_loop_is_flapping_and_not_renewal() {
        let diagnosis = diagnose(&renewals(at("06:00:00"), minutes(3), 10));
        assert_eq!(kinds(&diagnosis), [InsightKind::Flapping]);
        assert!(diagnosis.expected().iter().all(|&e| !e));
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
        let addresses = Addresses::default();
        let diagnosis = diagnose_device(
            &events,
            &context(&addresses, at("10:00:00")),
            &Thresholds::default(),
        );
        // The credential failure says it never got back in: no separate offline finding.
        assert_eq!(
            kinds(&diagnosis),
            [InsightKind::Flapping, InsightKind::CredentialFailure]
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
