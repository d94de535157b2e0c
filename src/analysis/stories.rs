//! The stories of the identities a report shows in detail (the HTML report's worst
//! devices): when each was connected, and its drops and errors with their codes. The
//! report itself keeps no events, so they are taken here while the analyzer still has
//! them, compactly and capped per identity, and only those of the worst identities are
//! kept once the report has ranked them.

use super::event::Event;
use super::report::{DeviceReport, Report};
use super::timeline::sessions;
use super::{Analyzer, DeviceKey};
use chrono::{DateTime, Utc};
use rustc_hash::FxHashMap;

/// Sessions kept per identity, the earliest first; the rest are counted.
pub const SESSIONS_KEPT: usize = 200;
/// Drops and errors kept per identity, the earliest first; the rest are counted.
pub const MARKS_KEPT: usize = 200;

/// A stretch of time an identity was connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connected {
    /// `None`: since before the log starts.
    pub from: Option<DateTime<Utc>>,
    /// `None`: still connected at the end of the log, or its end is not in the log.
    pub to: Option<DateTime<Utc>>,
    /// The code of the drop that ended it.
    pub ended_by: Option<u32>,
}

/// A drop or an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pub time: DateTime<Utc>,
    pub code: Option<u32>,
    /// A lost connection (a disconnect, or a connect the hub refused); otherwise an
    /// error record that ended nothing.
    pub drop: bool,
}

/// One identity's story.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Story {
    pub sessions: Vec<Connected>,
    pub sessions_omitted: u64,
    pub marks: Vec<Mark>,
    pub marks_omitted: u64,
}

impl Story {
    /// The story of one identity's sealed events (in time order, repeats dropped).
    pub fn of(events: &[Event]) -> Story {
        let all = sessions(events);
        let sessions_omitted = all.len().saturating_sub(SESSIONS_KEPT) as u64;
        let sessions = all
            .into_iter()
            .take(SESSIONS_KEPT)
            .map(|session| Connected {
                from: session.from,
                to: session.to,
                ended_by: session.ended_by.and_then(|code| code.parse().ok()),
            })
            .collect();
        let mut marks = Vec::new();
        let mut marks_omitted = 0;
        for event in events.iter().filter(|e| e.is_drop() || e.is_error()) {
            if marks.len() < MARKS_KEPT {
                marks.push(Mark {
                    time: event.time,
                    code: event.code,
                    drop: event.is_drop(),
                });
            } else {
                marks_omitted += 1;
            }
        }
        Story {
            sessions,
            sessions_omitted,
            marks,
            marks_omitted,
        }
    }
}

/// The stories of the identities a report details.
#[derive(Debug, Clone, Default)]
pub struct Stories {
    by_identity: FxHashMap<DeviceKey, Story>,
}

impl Stories {
    /// The story of a device of the report, when it is one of those kept.
    pub fn get(&self, device: &DeviceReport) -> Option<&Story> {
        self.by_identity.get(&key(device))
    }

    pub fn len(&self) -> usize {
        self.by_identity.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_identity.is_empty()
    }
}

impl FromIterator<(DeviceKey, Story)> for Stories {
    fn from_iter<I: IntoIterator<Item = (DeviceKey, Story)>>(iter: I) -> Stories {
        Stories {
            by_identity: iter.into_iter().collect(),
        }
    }
}

fn key(device: &DeviceReport) -> DeviceKey {
    DeviceKey {
        device_id: device.device_id.clone(),
        module_id: device.module_id.clone(),
    }
}

impl Analyzer {
    /// The report, as [`Analyzer::finish`] builds it, carrying the stories of its first
    /// `keep` devices (the worst). Sealing happens here, with the repeats it drops
    /// counted as `finish` counts them; `finish` then finds nothing more to drop.
    pub fn finish_with_stories(mut self, keep: usize) -> Report {
        let keep_repeats = self.filter.keep_duplicates;
        let keys: Vec<DeviceKey> = self.devices.keys().collect();
        let mut repeats = Vec::new();
        let mut all: FxHashMap<DeviceKey, Story> = FxHashMap::default();
        all.reserve(keys.len());
        for key in keys {
            if let Some(state) = self.devices.get_mut(&key) {
                repeats.extend(state.seal(keep_repeats));
                all.insert(key, Story::of(state.events()));
            }
        }
        self.filter_repeats(&repeats);
        let mut report = self.finish();
        report.stories = report
            .devices
            .iter()
            .take(keep)
            .filter_map(|device| all.remove_entry(&key(device)))
            .collect();
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::diagnosis::testing::{Connect, Disconnect, ev};

    #[test]
    fn a_story_has_the_sessions_and_the_drops_and_errors_with_their_codes() {
        let events = [
            ev("09:10:04", Disconnect, Some(404104), None),
            ev("09:10:31", Connect, None, None),
            ev("09:40:31", Disconnect, Some(500008), None),
            ev("09:41:00", Connect, None, None),
        ];
        let story = Story::of(&events);
        assert_eq!(story.sessions.len(), 3);
        assert_eq!(story.sessions[1].ended_by, Some(500008));
        assert_eq!(
            story.marks.iter().map(|m| m.code).collect::<Vec<_>>(),
            [Some(404104), Some(500008)]
        );
        assert!(story.marks.iter().all(|m| m.drop));
        assert_eq!((story.sessions_omitted, story.marks_omitted), (0, 0));
    }

    #[test]
    fn a_long_story_is_cut_and_says_how_much() {
        let events: Vec<Event> = (0..MARKS_KEPT + 50)
            .flat_map(|n| {
                let minute = format!("{:02}:{:02}:00", 1 + n / 60, n % 60);
                let second = format!("{:02}:{:02}:30", 1 + n / 60, n % 60);
                [
                    ev(&minute, Connect, None, None),
                    ev(&second, Disconnect, Some(404104), None),
                ]
            })
            .collect();
        let story = Story::of(&events);
        assert_eq!(story.marks.len(), MARKS_KEPT);
        assert_eq!(story.marks_omitted, 50);
        assert_eq!(story.sessions.len(), SESSIONS_KEPT);
        assert_eq!(story.sessions_omitted, 50);
    }
}
