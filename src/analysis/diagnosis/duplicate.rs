//! Connections that overlap. IoT Hub allows one connection per identity: when a new one
//! arrives, the hub closes the older one with `400027 ConnectionForcefullyClosedOnNewConnection`
//! (MQTT) or `409002 LinkCreationConflict` (AMQP). The identity stays connected, through
//! the newer connection: a takeover is never a drop.
//!
//! - A *duplicate identity* is two clients (a cloned image, a duplicated container, an
//!   edge module and a direct connection) fighting over one identity: at least
//!   `duplicate_min_conflicts` conflicts within `duplicate_window`, or successful connects
//!   switching between client addresses back and forth (two switches or more within
//!   `duplicate_window`) with a conflict between them. High: neither client stays
//!   connected.
//! - Fewer conflicts are *takeovers*: the device opened a new connection before closing
//!   the old one (an application restart, a reconnect on a new network). Low.
//!
//! A `409002` right after another error of the device is a side effect of a fast
//! reconnect (see `side_effect`), not a conflict.

use super::insight::{Evidence, Insight, code_counts, sample_times};
use super::thresholds::Thresholds;
use crate::analysis::event::{AddressId, Addresses, Event, most_in_window};
use crate::model::{InsightKind, Severity};
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::BTreeSet;

const FORCEFULLY_CLOSED: u32 = 400_027;
const LINK_CREATION_CONFLICT: u32 = 409_002;
/// Address switches (with a conflict between) that make clients alternate; one switch is
/// a device that moved networks.
const SWITCHES_MIN: usize = 2;
/// At most this many addresses are listed.
const ADDRESSES_KEPT: usize = 20;
/// The newer connection's connect is looked for this close to the conflict, before or
/// after it (resource logs are not guaranteed ordered).
const NEWER_CONNECT_WITHIN: TimeDelta = TimeDelta::minutes(2);

/// The conflicts of one device and what they make.
#[derive(Debug)]
pub struct Conflicts {
    /// Per event: a conflict (a takeover of an older connection).
    pub takeover: Vec<bool>,
    pub insight: Option<Insight>,
}

/// True for a `400027`, or a `409002` that `side_effects` does not explain.
fn is_conflict(event: &Event, side_effect: bool) -> bool {
    match event.code {
        Some(FORCEFULLY_CLOSED) => true,
        Some(LINK_CREATION_CONFLICT) => !side_effect,
        _ => false,
    }
}

/// `side_effects` marks the 409002s explained by an earlier error (same length as `events`).
pub fn detect(
    events: &[Event],
    side_effects: &[bool],
    addresses: &Addresses,
    t: &Thresholds,
) -> Conflicts {
    let takeover: Vec<bool> = events
        .iter()
        .enumerate()
        .map(|(i, e)| is_conflict(e, side_effects.get(i) == Some(&true)))
        .collect();
    if !takeover.contains(&true) {
        return Conflicts {
            takeover,
            insight: None,
        };
    }
    let conflicts: Vec<&Event> = events
        .iter()
        .zip(&takeover)
        .filter(|(_, conflict)| **conflict)
        .map(|(e, _)| e)
        .collect();
    let times: Vec<DateTime<Utc>> = conflicts.iter().map(|e| e.time).collect();
    let densest = most_in_window(&times, t.duplicate_window);
    let switch_times = address_switches(events, &takeover);
    let switches = switch_times.len();
    let fighting = most_in_window(&switch_times, t.duplicate_window) >= SWITCHES_MIN;
    let insight = if conflicts.is_empty() {
        None
    } else if densest >= t.duplicate_min_conflicts as usize || fighting {
        duplicate(events, &conflicts, switches, addresses)
    } else {
        takeovers(events, &conflicts)
    };
    Conflicts { takeover, insight }
}

fn duplicate(
    events: &[Event],
    conflicts: &[&Event],
    switches: usize,
    addresses: &Addresses,
) -> Option<Insight> {
    let (start, end) = (conflicts.first()?.time, conflicts.last()?.time);
    let ids: BTreeSet<AddressId> = events.iter().filter_map(|e| e.address).collect();
    let mut names: Vec<String> = ids
        .into_iter()
        .map(|id| addresses.name(id).to_string())
        .collect();
    names.sort();
    names.dedup();
    let seen = names.len();
    names.truncate(ADDRESSES_KEPT);

    let codes = code_counts(conflicts.iter().filter_map(|e| e.code));
    let tally: Vec<String> = codes
        .iter()
        .map(|c| format!("{} x{}", c.code, c.count))
        .collect();
    let addresses_words = if switches >= SWITCHES_MIN {
        format!(", connects alternate between {seen} addresses ({switches} switches)")
    } else if seen >= 2 {
        format!(", seen from {seen} addresses")
    } else {
        String::new()
    };
    let times: Vec<_> = conflicts.iter().map(|e| e.time).collect();
    Some(Insight {
        kind: InsightKind::DuplicateIdentity,
        severity: Severity::High,
        summary: format!("Duplicate identity: {}{addresses_words}", tally.join(", ")),
        action: "Give every client its own identity; stop duplicate processes, containers or \
                 cloned images that share this device's credentials"
            .to_string(),
        start,
        end,
        first_event: conflicts.first().map(|e| e.sequence),
        location: None,
        evidence: Evidence {
            count: Some(conflicts.len() as u64),
            codes,
            addresses: names,
            times: sample_times(&times),
            ..Evidence::default()
        },
    })
}

