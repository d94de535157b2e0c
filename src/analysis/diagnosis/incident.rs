//! Hub-wide incidents: many devices hitting server faults (`5xxxxx`) or the planned
//! upgrade codes (`400029`/`400030`) together. Then the hub, not the devices, is the
//! story, and each device's drops at that time need no device-side fix.
//!
//! Windows of `incident_window` start at each distinct hit time `T`: `[T, T + window)`.
//! A window is an incident when its distinct hit devices reach
//! `max(incident_min_devices, ceil(incident_min_share × active devices))`, where active
//! devices are those with any event in the window. Overlapping or adjacent incident
//! windows merge. Built for large fleets: hits are sorted once and swept with two
//! pointers; devices are visited once per step with binary searches, never pairwise.

use super::insight::{Evidence, Insight, code_counts, sample_times, span_words};
use super::thresholds::Thresholds;
use crate::analysis::event::Event;
use crate::model::{InsightKind, Severity};
use chrono::{DateTime, TimeDelta, Utc};
use rayon::prelude::*;
use std::ops::Range;

/// At most this many device ids are listed per incident.
const DEVICE_IDS_KEPT: usize = 20;

/// One device's event that counts toward a fleet-wide cluster.
#[derive(Debug, Clone, Copy)]
pub(super) struct Hit {
    pub time: DateTime<Utc>,
    pub device: usize,
    pub code: u32,
}

/// A window `[start, start + window)` and the hits in it.
#[derive(Debug, Clone)]
pub(super) struct Window {
    pub start: DateTime<Utc>,
    pub hits: Range<usize>,
    pub devices: usize,
}

fn is_hit(code: u32) -> bool {
    matches!(code, 500_000..=599_999 | 400_029 | 400_030)
}

/// Incidents in time order. Each element of `devices` is a device's display id and its
/// events sorted by [`Event::order_key`].
pub fn hub_incidents(devices: &[(&str, &[Event])], t: &Thresholds) -> Vec<Insight> {
    let hits = code_hits(devices.par_iter().map(|(_, events)| *events), is_hit);
    clusters(
        devices,
        &hits,
        t.incident_window,
        t.incident_min_devices,
        t.incident_min_share,
    )
    .into_iter()
    .filter_map(|(range, active)| insight(devices, hits.get(range)?, active))
    .collect()
}

/// Clusters of `hits` (sorted by time, then device): windows of `window` from each hit
/// time holding at least `max(min_devices, ceil(min_share × active devices))` distinct
/// devices, overlapping windows merged. Each cluster's range of hits and the devices
/// active in its span.
fn clusters(
    devices: &[(&str, &[Event])],
    hits: &[Hit],
    window: TimeDelta,
    min_devices: u64,
    min_share: f64,
) -> Vec<(Range<usize>, u64)> {
    // A window must hold its own start time, or the sweep has nothing to count.
    let window = window.max(TimeDelta::seconds(1));
    let candidates = hit_windows(hits, devices.len(), window, min_devices);
    if candidates.is_empty() {
        return Vec::new();
    }
    let starts: Vec<DateTime<Utc>> = candidates.iter().map(|w| w.start).collect();
    let active = active_in_windows(devices, &starts, window);
    let clusters: Vec<Window> = candidates
        .into_iter()
        .zip(active)
        .filter(|(w, active)| {
            let share = (min_share * *active as f64).ceil() as u64;
            w.devices as u64 >= min_devices.max(share)
        })
        .map(|(w, _)| w)
        .collect();
    let merged = merge(clusters, window);
    let spans: Vec<Range<DateTime<Utc>>> = merged.iter().map(|(span, _)| span.clone()).collect();
    let active = active_in_spans(devices, &spans);
    merged
        .into_iter()
        .zip(active)
        .map(|((_, range), active)| (range, active))
        .collect()
}

/// Every event of the fleet whose code `keep` selects, in time order (then device), the
/// devices' events looked at on every core. `devices` yields each device's events.
pub(super) fn code_hits<'a>(
    devices: impl IndexedParallelIterator<Item = &'a [Event]>,
    keep: fn(u32) -> bool,
) -> Vec<Hit> {
    let mut hits: Vec<Hit> = devices
        .enumerate()
        .flat_map_iter(|(device, events)| {
            events.iter().filter_map(move |e| {
                let code = e.code.filter(|&c| keep(c))?;
                Some(Hit {
                    time: e.time,
                    device,
                    code,
                })
            })
        })
        .collect();
    hits.sort_by_key(|h| (h.time, h.device));
    hits
}

