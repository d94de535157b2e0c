//! Mass disconnects: many identities dropping together, whatever the codes. A site's
//! network or an ISP going down, a firewall change, a bad SDK release reaching a cohort:
//! each device shows one ordinary drop, and only the fleet shows the event.
//!
//! Hits are the drops that nothing benign explains (token renewal, a takeover by a newer
//! connection, a side effect), one per lost connection. Windows of `mass_window` holding
//! at least `max(mass_min_devices, ceil(mass_min_share × active identities))` distinct
//! identities are merged into one mass disconnect. When server-side codes make most of
//! its drops, the hub is the story and `hub_incident` tells it instead.
//!
//! The finding says what the dropped identities share (their masked address ranges,
//! protocols, SDKs, codes), names the likely side when the drops concentrate in a few
//! address ranges, and how the fleet recovered: when half and nine in ten were back, and
//! which never came back.

use super::incident::{Hit, hit_windows, merge};
use super::insight::{Evidence, Insight, code_counts, duration_words, sample_times, span_words};
use super::thresholds::Thresholds;
use crate::analysis::event::{Addresses, Event, elapsed};
use crate::model::{InsightKind, Severity};
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::BTreeMap;

/// At most this many identities are named.
const IDS_KEPT: usize = 20;

/// Logs spanning up to this many minutes (a month) count their drops per minute in a
/// list; longer ones in a map.
const MINUTES_COUNTED: usize = 31 * 24 * 60;

/// What the fleet passes know of one identity.
#[derive(Debug, Clone, Copy)]
pub struct FleetDevice<'a> {
    /// `device` or `device/module`.
    pub name: &'a str,
    /// Sorted by [`Event::order_key`].
    pub events: &'a [Event],
    /// Per event, the insight of the device that explains it.
    pub explained: &'a [Option<InsightKind>],
    /// The export holds successful connects for this identity.
    pub connects_logged: bool,
    /// Its latest masked client address.
    pub address: Option<&'a str>,
    pub protocol: Option<&'a str>,
    pub sdk_version: Option<&'a str>,
}

/// Codes of the hub's side: faults, upgrades, failover, restore.
pub fn is_server_side(code: u32) -> bool {
    matches!(code, 500_000..=599_999 | 400_029 | 400_030 | 404_012)
}

/// A drop that counts, and the minute it fell in (seconds since 1970 over 60), found
/// once where the device's events are read in order rather than again from afar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dropped {
    /// Its place among the device's events.
    pub index: usize,
    pub minute: i64,
}

/// The drops of one identity that count: the first drop after a connect (every error
/// disconnect on an export without connects), unless something benign explains it.
pub fn drops(device: &FleetDevice<'_>) -> Vec<Dropped> {
    let mut found = Vec::new();
    let mut connected = true;
    let mut last: Option<DateTime<Utc>> = None;
    for (index, event) in device.events.iter().enumerate() {
        // Renewal, takeovers, side effects and a device's own timer are no outage.
        let benign = matches!(
            device.explained.get(index).copied().flatten(),
            Some(
                InsightKind::TokenRenewal
                    | InsightKind::SideEffect
                    | InsightKind::Takeover
                    | InsightKind::PeriodicDrop
            )
        );
        if benign {
            continue;
        }
        if event.is_successful_connect() {
            connected = true;
        } else if event.is_drop() {
            let new = if device.connects_logged {
                connected
            } else {
                last.is_none_or(|last| elapsed(event.time, last) > TimeDelta::seconds(5))
            };
            if new {
                found.push(Dropped {
                    index,
                    minute: event.time.timestamp().div_euclid(60),
                });
            }
            connected = false;
            last = Some(event.time);
        }
    }
    found
}