/// Isolated conflicts: a newer connection of the same device took over.
fn takeovers(events: &[Event], conflicts: &[&Event]) -> Option<Insight> {
    let (start, end) = (conflicts.first()?.time, conflicts.last()?.time);
    let codes = code_counts(conflicts.iter().filter_map(|e| e.code));
    let tally: Vec<String> = codes
        .iter()
        .map(|c| format!("{} x{}", c.code, c.count))
        .collect();
    // Where the newer connection came from, when its connect is in the log.
    let newer: Vec<Option<bool>> = conflicts
        .iter()
        .map(|conflict| newer_from_same_address(events, conflict))
        .collect();
    let from = match (
        newer.iter().filter(|n| **n == Some(true)).count(),
        newer.iter().filter(|n| **n == Some(false)).count(),
    ) {
        (_, 0) if newer.iter().all(Option::is_some) => {
            ", the newer connection from the same \
                                                       address"
        }
        (0, _) if newer.iter().all(Option::is_some) => {
            ", the newer connection from another \
                                                       address"
        }
        _ => "",
    };
    let times: Vec<_> = conflicts.iter().map(|e| e.time).collect();
    Some(Insight {
        kind: InsightKind::Takeover,
        severity: Severity::Low,
        summary: format!(
            "Connection taken over by a newer one of the same identity: {}{from}; the \
             identity stayed connected",
            tally.join(", ")
        ),
        action: "None if rare: the device opened a new connection before closing the old \
                 one (an application restart or a reconnect on another network). Close the \
                 client before creating a new one; if it recurs, look for a second client \
                 using this identity"
            .to_string(),
        start,
        end,
        first_event: conflicts.first().map(|e| e.sequence),
        location: None,
        evidence: Evidence {
            count: Some(conflicts.len() as u64),
            codes,
            times: sample_times(&times),
            ..Evidence::default()
        },
    })
}

/// Whether the successful connect nearest `conflict` (within [`NEWER_CONNECT_WITHIN`])
/// came from the address the conflict's record names; `None` when either is unknown.
fn newer_from_same_address(events: &[Event], conflict: &Event) -> Option<bool> {
    let old = conflict.address?;
    let newer = events
        .iter()
        .filter(|e| e.is_successful_connect())
        .filter(|e| (e.time - conflict.time).abs() <= NEWER_CONNECT_WITHIN)
        .min_by_key(|e| (e.time - conflict.time).abs())?;
    Some(newer.address? == old)
}