/// Whether `time` falls within one of the incidents (first to last hit, inclusive).
pub fn in_incident(incidents: &[Insight], time: DateTime<Utc>) -> bool {
    incidents
        .iter()
        .any(|i| i.kind == InsightKind::HubIncident && i.start <= time && time <= i.end)
}

/// Windows at each distinct hit time with at least `min_devices` distinct devices hit.
pub(super) fn hit_windows(
    hits: &[Hit],
    devices: usize,
    window: TimeDelta,
    min_devices: u64,
) -> Vec<Window> {
    let mut per_device = vec![0u32; devices];
    let mut distinct = 0usize;
    let (mut first, mut end) = (0, 0);
    let mut found = Vec::new();
    while let Some(start) = hits.get(first).map(|h| h.time) {
        let limit = start + window;
        while let Some(hit) = hits.get(end)
            && hit.time < limit
        {
            if let Some(count) = per_device.get_mut(hit.device) {
                distinct += usize::from(*count == 0);
                *count += 1;
            }
            end += 1;
        }
        if distinct as u64 >= min_devices {
            found.push(Window {
                start,
                hits: first..end,
                devices: distinct,
            });
        }
        while let Some(hit) = hits.get(first)
            && hit.time == start
        {
            if let Some(count) = per_device.get_mut(hit.device) {
                *count -= 1;
                distinct -= usize::from(*count == 0);
            }
            first += 1;
        }
    }
    found
}

/// Per window start (sorted), the devices with any event in `[start, start + window)`.
fn active_in_windows(
    devices: &[(&str, &[Event])],
    starts: &[DateTime<Utc>],
    window: TimeDelta,
) -> Vec<usize> {
    // A difference array over window indices: each device adds 1 over the union of the
    // window ranges its events fall in, so a device counts once per window.
    let mut diff = vec![0i64; starts.len() + 1];
    let (Some(&first), Some(&last)) = (starts.first(), starts.last()) else {
        return Vec::new();
    };
    for (_, events) in devices {
        let mut open: Option<Range<usize>> = None;
        for event in during(events, first, last + window) {
            // `s + window <= time`, with the sum taken once per event.
            let earliest = event.time - window;
            let lo = starts.partition_point(|&s| s <= earliest);
            let hi = starts.partition_point(|&s| s <= event.time);
            if lo >= hi {
                continue;
            }
            open = match open {
                Some(run) if lo <= run.end => Some(run.start..hi.max(run.end)),
                Some(run) => {
                    add_run(&mut diff, &run);
                    Some(lo..hi)
                }
                None => Some(lo..hi),
            };
        }
        if let Some(run) = open {
            add_run(&mut diff, &run);
        }
    }
    let mut active = 0i64;
    diff.iter()
        .take(starts.len())
        .map(|d| {
            active += d;
            usize::try_from(active).unwrap_or(0)
        })
        .collect()
}

/// The events (in time order) in `[start, end)`: most of a fleet's events are far from
/// its incidents, and two binary searches per device pass them over.
fn during(events: &[Event], start: DateTime<Utc>, end: DateTime<Utc>) -> &[Event] {
    let from = events.partition_point(|e| e.time < start);
    let to = events.partition_point(|e| e.time < end);
    events.get(from..to.max(from)).unwrap_or_default()
}

fn add_run(diff: &mut [i64], run: &Range<usize>) {
    if let Some(d) = diff.get_mut(run.start) {
        *d += 1;
    }
    if let Some(d) = diff.get_mut(run.end) {
        *d -= 1;
    }
}

/// Per span (sorted, disjoint, half-open), the devices with any event in it.
fn active_in_spans(devices: &[(&str, &[Event])], spans: &[Range<DateTime<Utc>>]) -> Vec<u64> {
    let mut active = vec![0u64; spans.len()];
    let (Some(first), Some(last)) = (spans.first(), spans.last()) else {
        return active;
    };
    for (_, events) in devices {
        let mut counted: Option<usize> = None;
        for event in during(events, first.start, last.end) {
            let index = spans.partition_point(|s| s.end <= event.time);
            let inside = spans.get(index).is_some_and(|s| s.start <= event.time);
            if inside && counted != Some(index) {
                if let Some(a) = active.get_mut(index) {
                    *a += 1;
                }
                counted = Some(index);
            }
        }
    }
    active
}