/// Mass disconnects in time order; `per_device` are each identity's [`drops`].
/// `incidents` are the hub incidents: a cluster of drops during one is its story.
pub fn mass_disconnects(
    devices: &[FleetDevice<'_>],
    per_device: &[Vec<Dropped>],
    incidents: &[Insight],
    addresses: &Addresses,
    t: &Thresholds,
) -> Vec<Insight> {
    // Only minutes with enough drops around them can hold a window of enough identities,
    // enough being the share of those around then: a count per minute, without sorting
    // every drop of the fleet, leaves the few drops that can.
    let minutes: Vec<i64> = per_device.iter().flatten().map(|d| d.minute).collect();
    let (Some(&first), Some(&last)) = (minutes.iter().min(), minutes.iter().max()) else {
        return Vec::new();
    };
    // A day is 1,440 minutes; a log spanning years is counted in a map instead.
    let span = usize::try_from(last - first + 1).unwrap_or(usize::MAX);
    let mut dense = vec![0u64; if span <= MINUTES_COUNTED { span } else { 0 }];
    let mut sparse: rustc_hash::FxHashMap<i64, u64> = rustc_hash::FxHashMap::default();
    for &minute in &minutes {
        match dense.get_mut(usize::try_from(minute - first).unwrap_or(usize::MAX)) {
            Some(count) => *count += 1,
            None => *sparse.entry(minute).or_default() += 1,
        }
    }
    let count = |m: i64| -> u64 {
        usize::try_from(m - first)
            .ok()
            .and_then(|i| dense.get(i).copied())
            .or_else(|| sparse.get(&m).copied())
            .unwrap_or(0)
    };
    let presence = Presence::of(devices);
    // A window of `mass_window` from a hit in minute m ends before minute m + reach + 1.
    let reach = t.mass_window.num_minutes().max(0) + 1;
    let around = |m: i64| -> u64 { (m - reach..=m + reach).map(count).sum() };
    // Every window holding a drop of minute m holds that drop's instant, so the
    // identities around at the minute's start and end bound from below those the window
    // counts (identities come and go at their first and last events, rarely within it).
    let need = |m: i64| -> u64 {
        let around_at = |second: i64| {
            DateTime::<Utc>::from_timestamp(second, 0)
                .map_or(0, |at| presence.between(at, at + TimeDelta::seconds(1)))
        };
        let fewest = around_at(m * 60).min(around_at(m * 60 + 59));
        t.mass_min_devices
            .max((t.mass_min_share * fewest as f64).ceil() as u64)
    };
    let mut possible: rustc_hash::FxHashSet<i64> = rustc_hash::FxHashSet::default();
    for m in (0..dense.len())
        .map(|i| first + i as i64)
        .chain(sparse.keys().copied())
    {
        if count(m) > 0 && around(m) >= need(m) {
            possible.insert(m);
        }
    }
    if possible.is_empty() {
        return Vec::new();
    }
    let mut hits: Vec<(Hit, usize)> = per_device
        .iter()
        .enumerate()
        .flat_map(|(device, dropped)| {
            let events = devices[device].events;
            let possible = &possible;
            dropped
                .iter()
                .filter(move |d| possible.contains(&d.minute))
                .filter_map(move |d| {
                    let event = events.get(d.index)?;
                    Some((
                        Hit {
                            time: event.time,
                            device,
                            code: event.code.unwrap_or(0),
                        },
                        d.index,
                    ))
                })
        })
        .collect();
    hits.sort_unstable_by_key(|(h, index)| (h.time, h.device, *index));
    let plain: Vec<Hit> = hits.iter().map(|(h, _)| *h).collect();
    let window = t.mass_window.max(TimeDelta::seconds(1));
    // Each window must reach the share on its own, so that a busy fleet's ordinary
    // drops do not chain windows of five into an hour-long "outage".
    let windows: Vec<_> = hit_windows(&plain, devices.len(), window, t.mass_min_devices)
        .into_iter()
        .filter(|w| {
            let active = presence.between(w.start, w.start + window);
            let share = (t.mass_min_share * active as f64).ceil() as u64;
            w.devices as u64 >= t.mass_min_devices.max(share)
        })
        .collect();
    merge(windows, window)
        .into_iter()
        .filter_map(|(span, range)| {
            let cluster = hits.get(range)?;
            let server = cluster
                .iter()
                .filter(|(h, _)| is_server_side(h.code))
                .count();
            // Mostly the hub's own faults, or during a hub incident: the incident's story.
            let during_incident = incidents
                .iter()
                .any(|i| i.start <= span.end && span.start <= i.end);
            if server * 2 >= cluster.len() || during_incident {
                return None;
            }
            let active = presence.between(span.start, span.end);
            let dropped = distinct(cluster);
            let share = (t.mass_min_share * active as f64).ceil() as u64;
            if (dropped as u64) < t.mass_min_devices.max(share) {
                return None;
            }
            insight(devices, cluster, active, addresses)
        })
        .collect()
}

/// When each identity is around, to count the active ones at any time cheaply: from its
/// first event (or the log's start, when that is a disconnect: it was connected) to its
/// last (or the log's end, when it is connected at its end).
struct Presence {
    starts: Vec<DateTime<Utc>>,
    ends: Vec<DateTime<Utc>>,
}

impl Presence {
    fn of(devices: &[FleetDevice<'_>]) -> Presence {
        let mut starts = Vec::with_capacity(devices.len());
        let mut ends = Vec::with_capacity(devices.len());
        for device in devices {
            let (Some(first), Some(last)) = (device.events.first(), device.events.last()) else {
                continue;
            };
            starts.push(if first.operation == crate::model::Operation::Disconnect {
                DateTime::<Utc>::MIN_UTC
            } else {
                first.time
            });
            let last_kind = device.explained.last().copied().flatten();
            let connected = last.is_successful_connect()
                || last_kind == Some(InsightKind::Takeover)
                || last_kind == Some(InsightKind::TokenRenewal);
            ends.push(if connected {
                DateTime::<Utc>::MAX_UTC
            } else {
                last.time
            });
        }
        starts.sort_unstable();
        ends.sort_unstable();
        Presence { starts, ends }
    }

    /// Identities around at some time in `[start, end)`.
    fn between(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> u64 {
        let begun = self.starts.partition_point(|&s| s < end);
        let gone = self.ends.partition_point(|&e| e < start);
        begun.saturating_sub(gone) as u64
    }
}

fn distinct(cluster: &[(Hit, usize)]) -> usize {
    let mut devices: Vec<usize> = cluster.iter().map(|(h, _)| h.device).collect();
    devices.sort_unstable();
    devices.dedup();
    devices.len()
}

fn insight(
    devices: &[FleetDevice<'_>],
    cluster: &[(Hit, usize)],
    active: u64,
    addresses: &Addresses,
) -> Option<Insight> {
    let (start, end) = (cluster.first()?.0.time, cluster.last()?.0.time);
    // Each identity's first drop in the window.
    let mut first: BTreeMap<usize, (DateTime<Utc>, usize)> = BTreeMap::new();
    for (hit, index) in cluster {
        first.entry(hit.device).or_insert((hit.time, *index));
    }
    let dropped = first.len();
    let mut ids: Vec<&str> = first
        .keys()
        .filter_map(|&d| Some(devices.get(d)?.name))
        .collect();
    ids.sort_unstable();
    ids.truncate(IDS_KEPT);

    let mut ranges: BTreeMap<&str, usize> = BTreeMap::new();
    let mut protocols: BTreeMap<&str, usize> = BTreeMap::new();
    let mut sdks: BTreeMap<&str, usize> = BTreeMap::new();
    for (&device, &(_, index)) in &first {
        let Some(fleet_device) = devices.get(device) else {
            continue;
        };
        let address = fleet_device
            .events
            .get(index)
            .and_then(|e| e.address)
            .map_or("unknown address", |id| addresses.name(id));
        *ranges.entry(address).or_default() += 1;
        *protocols
            .entry(fleet_device.protocol.unwrap_or("unknown"))
            .or_default() += 1;
        *sdks
            .entry(fleet_device.sdk_version.unwrap_or("unknown"))
            .or_default() += 1;
    }
    let top_ranges = most(&ranges, 3);
    let in_top: usize = top_ranges.iter().map(|(_, n)| n).sum();
    // A site's outage: most drops come from a few ranges, most of those ranges' identities
    // dropped, and the fleet has identities elsewhere that mostly did not.
    let (mut top_members, mut elsewhere) = (0usize, 0usize);
    for device in devices {
        match device.address {
            Some(address) if top_ranges.iter().any(|(range, _)| *range == address) => {
                top_members += 1;
            }
            Some(_) => elsewhere += 1,
            None => {}
        }
    }
    let dropped_elsewhere = dropped - in_top;
    let concentrated = !ranges.contains_key("unknown address")
        && in_top * 10 >= dropped * 8
        && in_top * 2 >= top_members
        && elsewhere > 0
        && dropped_elsewhere * 10 < elsewhere;
    let side = if concentrated {
        format!(
            "; {in_top} of {dropped} from {} address range{} ({}): a network or site outage on \
             the devices' side",
            top_ranges.len(),
            if top_ranges.len() == 1 { "" } else { "s" },
            listing(&top_ranges)
        )
    } else {
        format!(
            "; spread over {} address ranges, protocols {}",
            ranges.len(),
            listing(&most(&protocols, 3))
        )
    };

    let codes = code_counts(cluster.iter().map(|(h, _)| h.code).filter(|&c| c != 0));
    let code_words: Vec<String> = codes
        .iter()
        .take(3)
        .map(|c| format!("{} x{}", c.code, c.count))
        .collect();
    let code_words = if code_words.is_empty() {
        "clean disconnects".to_string()
    } else {
        code_words.join(", ")
    };
    let recovery = recovery(devices, &first);
    let connects_logged = first
        .keys()
        .all(|&d| devices.get(d).is_some_and(|d| d.connects_logged));
    let (recovery_words, severity) = match &recovery {
        _ if !connects_logged => (
            "; recovery cannot be told from this export (no successful connects)".to_string(),
            Severity::Medium,
        ),
        Some(r) => r.words(dropped),
        None => (String::new(), Severity::Medium),
    };
    let summary = format!(
        "Mass disconnect {} UTC: {dropped} of {active} active identities dropped \
         ({code_words}){side}{recovery_words}",
        span_words(start, end),
    );
    let action = if concentrated {
        "Look at the network of those address ranges at that time (site power, ISP, \
         firewall or proxy changes); make sure devices reconnect with exponential back-off \
         and jitter"
    } else {
        "Look for what the dropped devices share (network, firmware or SDK rollout, \
         configuration change) at that time; make sure devices reconnect with exponential \
         back-off and jitter"
    };
    let times: Vec<DateTime<Utc>> = cluster.iter().map(|(h, _)| h.time).collect();
    Some(Insight {
        kind: InsightKind::MassDisconnect,
        severity,
        summary,
        action: action.to_string(),
        start,
        end,
        first_event: None,
        location: None,
        evidence: Evidence {
            count: Some(cluster.len() as u64),
            codes,
            addresses: top_ranges
                .iter()
                .map(|(name, _)| name.to_string())
                .collect(),
            times: sample_times(&times),
            devices: Some(dropped as u64),
            active_devices: Some(active),
            device_ids: ids.into_iter().map(str::to_string).collect(),
            half_back_seconds: recovery.as_ref().and_then(|r| r.half),
            most_back_seconds: recovery.as_ref().and_then(|r| r.most),
            never_back: recovery.as_ref().map(|r| r.never.len() as u64),
            ..Evidence::default()
        },
    })
}

/// The `count` most frequent values, most frequent first, ties by value.
fn most<'a>(counts: &BTreeMap<&'a str, usize>, count: usize) -> Vec<(&'a str, usize)> {
    let mut sorted: Vec<(&str, usize)> = counts.iter().map(|(k, v)| (*k, *v)).collect();
    sorted.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    sorted.truncate(count);
    sorted
}

fn listing(values: &[(&str, usize)]) -> String {
    let words: Vec<String> = values.iter().map(|(v, n)| format!("{v} x{n}")).collect();
    words.join(", ")
}

/// How the dropped identities came back.
#[derive(Debug)]
struct Recovery {
    /// Seconds from the first drop until half of them had reconnected.
    half: Option<i64>,
    /// ... until nine in ten had.
    most: Option<i64>,
    /// The identities with no successful connect after their drop.
    never: Vec<usize>,
}

impl Recovery {
    fn words(&self, dropped: usize) -> (String, Severity) {
        let time = |seconds: Option<i64>| {
            seconds.map_or("not by the end of the log".to_string(), |s| {
                format!("after {}", duration_words(TimeDelta::seconds(s)))
            })
        };
        let never = match self.never.len() {
            0 => "; all came back".to_string(),
            n => format!("; {n} never came back"),
        };
        // A tenth of them still down: an outage that has not ended for those devices.
        let severity = if self.never.len() * 10 >= dropped {
            Severity::High
        } else {
            Severity::Medium
        };
        (
            format!(
                "; half back {}, 9 in 10 {}{never}",
                time(self.half),
                time(self.most)
            ),
            severity,
        )
    }
}

fn recovery(
    devices: &[FleetDevice<'_>],
    first: &BTreeMap<usize, (DateTime<Utc>, usize)>,
) -> Option<Recovery> {
    let start = first.values().map(|(time, _)| *time).min()?;
    let mut back: Vec<i64> = Vec::new();
    let mut never = Vec::new();
    for (&device, &(_, index)) in first {
        let events = devices.get(device)?.events;
        match events
            .iter()
            .skip(index + 1)
            .find(|e| e.is_successful_connect())
        {
            Some(connect) => back.push((connect.time - start).num_seconds()),
            None => never.push(device),
        }
    }
    back.sort_unstable();
    let total = first.len();
    let at_share = |share_tenths: usize| {
        let needed = (total * share_tenths).div_ceil(10).max(1);
        back.get(needed - 1).copied()
    };
    Some(Recovery {
        half: at_share(5),
        most: at_share(9),
        never,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::diagnosis::testing::*;

    struct Fleet {
        addresses: Addresses,
        events: Vec<(String, Vec<Event>)>,
    }

    /// `count` devices connected at 01:00, spread over `ranges` address ranges (with 4,
    /// the dropped ones in two and the others in two more); the first `dropped` drop at
    /// 02:00 with `code`, and all but every tenth reconnect 2-6 minutes later.
    fn fleet(count: usize, dropped: usize, code: u32, ranges: usize) -> Fleet {
        let mut addresses = Addresses::default();
        let ids: Vec<_> = (0..4)
            .map(|n| addresses.intern(&format!("198.51.{n}.XXX")))
            .collect();
        let events = (0..count)
            .map(|n| {
                // With a site, the dropped ones fill two ranges and the others two more.
                let range = match ranges {
                    0 => 0,
                    r if r >= 4 && n < dropped => n % 2,
                    r if r >= 4 => 2 + n % 2,
                    r => n % r,
                };
                let address = Some(ids[range]);
                let mut events = vec![event(at("01:00:00"), Connect, None, address)];
                if n < dropped {
                    let time = at("02:00:00") + TimeDelta::seconds(n as i64);
                    events.push(event(time, Disconnect, Some(code), address));
                    if n % 10 != 9 {
                        events.push(event(
                            time + minutes(2 + n as i64 % 5),
                            Connect,
                            None,
                            address,
                        ));
                    }
                }
                (format!("dev-{n:02}"), timeline(events))
            })
            .collect();
        Fleet { addresses, events }
    }

    fn detect(fleet: &Fleet) -> Vec<Insight> {
        let explained: Vec<Vec<Option<InsightKind>>> = fleet
            .events
            .iter()
            .map(|(_, e)| vec![None; e.len()])
            .collect();
        let devices: Vec<FleetDevice<'_>> = fleet
            .events
            .iter()
            .zip(&explained)
            .map(|((name, events), explained)| FleetDevice {
                name,
                events,
                explained,
                connects_logged: true,
                address: events
                    .iter()
                    .rev()
                    .find_map(|e| e.address)
                    .map(|id| fleet.addresses.name(id)),
                protocol: Some("Mqtt"),
                sdk_version: None,
            })
            .collect();
        let drops: Vec<Vec<Dropped>> = devices.iter().map(drops).collect();
        mass_disconnects(
            &devices,
            &drops,
            &[],
            &fleet.addresses,
            &Thresholds::default(),
        )
    }

    #[test]
    fn forty_of_sixty_dropping_together_from_two_ranges_is_a_site_outage_with_its_recovery() {
        let found = detect(&fleet(60, 40, 404_104, 4));
        assert_eq!(found.len(), 1, "{found:?}");
        let mass = &found[0];
        assert_eq!(mass.kind, InsightKind::MassDisconnect);
        assert_eq!(mass.evidence.devices, Some(40));
        assert_eq!(mass.evidence.never_back, Some(4));
        assert!(
            mass.summary
                .contains("40 of 60 active identities dropped (404104 x40)"),
            "{}",
            mass.summary
        );
        assert!(
            mass.summary.contains("from 2 address ranges"),
            "{}",
            mass.summary
        );
        assert!(mass.summary.contains("half back after"), "{}", mass.summary);
        assert!(
            mass.summary.contains("4 never came back"),
            "{}",
            mass.summary
        );
        assert_eq!(mass.severity, Severity::High);
    }

    #[test]
    fn look_alikes_of_a_mass_disconnect_are_not_one() {
        // Too few of the fleet.
        assert!(detect(&fleet(200, 10, 404_104, 4)).is_empty());
        // The hub's own faults: a hub incident's story.
        assert!(detect(&fleet(60, 40, 500_008, 2)).is_empty());
    }

    #[test]
    fn drops_spread_over_the_fleet_are_not_called_a_site_outage() {
        let found = detect(&fleet(60, 40, 404_104, 3));
        assert_eq!(found.len(), 1);
        assert!(
            found[0].summary.contains("spread over 3 address ranges"),
            "{}",
            found[0].summary
        );
    }
}