/// The times of successful connects whose address differs from the previous successful
/// connect's, with a conflict between the two.
fn address_switches(events: &[Event], takeover: &[bool]) -> Vec<DateTime<Utc>> {
    let mut switches = Vec::new();
    let mut previous: Option<AddressId> = None;
    let mut conflict_since = false;
    for (event, conflict) in events.iter().zip(takeover) {
        if *conflict {
            conflict_since = true;
        }
        // A connect without an address cannot be compared; it changes nothing.
        if let Some(address) = event.address.filter(|_| event.is_successful_connect()) {
            if previous.is_some_and(|p| p != address) && conflict_since {
                switches.push(event.time);
            }
            previous = Some(address);
            conflict_since = false;
        }
    }
    switches
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::diagnosis::side_effect;
    use crate::analysis::diagnosis::testing::*;

    fn duplicate(events: &[Event], addresses: &Addresses) -> Option<Insight> {
        let t = Thresholds::default();
        detect(
            events,
            &side_effect::detect(events, &t).explained,
            addresses,
            &t,
        )
        .insight
        .filter(|i| i.kind == InsightKind::DuplicateIdentity)
    }

    #[test]
    fn three_400027_in_an_hour_make_a_high_duplicate_identity_with_the_addresses_involved() {
        let mut addresses = Addresses::default();
        let (a, b) = (addresses.intern("10.0.0.x"), addresses.intern("10.0.1.x"));
        let events = timeline(vec![
            ev("09:00:00", Connect, None, Some(a)),
            ev("09:05:00", Connect, None, Some(b)),
            ev("09:05:01", Disconnect, Some(400_027), Some(a)),
            ev("09:06:00", Connect, None, Some(b)),
            ev("09:06:01", Disconnect, Some(400_027), Some(b)),
            ev("09:07:00", Connect, None, Some(b)),
            ev("09:07:01", Disconnect, Some(400_027), Some(b)),
        ]);
        let insight = duplicate(&events, &addresses).expect("duplicate identity");
        assert_eq!(insight.severity, Severity::High);
        assert_eq!(insight.evidence.count, Some(3));
        assert_eq!(insight.evidence.addresses, ["10.0.0.x", "10.0.1.x"]);
        assert_eq!(insight.start, at("09:05:01"));
        assert!(insight.summary.starts_with("Duplicate identity: 400027 x3"));
        assert!(insight.action.contains("own identity"));
    }

    #[test]
    fn connects_alternating_between_addresses_with_real_409002s_are_a_duplicate_identity() {
        let mut addresses = Addresses::default();
        let (a, b) = (addresses.intern("10.0.0.x"), addresses.intern("10.0.1.x"));
        let events = timeline(vec![
            ev("09:00:00", Connect, None, Some(a)),
            ev("09:10:00", Connect, Some(409_002), Some(b)),
            ev("09:10:30", Connect, None, Some(b)),
            ev("09:20:00", Connect, Some(409_002), Some(a)),
            ev("09:20:30", Connect, None, Some(a)),
        ]);
        let insight = duplicate(&events, &addresses).expect("duplicate identity");
        assert!(
            insight
                .summary
                .contains("alternate between 2 addresses (2 switches)")
        );
    }

    #[test]
    fn look_alikes_of_a_shared_identity_are_not_duplicates() {
        let mut addresses = Addresses::default();
        let (a, b) = (addresses.intern("10.0.0.x"), addresses.intern("10.0.1.x"));
        let cases: Vec<(&str, Vec<Event>)> = vec![
            (
                "one 409002 right after a 404104 is a side effect",
                vec![
                    ev("09:00:00", Connect, None, Some(a)),
                    ev("09:10:00", Disconnect, Some(404_104), Some(a)),
                    ev("09:10:05", Connect, Some(409_002), Some(a)),
                    ev("09:10:30", Connect, None, Some(a)),
                ],
            ),
            (
                "one 400027 when the device moves to another network",
                vec![
                    ev("09:00:00", Connect, None, Some(a)),
                    ev("09:10:00", Connect, None, Some(b)),
                    ev("09:10:01", Disconnect, Some(400_027), Some(a)),
                ],
            ),
            (
                "takeovers hours apart from alternating addresses",
                vec![
                    ev("00:00:00", Connect, None, Some(a)),
                    ev("07:00:00", Connect, None, Some(b)),
                    ev("07:00:04", Disconnect, Some(400_027), Some(a)),
                    ev("15:00:00", Connect, None, Some(a)),
                    ev("15:00:01", Disconnect, Some(400_027), Some(b)),
                    ev("23:00:00", Connect, None, Some(b)),
                    ev("23:00:03", Disconnect, Some(400_027), Some(a)),
                ],
            ),
            (
                "two takeovers a day from the same address",
                vec![
                    ev("09:00:00", Connect, None, Some(a)),
                    ev("10:00:00", Connect, None, Some(a)),
                    ev("10:00:01", Disconnect, Some(400_027), Some(a)),
                    ev("21:00:00", Connect, None, Some(a)),
                    ev("21:00:02", Disconnect, Some(400_027), Some(a)),
                ],
            ),
            (
                "alternating addresses whose 409002s follow network drops",
                vec![
                    ev("09:00:00", Connect, None, Some(a)),
                    ev("09:10:00", Disconnect, Some(404_104), Some(a)),
                    ev("09:10:05", Connect, Some(409_002), Some(b)),
                    ev("09:10:30", Connect, None, Some(b)),
                    ev("09:20:00", Disconnect, Some(404_104), Some(b)),
                    ev("09:20:05", Connect, Some(409_002), Some(a)),
                    ev("09:20:30", Connect, None, Some(a)),
                ],
            ),
        ];
        for (case, events) in cases {
            assert_eq!(duplicate(&timeline(events), &addresses), None, "{case}");
        }
    }

    fn conflicts(events: &[Event], addresses: &Addresses) -> Conflicts {
        let t = Thresholds::default();
        detect(
            events,
            &side_effect::detect(events, &t).explained,
            addresses,
            &t,
        )
    }

    #[test]
    fn a_takeover_is_low_marks_its_conflict_and_says_where_the_newer_connection_came_from() {
        let mut addresses = Addresses::default();
        let (a, b) = (addresses.intern("10.0.0.x"), addresses.intern("10.0.1.x"));
        let cases = [
            (Connect, Some(a), 400_027, "from the same address"),
            (Connect, Some(b), 400_027, "from another address"),
            (Disconnect, Some(a), 409_002, "from the same address"),
        ];
        for (operation, newer, code, words) in cases {
            let events = timeline(vec![
                ev("09:00:00", Connect, None, Some(a)),
                ev("10:00:00", Connect, None, newer),
                ev("10:00:01", operation, Some(code), Some(a)),
            ]);
            let found = conflicts(&events, &addresses);
            assert_eq!(found.takeover, [false, false, true]);
            let insight = found.insight.expect("takeover");
            assert_eq!(insight.kind, InsightKind::Takeover);
            assert_eq!(insight.severity, Severity::Low);
            assert!(insight.summary.contains(words), "{}", insight.summary);
            assert_eq!(insight.first_event, Some(2));
        }
    }
}
