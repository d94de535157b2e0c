//! What the analysis keeps of one record: a few words, no text. Device timelines and
//! the pattern detectors work on these.

use crate::model::{Level, Operation, Record};
use chrono::{DateTime, Utc};
use rustc_hash::FxHashMap;
use std::num::NonZeroU32;

/// One analyzed record of a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    pub time: DateTime<Utc>,
    /// Arrival order across all inputs; breaks ties between equal times. (It saturates
    /// at 4 billion records, where only ties of equal times would order arbitrarily.)
    pub sequence: u32,
    pub operation: Operation,
    pub level: Level,
    /// The numeric `ResultType`, when there is one.
    pub code: Option<u32>,
    /// The client address, interned in [`Addresses`].
    pub address: Option<AddressId>,
}

impl Event {
    pub fn new(record: &Record, sequence: u32, address: Option<AddressId>) -> Event {
        Event {
            time: record.time,
            sequence,
            operation: record.operation,
            level: record.level,
            code: record.code.as_deref().and_then(|code| code.parse().ok()),
            address,
        }
    }

    /// A `deviceConnect` without an error level or code.
    pub fn is_successful_connect(&self) -> bool {
        self.operation == Operation::Connect && !self.level.is_error() && self.code.is_none()
    }

    /// A `deviceDisconnect`, or a connect the hub refused.
    pub fn is_drop(&self) -> bool {
        self.operation == Operation::Disconnect
            || (self.operation == Operation::Connect && !self.is_successful_connect())
    }

    /// Carries an error code or an error level.
    pub fn is_error(&self) -> bool {
        self.code.is_some() || self.level.is_error()
    }

    /// Orders events by time, then arrival.
    pub fn order_key(&self) -> (DateTime<Utc>, u32) {
        (self.time, self.sequence)
    }
}

/// Index of an interned client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AddressId(NonZeroU32);

/// Client addresses (`maskedIpAddress`), stored once for the whole fleet.
#[derive(Debug, Default)]
pub struct Addresses {
    ids: FxHashMap<String, AddressId>,
    names: Vec<String>,
}

impl Addresses {
    pub fn intern(&mut self, address: &str) -> AddressId {
        if let Some(id) = self.ids.get(address) {
            return *id;
        }
        // Ids start at 1 so that `Option<AddressId>` takes no more room than the id.
        let index = u32::try_from(self.names.len() + 1).unwrap_or(u32::MAX);
        let id = AddressId(NonZeroU32::new(index).unwrap_or(NonZeroU32::MAX));
        self.names.push(address.to_string());
        self.ids.insert(address.to_string(), id);
        id
    }

    pub fn name(&self, id: AddressId) -> &str {
        self.names
            .get(id.0.get() as usize - 1)
            .map_or("", String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_stays_compact() {
        // Memory grows with events: a few words each, not the record's text.
        assert!(
            std::mem::size_of::<Event>() <= 32,
            "{} bytes",
            std::mem::size_of::<Event>()
        );
    }

    #[test]
    fn addresses_are_interned_once() {
        let mut addresses = Addresses::default();
        let first = addresses.intern("203.0.113.XXX");
        let second = addresses.intern("198.51.100.XXX");
        assert_eq!(addresses.intern("203.0.113.XXX"), first);
        assert_eq!(addresses.name(first), "203.0.113.XXX");
        assert_eq!(addresses.name(second), "198.51.100.XXX");
    }
}
