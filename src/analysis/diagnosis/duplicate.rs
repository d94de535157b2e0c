//! Duplicate identity: two clients (a cloned image, a duplicated container, an edge
//! module and a direct connection) share one device identity, and IoT Hub allows one
//! connection per identity, so each new connection throws the other one out.
//!
//! Fires on at least `duplicate_min_400027` `400027 ConnectionForcefullyClosedOnNewConnection`,
//! or on successful connects switching between client addresses back and forth (two
//! switches or more) with a `400027` or a real `409002` between them. One switch alone is
//! a device that moved networks before the hub noticed its old connection was gone.

use super::insight::{Evidence, Insight, InsightKind, code_counts, sample_times};
use super::thresholds::Thresholds;
use crate::analysis::event::{AddressId, Addresses, Event};
use crate::model::Severity;
use std::collections::BTreeSet;

const FORCEFULLY_CLOSED: u32 = 400_027;
const LINK_CREATION_CONFLICT: u32 = 409_002;
/// Address switches (with a conflict between) that make clients alternate; one switch is
/// a device that moved networks.
const SWITCHES_MIN: usize = 2;
/// At most this many addresses are listed.
const ADDRESSES_KEPT: usize = 20;

/// `side_effects` marks the 409002s explained by an earlier error (same length as `events`).
pub fn detect(
    events: &[Event],
    side_effects: &[bool],
    addresses: &Addresses,
    t: &Thresholds,
) -> Option<Insight> {
    let conflicts: Vec<&Event> = events
        .iter()
        .enumerate()
        .filter(|(i, e)| match e.code {
            Some(FORCEFULLY_CLOSED) => true,
            Some(LINK_CREATION_CONFLICT) => side_effects.get(*i) != Some(&true),
            _ => false,
        })
        .map(|(_, e)| e)
        .collect();
    let forced = conflicts
        .iter()
        .filter(|e| e.code == Some(FORCEFULLY_CLOSED))
        .count();
    let switches = address_switches(events, side_effects);
    if forced < t.duplicate_min_400027 as usize && switches < SWITCHES_MIN {
        return None;
    }

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
        evidence: Evidence {
            count: Some(conflicts.len() as u64),
            codes,
            addresses: names,
            times: sample_times(&times),
            ..Evidence::default()
        },
    })
}

/// Successful connects from a different address than the previous successful connect,
/// with a 400027 or a real 409002 since that previous connect.
fn address_switches(events: &[Event], side_effects: &[bool]) -> usize {
    let mut switches = 0;
    let mut previous: Option<AddressId> = None;
    let mut conflict_since = false;
    for (i, event) in events.iter().enumerate() {
        match event.code {
            Some(FORCEFULLY_CLOSED) => conflict_since = true,
            Some(LINK_CREATION_CONFLICT) if side_effects.get(i) != Some(&true) => {
                conflict_since = true;
            }
            _ => {}
        }
        // A connect without an address cannot be compared; it changes nothing.
        if let Some(address) = event.address.filter(|_| event.is_successful_connect()) {
            if previous.is_some_and(|p| p != address) && conflict_since {
                switches += 1;
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
    }

    #[test]
    fn two_400027_make_a_high_duplicate_identity_with_the_addresses_involved() {
        let mut addresses = Addresses::default();
        let (a, b) = (addresses.intern("10.0.0.x"), addresses.intern("10.0.1.x"));
        let events = timeline(vec![
            ev("09:00:00", Connect, None, Some(a)),
            ev("09:05:00", Connect, None, Some(b)),
            ev("09:05:01", Disconnect, Some(400_027), Some(a)),
            ev("09:06:00", Connect, None, Some(a)),
            ev("09:06:01", Disconnect, Some(400_027), Some(b)),
        ]);
        let insight = duplicate(&events, &addresses).expect("duplicate identity");
        assert_eq!(insight.severity, Severity::High);
        assert_eq!(insight.evidence.count, Some(2));
        assert_eq!(insight.evidence.addresses, ["10.0.0.x", "10.0.1.x"]);
        assert_eq!(insight.start, at("09:05:01"));
        assert!(insight.summary.starts_with("Duplicate identity: 400027 x2"));
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
}
