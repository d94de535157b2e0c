//! Where the fleet's drops fall: per hour, per SDK version and protocol, and the
//! identities that drop most. A drop is a lost connection that nothing benign explains
//! (see the mass disconnect detector), counted once however many records it left.

use super::diagnosis::{Dropped, FleetDevice};
use crate::analysis::report::{Breakdown, GroupDrops, HourDrops, IdentityDrops};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// At most this many groups and identities are listed, most drops first.
const KEPT: usize = 10;

/// The breakdown of `drops` (per identity, its drops).
pub fn breakdown(devices: &[FleetDevice<'_>], drops: &[Vec<Dropped>]) -> Breakdown {
    // Hours are few; a hashed count per hour is sorted once at the end.
    let mut per_hour: rustc_hash::FxHashMap<i64, u64> = rustc_hash::FxHashMap::default();
    let mut by_sdk: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    let mut by_protocol: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    // Drops and place of each identity that dropped; named only once chosen.
    let mut most: Vec<(u64, usize)> = Vec::new();
    for (place, (device, indices)) in devices.iter().zip(drops).enumerate() {
        if indices.is_empty() {
            continue;
        }
        for dropped in indices {
            *per_hour.entry(dropped.minute.div_euclid(60)).or_default() += 1;
        }
        let count = indices.len() as u64;
        let sdk = device
            .sdk_version
            .map_or("unknown", |s| s.split(" (").next().unwrap_or(s));
        for (map, key) in [
            (&mut by_sdk, sdk),
            (&mut by_protocol, device.protocol.unwrap_or("unknown")),
        ] {
            let entry = map.entry(key).or_default();
            entry.0 += count;
            entry.1 += 1;
        }
        most.push((count, place));
    }
    let by_drops = |a: &(u64, usize), b: &(u64, usize)| {
        b.0.cmp(&a.0)
            .then_with(|| devices[a.1].name.cmp(devices[b.1].name))
    };
    if most.len() > KEPT {
        most.select_nth_unstable_by(KEPT, by_drops);
        most.truncate(KEPT);
    }
    most.sort_by(by_drops);
    let most: Vec<IdentityDrops> = most
        .iter()
        .map(|&(drops, place)| IdentityDrops {
            identity: devices[place].name.to_string(),
            drops,
        })
        .collect();
    Breakdown {
        drops: drops.iter().map(|d| d.len() as u64).sum(),
        per_hour: per_hour
            .into_iter()
            .collect::<BTreeMap<i64, u64>>()
            .into_iter()
            .filter_map(|(hour, drops)| {
                Some(HourDrops {
                    hour: DateTime::<Utc>::from_timestamp(hour * 3600, 0)?,
                    drops,
                })
            })
            .collect(),
        by_sdk_version: groups(by_sdk),
        by_protocol: groups(by_protocol),
        most_drops: most,
    }
}

fn groups(map: BTreeMap<&str, (u64, u64)>) -> Vec<GroupDrops> {
    let mut list: Vec<GroupDrops> = map
        .into_iter()
        .map(|(value, (drops, identities))| GroupDrops {
            value: value.to_string(),
            drops,
            identities,
        })
        .collect();
    // Stable over the map's order: ties stay sorted by value.
    list.sort_by_key(|g| std::cmp::Reverse(g.drops));
    list.truncate(KEPT);
    list
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::diagnosis::testing::*;

    #[test]
    fn drops_are_counted_per_hour_group_and_identity() {
        let a = timeline(vec![
            ev("09:10:00", Disconnect, Some(404_104), None),
            ev("09:20:00", Disconnect, Some(404_104), None),
            ev("10:05:00", Disconnect, Some(404_104), None),
        ]);
        let b = timeline(vec![ev("09:30:00", Disconnect, None, None)]);
        let none_a = vec![None; a.len()];
        let none_b = vec![None; b.len()];
        let device = |name, events, explained, sdk| FleetDevice {
            name,
            events,
            explained,
            connects_logged: true,
            address: None,
            protocol: Some("Mqtt"),
            sdk_version: sdk,
        };
        let devices = [
            device("a", &a[..], &none_a[..], Some("C/1.9.0 (ThreadX)")),
            device("b", &b[..], &none_b[..], None),
        ];
        let dropped =
            |events: &[crate::analysis::event::Event], indices: &[usize]| -> Vec<Dropped> {
                indices
                    .iter()
                    .map(|&index| Dropped {
                        index,
                        minute: events[index].time.timestamp().div_euclid(60),
                    })
                    .collect()
            };
        let found = breakdown(&devices, &[dropped(&a, &[0, 1, 2]), dropped(&b, &[0])]);
        assert_eq!(found.drops, 4);
        let hours: Vec<(String, u64)> = found
            .per_hour
            .iter()
            .map(|h| (h.hour.format("%H").to_string(), h.drops))
            .collect();
        assert_eq!(hours, [("09".to_string(), 3), ("10".to_string(), 1)]);
        assert_eq!(found.by_sdk_version[0].value, "C/1.9.0");
        assert_eq!(found.by_protocol[0].drops, 4);
        assert_eq!(found.by_protocol[0].identities, 2);
        assert_eq!(found.most_drops[0].identity, "a");
    }
}
