//! Every identity's state, found by the record's own `&str` ids without copying them:
//! a lookup per record must not allocate, and a hub has up to millions of devices. Ids
//! are kept inline in the table (most are under 25 bytes), so comparing one on a lookup
//! reads the table's own memory rather than a string elsewhere.

use super::DeviceKey;
use super::device::DeviceState;
use compact_str::CompactString;
use hashbrown::HashMap;
use hashbrown::hash_map::EntryRef;
use rayon::slice::ParallelSliceMut;
use rustc_hash::FxBuildHasher;
use std::collections::BTreeMap;

/// The devices seen so far, and their modules.
#[derive(Debug, Default)]
pub struct Devices {
    by_id: HashMap<CompactString, Identities, FxBuildHasher>,
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
        let identities = match self.by_id.entry_ref(device_id) {
            EntryRef::Occupied(known) => known.into_mut(),
            EntryRef::Vacant(new) => {
                new.insert_with_key(CompactString::from(device_id), Identities::default())
            }
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

    pub fn get_mut(&mut self, key: &DeviceKey) -> Option<&mut DeviceState> {
        let identities = self.by_id.get_mut(key.device_id.as_str())?;
        match &key.module_id {
            None => identities.device.as_mut(),
            Some(module) => identities.modules.get_mut(module),
        }
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
}
