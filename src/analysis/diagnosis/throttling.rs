//! Throttling and quota: the hub refusing operations over its limits (`429001`-`429003`
//! throttling, `403002` the daily message quota, `403005` and `503008`). These are the
//! hub's limits, shared by the fleet, so they make one fleet finding with the unit and
//! tier advice rather than a high row per device. When the throttling follows a mass
//! disconnect and the devices retry within seconds, it is a reconnect storm.

use super::incident::{Hit, code_hits};
use super::insight::{Evidence, Insight, code_counts, sample_times, span_words};
use super::mass::FleetDevice;
use crate::model::{InsightKind, Severity};
use chrono::{DateTime, TimeDelta, Utc};
use rayon::prelude::*;
use std::collections::BTreeSet;

/// Throttling records further apart than this make separate episodes.
pub const EPISODE_GAP: TimeDelta = TimeDelta::minutes(30);

/// A mass disconnect this soon before throttling starts may have caused it.
const STORM_AFTER: TimeDelta = TimeDelta::minutes(15);

/// Devices retrying faster than this, in the median, retry without back-off.
const STORM_RETRY: TimeDelta = TimeDelta::seconds(10);

/// At most this many identities are named.
const IDS_KEPT: usize = 20;

pub const DAILY_QUOTA: u32 = 403_002;

/// The codes of the hub's limits.
pub fn is_throttling(code: u32) -> bool {
    matches!(
        code,
        429_001 | 429_002 | 429_003 | 403_002 | 403_005 | 503_008
    )
}

