//! Cohorts: a group of identities sharing an attribute (an SDK version, a protocol, an
//! address range, a module, an id prefix such as `cam-`) that has a problem far more
//! often than the rest of the fleet. A bad SDK release or firmware reaches a cohort, and
//! Microsoft's troubleshooting page asks users to list devices by SDK version by hand.
//!
//! For each attribute value and each problem kind, the share of identities with the kind
//! inside the cohort is compared with the share outside it. A cohort is reported when it
//! has at least `cohort_min_devices` identities and as many with the kind, its share is
//! at least `cohort_min_lift` times the rest's, and a one-sided Fisher's exact test (the
//! hypergeometric tail) puts the chance of such a share by luck at most `cohort_max_p`.
//! Attributes the report does not carry (the auth type, the hub's region) are not tried.

use super::diagnosis::{Evidence, Insight, Thresholds};
use crate::analysis::report::{Cohort, DeviceReport};
use crate::model::{InsightKind, Severity};
use crate::rules::sdk;
use statrs::distribution::{DiscreteCDF, Hypergeometric};
use std::collections::BTreeMap;

/// At most this many cohorts are reported, the least likely by luck first.
pub const KEPT: usize = 10;

/// The problem kinds a cohort can share.
const KINDS: [InsightKind; 6] = [
    InsightKind::Flapping,
    InsightKind::DuplicateIdentity,
    InsightKind::CredentialFailure,
    InsightKind::Offline,
    InsightKind::Takeover,
    InsightKind::PeriodicDrop,
];

/// An `sdkVersion`'s name and version (without the platform in brackets after them),
/// and its SDK family's name.
type SdkAttributes<'a> = (&'a str, Option<&'static str>);

fn sdk_attributes(sdk: &str) -> SdkAttributes<'_> {
    let version = sdk.split(" (").next().unwrap_or(sdk).trim();
    (version, sdk::family(sdk).map(|family| family.name))
}

/// The attributes an identity is grouped by, and its value of each. A fleet shares a few
/// `sdkVersion` texts: each is taken apart once, in `sdks`.
fn attributes<'a>(
    device: &'a DeviceReport,
    sdks: &mut rustc_hash::FxHashMap<&'a str, SdkAttributes<'a>>,
) -> Vec<(&'static str, &'a str)> {
    let mut found = Vec::with_capacity(6);
    if let Some(sdk) = &device.sdk_version {
        let (version, family) = *sdks
            .entry(sdk.as_str())
            .or_insert_with(|| sdk_attributes(sdk));
        found.push(("sdk_version", version));
        if let Some(family) = family {
            found.push(("sdk", family));
        }
    }
    if let Some(protocol) = &device.protocol {
        found.push(("protocol", protocol.as_str()));
    }
    if let Some(address) = device.ip_addresses.first() {
        found.push(("address_range", address.as_str()));
    }
    if let Some(module) = &device.module_id {
        found.push(("module", module.as_str()));
    }
    if let Some(prefix) = id_prefix(&device.device_id) {
        found.push(("id_prefix", prefix));
    }
    found
}

/// Attribute and value -> the identities with it.
type Groups<'a> = rustc_hash::FxHashMap<(&'static str, &'a str), Vec<usize>>;

/// The problem kinds of an identity, one bit each (see [`KINDS`]).
type Kinds = u8;

fn bit(kind: InsightKind) -> Kinds {
    KINDS
        .iter()
        .position(|&k| k == kind)
        .map_or(0, |place| 1 << place)
}

/// `cam-` of `cam-0012`, `sensor` of `sensor17`; `None` for an id without either.
fn id_prefix(id: &str) -> Option<&str> {
    if let Some(at) = id
        .find(['-', '_'])
        .filter(|&at| at > 0 && at + 1 < id.len())
    {
        return id.get(..=at);
    }
    let at = id.find(|c: char| c.is_ascii_digit())?;
    (at > 0).then(|| id.get(..at)).flatten()
}

