//! What the analysis keeps of one record: a few words, no text. Device timelines and
//! the pattern detectors work on these.

use crate::model::{Level, Operation, Record};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// One analyzed record of a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    pub time: DateTime<Utc>,
    /// Arrival order across all inputs; breaks ties between equal times.
    pub sequence: u64,
    pub operation: Operation,
    pub level: Level,
    /// The numeric `ResultType`, when there is one.
    pub code: Option<u32>,
    /// The client address, interned in [`Addresses`].
    pub address: Option<AddressId>,
}

impl Event {
    pub fn new(record: &Record, sequence: u64, address: Option<AddressId>) -> Event {
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
    pub fn order_key(&self) -> (DateTime<Utc>, u64) {
        (self.time, self.sequence)
    }
}

/// Index of an interned client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AddressId(u32);

/// Client addresses (`maskedIpAddress`), stored once for the whole fleet.
#[derive(Debug, Default)]
pub struct Addresses {
    ids: HashMap<String, AddressId>,
    names: Vec<String>,
}

impl Addresses {
    pub fn intern(&mut self, address: &str) -> AddressId {
        if let Some(id) = self.ids.get(address) {
            return *id;
        }
        let id = AddressId(u32::try_from(self.names.len()).unwrap_or(u32::MAX));
        self.names.push(address.to_string());
        self.ids.insert(address.to_string(), id);
        id
    }

    pub fn name(&self, id: AddressId) -> &str {
        self.names.get(id.0 as usize).map_or("", String::as_str)
    }
}