/// Throttling episodes in time order; `mass` are the fleet's mass disconnects.
pub fn throttling(devices: &[FleetDevice<'_>], mass: &[Insight]) -> Vec<Insight> {
    let hits = code_hits(devices.par_iter().map(|d| d.events), is_throttling);
    hits.chunk_by(|a, b| b.time - a.time <= EPISODE_GAP)
        .filter_map(|episode| insight(devices, episode, mass))
        .collect()
}

fn insight(devices: &[FleetDevice<'_>], hits: &[Hit], mass: &[Insight]) -> Option<Insight> {
    let (start, end) = (hits.first()?.time, hits.last()?.time);
    let identities: BTreeSet<usize> = hits.iter().map(|h| h.device).collect();
    let mut ids: Vec<&str> = identities
        .iter()
        .filter_map(|&d| Some(devices.get(d)?.name))
        .collect();
    ids.sort_unstable();
    ids.truncate(IDS_KEPT);
    let codes = code_counts(hits.iter().map(|h| h.code));
    let words: Vec<String> = codes
        .iter()
        .map(|c| format!("{} x{}", c.code, c.count))
        .collect();
    let peak = hits
        .chunk_by(|a, b| a.time.timestamp() / 60 == b.time.timestamp() / 60)
        .map(<[Hit]>::len)
        .max()
        .unwrap_or(0);
    let quota = hits.iter().any(|h| h.code == DAILY_QUOTA);
    let storm = mass
        .iter()
        .filter(|m| m.kind == InsightKind::MassDisconnect)
        .find(|m| m.start <= end && start - m.start <= STORM_AFTER)
        .filter(|_| median_retry(devices, &identities, start, end) <= Some(STORM_RETRY));
    let storm_words = storm.map_or(String::new(), |m| {
        format!(
            "; a reconnect storm after the mass disconnect at {} UTC: devices retry within \
             seconds",
            m.start.format("%H:%M")
        )
    });
    let summary = format!(
        "Throttling {} UTC: {} on {} identit{} (peak {peak}/min){storm_words}",
        span_words(start, end),
        words.join(", "),
        identities.len(),
        if identities.len() == 1 { "y" } else { "ies" },
    );
    let mut action = if quota {
        "The hub's daily message quota is used up: it refuses device-to-cloud messages until \
         00:00 UTC. Add units or move to a higher tier, or send fewer or batched messages"
            .to_string()
    } else {
        "Operations exceeded the rate limits of the hub's tier and units: spread them over \
         time, add units or move to a higher tier (compare the throttling metrics with the \
         tier's limits)"
            .to_string()
    };
    if storm.is_some() {
        action.push_str(
            "; reconnects and retries need exponential back-off with jitter, so that a fleet \
             does not come back all at once",
        );
    }
    let times: Vec<DateTime<Utc>> = hits.iter().map(|h| h.time).collect();
    Some(Insight {
        kind: InsightKind::Throttling,
        severity: if quota {
            Severity::High
        } else {
            Severity::Medium
        },
        summary,
        action,
        start,
        end,
        first_event: None,
        location: None,
        evidence: Evidence {
            count: Some(hits.len() as u64),
            codes,
            times: sample_times(&times),
            devices: Some(identities.len() as u64),
            device_ids: ids.into_iter().map(str::to_string).collect(),
            ..Evidence::default()
        },
    })
}

/// The median time between consecutive events of the throttled identities within
/// `[start, end]`: how fast they retry.
fn median_retry(
    devices: &[FleetDevice<'_>],
    identities: &BTreeSet<usize>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Option<TimeDelta> {
    let mut gaps: Vec<TimeDelta> = identities
        .iter()
        .filter_map(|&d| devices.get(d))
        .flat_map(|d| {
            let inside: Vec<DateTime<Utc>> = d
                .events
                .iter()
                .map(|e| e.time)
                .filter(|t| (start..=end).contains(t))
                .collect();
            inside.windows(2).map(|w| w[1] - w[0]).collect::<Vec<_>>()
        })
        .collect();
    gaps.sort();
    gaps.get(gaps.len() / 2).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::diagnosis::testing::*;
    use crate::analysis::event::Event;

    /// Nothing explained on any device.
    fn unexplained(events: &[(String, Vec<Event>)]) -> Vec<Vec<Option<InsightKind>>> {
        events.iter().map(|(_, e)| vec![None; e.len()]).collect()
    }

    fn devices<'a>(
        events: &'a [(String, Vec<Event>)],
        explained: &'a [Vec<Option<InsightKind>>],
    ) -> Vec<FleetDevice<'a>> {
        events
            .iter()
            .zip(explained)
            .map(|((name, events), explained)| FleetDevice {
                name,
                events,
                explained,
                connects_logged: true,
                address: None,
                protocol: None,
                sdk_version: None,
            })
            .collect()
    }

    #[test]
    fn quota_and_rate_limits_of_many_devices_make_one_fleet_finding() {
        let events: Vec<(String, Vec<Event>)> = (0..6)
            .map(|n| {
                let code = if n < 2 { 403_002 } else { 429_001 };
                let time = at("10:00:00") + TimeDelta::seconds(n);
                (
                    format!("dev-{n}"),
                    timeline(vec![event(time, Connect, Some(code), None)]),
                )
            })
            .collect();
        let explained = unexplained(&events);
        let found = throttling(&devices(&events, &explained), &[]);
        assert_eq!(found.len(), 1);
        let insight = &found[0];
        assert_eq!(
            insight.severity,
            Severity::High,
            "the daily quota is used up"
        );
        assert!(
            insight
                .summary
                .contains("429001 x4, 403002 x2 on 6 identities (peak 6/min)"),
            "{}",
            insight.summary
        );
        assert!(insight.action.contains("00:00 UTC"));
    }

    #[test]
    fn rate_limits_alone_are_medium_and_other_codes_are_not_throttling() {
        let events = vec![
            (
                "a".to_string(),
                timeline(vec![ev("10:00:00", Connect, Some(429_002), None)]),
            ),
            (
                "b".to_string(),
                timeline(vec![ev("10:00:00", Disconnect, Some(404_104), None)]),
            ),
        ];
        let explained = unexplained(&events);
        let found = throttling(&devices(&events, &explained), &[]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].severity, Severity::Medium);
        assert_eq!(found[0].evidence.devices, Some(1));
    }
}