/// The cohorts of the fleet, and each as a fleet insight.
pub fn cohorts(devices: &[&DeviceReport], t: &Thresholds) -> (Vec<Cohort>, Vec<Insight>) {
    let kinds: Vec<Kinds> = devices
        .iter()
        .map(|d| d.insights.iter().fold(0, |bits, i| bits | bit(i.kind)))
        .collect();
    let totals: Vec<u64> = KINDS
        .iter()
        .map(|&kind| kinds.iter().filter(|&&k| k & bit(kind) != 0).count() as u64)
        .collect();
    // Too few identities with any problem for a cohort: nothing to group.
    if totals.iter().all(|&n| n < t.cohort_min_devices) {
        return (Vec::new(), Vec::new());
    }
    // Attribute and value -> the identities in the cohort. Hashed: the cohorts found are
    // sorted on their own, so the groups' order does not matter.
    let mut groups: Groups<'_> = Groups::default();
    let mut sdks = rustc_hash::FxHashMap::default();
    for (index, device) in devices.iter().enumerate() {
        for key in attributes(device, &mut sdks) {
            groups.entry(key).or_default().push(index);
        }
    }
    let total = devices.len() as u64;
    let mut found: Vec<(Cohort, &[usize])> = Vec::new();
    for (&(attribute, value), members) in &groups {
        let size = members.len() as u64;
        if size < t.cohort_min_devices || size >= total {
            continue;
        }
        for (&kind, &all) in KINDS.iter().zip(&totals) {
            let inside = members
                .iter()
                .filter(|&&i| kinds[i] & bit(kind) != 0)
                .count() as u64;
            let counts = Counts {
                total,
                all,
                size,
                inside,
            };
            if let Some(cohort) = counts.cohort(kind, t) {
                found.push((
                    Cohort {
                        attribute,
                        value: value.to_string(),
                        ..cohort
                    },
                    members,
                ));
            }
        }
    }
    found.sort_by(|(a, _), (b, _)| {
        a.p_value
            .total_cmp(&b.p_value)
            .then_with(|| b.with_kind.cmp(&a.with_kind))
            .then_with(|| a.attribute.cmp(b.attribute))
            .then_with(|| a.value.cmp(&b.value))
    });
    // A cohort that only contains a more telling one (the C SDK around its 1.9.0) says
    // nothing more: each is tested again without the identities of the cohorts already
    // kept for its kind, and kept only if it still stands out.
    let mut kept: Vec<Cohort> = Vec::new();
    // Per kind: the identities of the cohorts kept for it, and how many they are.
    let mut told: BTreeMap<InsightKind, (Vec<bool>, u64)> = BTreeMap::new();
    for (cohort, members) in found {
        let (known, known_count) = told
            .entry(cohort.kind)
            .or_insert_with(|| (vec![false; kinds.len()], 0));
        let without = |i: &usize| !known[*i];
        let has = |i: usize| kinds[i] & bit(cohort.kind) != 0;
        let counts = Counts {
            total: total - *known_count,
            all: (0..kinds.len()).filter(|i| without(i) && has(*i)).count() as u64,
            size: members.iter().filter(|i| without(i)).count() as u64,
            inside: members.iter().filter(|i| without(i) && has(**i)).count() as u64,
        };
        if counts.cohort(cohort.kind, t).is_none() {
            continue;
        }
        for &member in members {
            if !known[member] {
                known[member] = true;
                *known_count += 1;
            }
        }
        kept.push(cohort);
        if kept.len() == KEPT {
            break;
        }
    }
    let insights = kept
        .iter()
        .map(|cohort| insight(cohort, devices, &groups))
        .collect();
    (kept, insights)
}

/// Identities in the fleet and the cohort, all and with the kind.
#[derive(Debug, Clone, Copy)]
struct Counts {
    total: u64,
    all: u64,
    size: u64,
    inside: u64,
}

impl Counts {
    /// The cohort when it stands out from the rest of the fleet as the module explains;
    /// the cheap conditions first, the test last.
    fn cohort(self, kind: InsightKind, t: &Thresholds) -> Option<Cohort> {
        let Counts {
            total,
            all,
            size,
            inside,
        } = self;
        if size < t.cohort_min_devices || size >= total || inside < t.cohort_min_devices {
            return None;
        }
        let (others, others_with) = (total - size, all - inside);
        let share = inside as f64 / size as f64;
        let lift = if others_with == 0 {
            f64::INFINITY
        } else {
            share / (others_with as f64 / others as f64)
        };
        if lift < t.cohort_min_lift {
            return None;
        }
        let p_value = Hypergeometric::new(total, all, size).ok()?.sf(inside - 1);
        (p_value <= t.cohort_max_p).then_some(Cohort {
            kind,
            attribute: "",
            value: String::new(),
            devices: size,
            with_kind: inside,
            others,
            others_with_kind: others_with,
            p_value,
        })
    }
}

fn insight(cohort: &Cohort, devices: &[&DeviceReport], groups: &Groups<'_>) -> Insight {
    let members = groups
        .get(&(cohort.attribute, cohort.value.as_str()))
        .map_or(&[][..], Vec::as_slice);
    let hit: Vec<&DeviceReport> = members
        .iter()
        .filter_map(|&i| devices.get(i).copied())
        .filter(|d| d.insights.iter().any(|i| i.kind == cohort.kind))
        .collect();
    let start = hit.iter().map(|d| d.first_seen).min().unwrap_or_default();
    let end = hit.iter().map(|d| d.last_seen).max().unwrap_or_default();
    let mut ids: Vec<String> = hit.iter().map(|d| d.identity()).collect();
    ids.sort();
    ids.truncate(20);
    let percent = |part: u64, whole: u64| 100.0 * part as f64 / whole.max(1) as f64;
    Insight {
        kind: InsightKind::Cohort,
        severity: Severity::Info,
        summary: format!(
            "{}: {} of {} identities with {} {} ({:.0}%), {} of {} others ({:.1}%)",
            cohort.kind.as_str(),
            cohort.with_kind,
            cohort.devices,
            cohort.attribute,
            cohort.value,
            percent(cohort.with_kind, cohort.devices),
            cohort.others_with_kind,
            cohort.others,
            percent(cohort.others_with_kind, cohort.others),
        ),
        action: format!(
            "Look at what sets {} {} apart (an SDK or firmware release, a configuration, a \
             network) and compare it with the devices without the problem",
            cohort.attribute, cohort.value
        ),
        start,
        end,
        first_event: None,
        location: None,
        evidence: Evidence {
            count: Some(cohort.with_kind),
            devices: Some(cohort.devices),
            device_ids: ids,
            ..Evidence::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_prefixes_are_the_part_before_the_number() {
        assert_eq!(id_prefix("cam-0012"), Some("cam-"));
        assert_eq!(id_prefix("sensor17"), Some("sensor"));
        assert_eq!(id_prefix("gw_edge_01"), Some("gw_"));
        assert_eq!(id_prefix("pump"), None);
        assert_eq!(id_prefix("-x"), None);
        assert_eq!(id_prefix("17"), None);
    }
}
