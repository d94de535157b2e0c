//! Every identity's state, found by the record's own `&str` ids without copying them:
//! a lookup per record must not allocate, and a hub has up to millions of devices. Ids
//! are kept inline in the table (most are under 25 bytes), so comparing one on a lookup
//! reads the table's own memory rather than a string elsewhere.

use super::DeviceKey;
use super::state::DeviceState;
use crate::memory;
use compact_str::CompactString;
use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use rayon::slice::ParallelSliceMut;
use rustc_hash::FxBuildHasher;
use std::collections::BTreeMap;
use std::hash::BuildHasher;

/// The devices seen so far, and their modules: each id beside its identities, found by
/// the hash of the id.
#[derive(Debug, Default)]
pub struct Devices {
    by_id: HashTable<(CompactString, Identities)>,
}

/// The unit the processor fetches memory in, on the machines the tool runs on.
const CACHE_LINE: usize = 64;

fn hash(device_id: &str) -> u64 {
    FxBuildHasher.hash_one(device_id)
}

/// A device id's own state, and its modules' states.
#[derive(Debug, Default)]
struct Identities {
    device: Option<DeviceState>,
    modules: BTreeMap<String, DeviceState>,
}

impl Devices {
    /// The state of `device_id` (or its module), created empty the first time.
    pub fn state(&mut self, device_id: &str, module_id: Option<&str>) -> &mut DeviceState {
        // One lookup, which copies the id only when it is new.
        let found = self.by_id.entry(
            hash(device_id),
            |(id, _)| id == device_id,
            |(id, _)| hash(id),
        );
        let (_, identities) = match found {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(new) => new
                .insert((CompactString::from(device_id), Identities::default()))
                .into_mut(),
        };
        match module_id {
            None => identities.device.get_or_insert_with(DeviceState::default),
            Some(module) => {
                if !identities.modules.contains_key(module) {
                    identities
                        .modules
                        .insert(module.to_string(), DeviceState::default());
                }
                let Some(state) = identities.modules.get_mut(module) else {
                    unreachable!("inserted above")
                };
                state
            }
        }
    }

    /// Asks the processor to fetch the table entry of `device_id` ahead of its record,
    /// without reading the table's entries: a record's device is in no cache when the
    /// fleet is large, and the wait for it is most of what taking the record costs.
    pub fn prefetch_entry(&self, device_id: &str) {
        // The first entry whose tag (7 bits of the hash) matches: almost always the
        // device's own, and a wrong guess costs only a useless fetch.
        if let Some(entry) = self.by_id.find(hash(device_id), |_| true) {
            let start = std::ptr::from_ref(entry).cast::<u8>();
            for offset in (0..size_of_val(entry)).step_by(CACHE_LINE) {
                memory::prefetch(start.wrapping_add(offset));
            }
        }
    }

    /// Asks the processor to fetch what adding a record of `device_id` touches beyond
    /// its entry (see [`DeviceState::prefetch`]); the entry is read, so it should have
    /// been fetched a while before.
    pub fn prefetch_state(&self, device_id: &str) {
        if let Some((_, identities)) = self.by_id.find(hash(device_id), |(id, _)| id == device_id)
            && let Some(state) = &identities.device
        {
            state.prefetch();
        }
    }

    pub fn get(&self, key: &DeviceKey) -> Option<&DeviceState> {
        let device_id = key.device_id.as_str();
        let (_, identities) = self
            .by_id
            .find(hash(device_id), |(id, _)| id == device_id)?;
        match &key.module_id {
            None => identities.device.as_ref(),
            Some(module) => identities.modules.get(module),
        }
    }

    pub fn get_mut(&mut self, key: &DeviceKey) -> Option<&mut DeviceState> {
        let device_id = key.device_id.as_str();
        let (_, identities) = self
            .by_id
            .find_mut(hash(device_id), |(id, _)| id == device_id)?;
        match &key.module_id {
            None => identities.device.as_mut(),
            Some(module) => identities.modules.get_mut(module),
        }
    }

    /// Every identity's state, in no particular order.
    pub fn states(&self) -> impl Iterator<Item = &DeviceState> + '_ {
        self.by_id.iter().flat_map(|(_, identities)| {
            (identities.device.iter()).chain(identities.modules.values())
        })
    }

    /// Every identity, in no particular order.
    pub fn keys(&self) -> impl Iterator<Item = DeviceKey> + '_ {
        self.by_id.iter().flat_map(|(device_id, identities)| {
            let own = identities.device.as_ref().map(|_| DeviceKey {
                device_id: device_id.to_string(),
                module_id: None,
            });
            let modules = identities.modules.keys().map(move |module| DeviceKey {
                device_id: device_id.to_string(),
                module_id: Some(module.clone()),
            });
            own.into_iter().chain(modules)
        })
    }

    /// Every identity with its state, sorted by identity.
    pub fn into_sorted(self) -> Vec<(DeviceKey, DeviceState)> {
        let mut all: Vec<(DeviceKey, DeviceState)> = Vec::with_capacity(self.by_id.len());
        for (device_id, identities) in self.by_id {
            let device_id = device_id.into_string();
            for (module, state) in identities.modules {
                all.push((
                    DeviceKey {
                        device_id: device_id.clone(),
                        module_id: Some(module),
                    },
                    state,
                ));
            }
            if let Some(state) = identities.device {
                all.push((
                    DeviceKey {
                        device_id,
                        module_id: None,
                    },
                    state,
                ));
            }
        }
        // Identities are unique: an unstable sort gives the one order.
        all.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_and_its_modules_are_separate_identities_in_sorted_order() {
        let mut devices = Devices::default();
        devices.state("pump-2", None);
        devices.state("pump-1", Some("edgeAgent"));
        devices.state("pump-1", None);
        devices.state("pump-1", None);
        let keys: Vec<String> = devices
            .into_sorted()
            .into_iter()
            .map(|(key, _)| key.identity())
            .collect();
        assert_eq!(keys, ["pump-1", "pump-1/edgeAgent", "pump-2"]);
    }

    #[test]
    fn identities_are_found_again_by_id_and_a_prefetch_finds_or_adds_nothing() {
        let mut devices = Devices::default();
        // Enough devices that the table grows (and rehashes) several times.
        for n in 0..1000 {
            devices.state(&format!("meter-{n}"), None);
        }
        devices.state("meter-7", Some("sensor"));
        for id in ["meter-7", "never-seen"] {
            devices.prefetch_entry(id);
            devices.prefetch_state(id);
        }
        let key = |id: &str, module: Option<&str>| DeviceKey {
            device_id: id.to_string(),
            module_id: module.map(str::to_string),
        };
        assert!(devices.get_mut(&key("meter-999", None)).is_some());
        assert!(devices.get_mut(&key("meter-7", Some("sensor"))).is_some());
        assert!(devices.get_mut(&key("meter-7", Some("other"))).is_none());
        assert!(devices.get_mut(&key("never-seen", None)).is_none());
        assert_eq!(devices.keys().count(), 1001);
    }
}
