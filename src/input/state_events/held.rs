//! Connection-state events held until their input is read, then handed on with each
//! device's numbered events in the order of their sequence numbers.

use super::{Parsed, StateEvent};
use crate::input::{Outcome, Sink};
use crate::model::Position;
use chrono::{DateTime, Utc};
use compact_str::CompactString;

/// An input's outcomes, held until it is read so that each device's events can be put
/// in the order of their sequence numbers.
#[derive(Debug, Default)]
pub struct Held {
    outcomes: Vec<(Position, Kept)>,
}

/// An outcome held: an event, which may still be reordered, or anything else.
#[derive(Debug)]
enum Kept {
    Event(StateEvent),
    Other(Outcome),
}

impl Held {
    pub fn push(&mut self, position: Position, parsed: Parsed) {
        let held = match parsed {
            Parsed::Event(event) => Kept::Event(event),
            Parsed::Filtered(reason) => Kept::Other(Outcome::Filtered(reason)),
            Parsed::Skipped(reason) => Kept::Other(Outcome::Skipped(reason)),
        };
        self.outcomes.push((position, held));
    }

    pub fn push_outcome(&mut self, position: Position, outcome: Outcome) {
        self.outcomes.push((position, Kept::Other(outcome)));
    }

    /// Hands everything to the sink: each device's numbered events take the places its
    /// events arrived in, in the order of their numbers, and an event whose time is
    /// earlier than that of a lower number takes that time (so arrival order, which is
    /// now number order, decides between them). Says how many times were moved.
    pub fn deliver(self, input: usize, sink: &mut dyn Sink) {
        let (outcomes, moved) = order_by_sequence(self.outcomes);
        if moved > 0 {
            sink.warning(
                input,
                format!(
                    "{moved} connection-state event{} came earlier in time than an event of the same device with a lower sequenceNumber: ordered by sequenceNumber",
                    if moved == 1 { "" } else { "s" }
                ),
            );
        }
        for (position, held) in outcomes {
            let outcome = match held {
                Kept::Event(event) => Outcome::Record(event.record()),
                Kept::Other(outcome) => outcome,
            };
            sink.outcome(position, outcome);
        }
    }
}

/// A sequence number as it sorts: without leading zeros, shorter first, then by digit.
fn sequence_key(sequence: &str) -> (usize, String) {
    let digits = sequence.trim().trim_start_matches('0').to_ascii_lowercase();
    (digits.len(), digits)
}

/// Puts each device's numbered events in number order within the places they hold, and
/// moves a time earlier than its predecessor's up to it. Returns how many were moved.
fn order_by_sequence(outcomes: Vec<(Position, Kept)>) -> (Vec<(Position, Kept)>, usize) {
    type Key = (CompactString, Option<CompactString>, (usize, String), usize);
    let mut numbered: Vec<Key> = outcomes
        .iter()
        .enumerate()
        .filter_map(|(at, (_, held))| match held {
            Kept::Event(event) => event.sequence.as_deref().map(|sequence| {
                let key = sequence_key(sequence);
                (event.device_id.clone(), event.module_id.clone(), key, at)
            }),
            Kept::Other(_) => None,
        })
        .collect();
    if numbered.is_empty() {
        return (outcomes, 0);
    }
    numbered.sort();
    // Which outcome goes to each place.
    let mut source: Vec<usize> = (0..outcomes.len()).collect();
    for device in numbered.chunk_by(|a, b| (&a.0, &a.1) == (&b.0, &b.1)) {
        let mut places: Vec<usize> = device.iter().map(|entry| entry.3).collect();
        places.sort_unstable();
        for (place, entry) in places.into_iter().zip(device) {
            source[place] = entry.3;
        }
    }
    let mut taken: Vec<Option<(Position, Kept)>> = outcomes.into_iter().map(Some).collect();
    let mut ordered: Vec<(Position, Kept)> = source
        .into_iter()
        .filter_map(|from| taken.get_mut(from).and_then(Option::take))
        .collect();
    // Within a device, in place order (now number order), no time goes back.
    let mut latest: std::collections::BTreeMap<
        (CompactString, Option<CompactString>),
        DateTime<Utc>,
    > = std::collections::BTreeMap::new();
    let mut moved = 0;
    for (_, held) in &mut ordered {
        let Kept::Event(event) = held else { continue };
        if event.sequence.is_none() {
            continue;
        }
        let key = (event.device_id.clone(), event.module_id.clone());
        match latest.get(&key) {
            Some(&time) if event.time < time => {
                event.time = time;
                moved += 1;
            }
            _ => {
                latest.insert(key, event.time);
            }
        }
    }
    (ordered, moved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_compare_as_numbers() {
        assert!(sequence_key("00ff") > sequence_key("0fe"));
        assert!(sequence_key("10") > sequence_key("0F"));
        assert_eq!(sequence_key("0A"), sequence_key("a"));
    }
}