/// Merges overlapping or adjacent windows: each group's time span and hit range.
pub(super) fn merge(
    windows: Vec<Window>,
    window: TimeDelta,
) -> Vec<(Range<DateTime<Utc>>, Range<usize>)> {
    let mut merged: Vec<(Range<DateTime<Utc>>, Range<usize>)> = Vec::new();
    for w in windows {
        let span = w.start..w.start + window;
        match merged.last_mut() {
            Some((last, hits)) if span.start <= last.end => {
                last.end = last.end.max(span.end);
                hits.end = hits.end.max(w.hits.end);
            }
            _ => merged.push((span, w.hits)),
        }
    }
    merged
}

fn insight(devices: &[(&str, &[Event])], hits: &[Hit], active: u64) -> Option<Insight> {
    let (start, end) = (hits.first()?.time, hits.last()?.time);
    let mut hit_devices: Vec<usize> = hits.iter().map(|h| h.device).collect();
    hit_devices.sort_unstable();
    hit_devices.dedup();
    let mut ids: Vec<&str> = hit_devices
        .iter()
        .filter_map(|&d| devices.get(d).map(|(id, _)| *id))
        .collect();
    ids.sort_unstable();
    ids.truncate(DEVICE_IDS_KEPT);

    let codes = code_counts(hits.iter().map(|h| h.code));
    let named: Vec<&str> = codes.iter().take(3).map(|c| c.code.as_str()).collect();
    let upgrade = hits.iter().all(|h| matches!(h.code, 400_029 | 400_030));
    let summary = format!(
        "Hub-wide incident {} UTC: {} devices (of {active} active) hit {} together{}",
        span_words(start, end),
        hit_devices.len(),
        named.join("/"),
        if upgrade {
            " (planned service upgrade)"
        } else {
            ""
        }
    );
    let action = if upgrade {
        "Planned service upgrade (fault injection): devices reconnect on their own; no change \
         needed unless they fail to come back"
    } else {
        "Server-side: check Azure Resource Health and Azure status for the hub; retries should \
         recover; devices need no change"
    };
    let times: Vec<DateTime<Utc>> = hits.iter().map(|h| h.time).collect();
    Some(Insight {
        kind: InsightKind::HubIncident,
        severity: Severity::Critical,
        summary,
        action: action.to_string(),
        start,
        end,
        first_event: None,
        location: None,
        evidence: Evidence {
            count: Some(hits.len() as u64),
            codes,
            times: sample_times(&times),
            devices: Some(hit_devices.len() as u64),
            active_devices: Some(active),
            device_ids: ids.into_iter().map(str::to_string).collect(),
            ..Evidence::default()
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::diagnosis::testing::*;

    /// Devices `dev-00`, `dev-01`...: each connected at 01:00 and with one event per item.
    fn fleet(hits: &[(&str, Option<u32>)], quiet: usize) -> Vec<(String, Vec<Event>)> {
        let mut devices: Vec<(String, Vec<Event>)> = Vec::new();
        for (n, (time, code)) in hits.iter().enumerate() {
            let events = vec![
                ev("01:00:00", Connect, None, None),
                ev(time, Disconnect, *code, None),
            ];
            devices.push((format!("dev-{n:02}"), timeline(events)));
        }
        for n in 0..quiet {
            let events = vec![ev("02:15:00", Connect, None, None)];
            devices.push((format!("quiet-{n:03}"), events));
        }
        devices
    }

    fn incidents(devices: &[(String, Vec<Event>)]) -> Vec<Insight> {
        let view: Vec<(&str, &[Event])> = devices
            .iter()
            .map(|(id, events)| (id.as_str(), events.as_slice()))
            .collect();
        hub_incidents(&view, &Thresholds::default())
    }

    #[test]
    fn many_devices_hitting_server_faults_together_are_one_critical_incident() {
        let hits: Vec<(&str, Option<u32>)> = [
            "02:14:00", "02:14:30", "02:15:00", "02:16:00", "02:17:00", "02:19:00",
        ]
        .iter()
        .enumerate()
        .map(|(n, time)| (*time, Some(if n % 3 == 0 { 500_001 } else { 500_008 })))
        .collect();
        let found = incidents(&fleet(&hits, 4));
        assert_eq!(found.len(), 1);
        let incident = &found[0];
        assert_eq!(incident.severity, Severity::Critical);
        assert_eq!(
            (incident.start, incident.end),
            (at("02:14:00"), at("02:19:00"))
        );
        assert_eq!(incident.evidence.devices, Some(6));
        assert_eq!(incident.evidence.active_devices, Some(10));
        assert_eq!(incident.evidence.device_ids.len(), 6);
        assert_eq!(
            incident.evidence.device_ids.first().map(String::as_str),
            Some("dev-00")
        );
        assert_eq!(
            incident.summary,
            "Hub-wide incident 2026-03-02 02:14-02:19 UTC: 6 devices (of 10 active) hit \
             500008/500001 together"
        );
        assert!(incident.action.starts_with("Server-side"));
        assert!(in_incident(&found, at("02:19:00")));
        assert!(!in_incident(&found, at("02:19:01")));
    }

    #[test]
    fn scattered_or_small_or_diluted_faults_are_not_an_incident() {
        let scattered = fleet(
            &[
                ("02:00:00", Some(500_001)),
                ("02:25:00", Some(500_001)),
                ("02:50:00", Some(500_001)),
            ],
            0,
        );
        let small = fleet(&[("02:14:00", Some(500_001)); 4], 0);
        // 6 devices hit but 100 active: below 10 % of them.
        let diluted = fleet(&[("02:14:00", Some(500_001)); 6], 94);
        let not_server = fleet(&[("02:14:00", Some(404_104)); 10], 0);
        let cases = [
            ("three devices with 500001 in an hour", scattered),
            ("fewer devices than the minimum", small),
            ("less than the minimum share of active devices", diluted),
            ("network drops are not server faults", not_server),
        ];
        for (case, devices) in cases {
            assert_eq!(incidents(&devices), [], "{case}");
        }
    }

    #[test]
    fn one_device_hitting_many_faults_counts_once() {
        let mut events = vec![ev("01:00:00", Connect, None, None)];
        for second in 0..20 {
            let time = at("02:14:00") + TimeDelta::seconds(second);
            events.push(event(time, Connect, Some(500_008), None));
        }
        let devices = vec![("dev".to_string(), timeline(events))];
        assert_eq!(incidents(&devices), []);
    }

    #[test]
    fn overlapping_bursts_merge_and_distant_ones_stay_apart() {
        let mut hits = vec![("02:14:00", Some(500_001)); 5];
        hits.extend([("02:18:00", Some(500_001)); 5]);
        hits.extend([("04:00:00", Some(500_008)); 5]);
        let found = incidents(&fleet(&hits, 0));
        let spans: Vec<_> = found.iter().map(|i| (i.start, i.end)).collect();
        assert_eq!(
            spans,
            [
                (at("02:14:00"), at("02:18:00")),
                (at("04:00:00"), at("04:00:00"))
            ]
        );
        assert_eq!(found[0].evidence.devices, Some(10));
    }

    #[test]
    fn upgrade_codes_on_many_devices_read_as_a_planned_upgrade() {
        let found = incidents(&fleet(&[("02:14:00", Some(400_029)); 5], 0));
        assert_eq!(found.len(), 1);
        assert!(found[0].summary.ends_with("(planned service upgrade)"));
        assert!(found[0].action.starts_with("Planned service upgrade"));
    }

    #[test]
    fn devices_count_as_active_from_the_window_start_to_just_before_its_end() {
        // Five devices hit at 02:14:00: the window is [02:14:00, 02:19:00).
        let mut devices = fleet(&[("02:14:00", Some(500_001)); 5], 0);
        for (n, time) in ["02:13:59", "02:14:00", "02:18:59", "02:19:00", "09:00:00"]
            .iter()
            .enumerate()
        {
            let events = vec![ev(time, Connect, None, None)];
            devices.push((format!("quiet-{n}"), events));
        }
        let found = incidents(&devices);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].evidence.active_devices, Some(5 + 2));
    }

    #[test]
    fn a_hundred_thousand_devices_are_swept_without_pairwise_work() {
        let connect = [ev("01:00:00", Connect, None, None)];
        let hit = [ev("02:14:00", Disconnect, Some(500_008), None)];
        let ids: Vec<String> = (0..100_000).map(|n| format!("dev-{n:06}")).collect();
        let devices: Vec<(&str, &[Event])> = ids
            .iter()
            .enumerate()
            .map(|(n, id)| {
                (
                    id.as_str(),
                    if n % 5 == 0 { &hit[..] } else { &connect[..] },
                )
            })
            .collect();
        let found = hub_incidents(&devices, &Thresholds::default());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].evidence.devices, Some(20_000));
        assert_eq!(found[0].evidence.device_ids.len(), DEVICE_IDS_KEPT);
    }
}
