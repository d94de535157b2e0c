//! One device's story: its events in time order with what explains them, the sessions
//! they make (connected from, to, for how long), and the device's report and insights.

use super::diagnosis::{self, Insight};
use super::event::{Addresses, Event};
use super::{Analyzer, DeviceKey};
use crate::analysis::report::DeviceReport;
use crate::model::{Level, Operation, rfc3339, rfc3339_opt};
use crate::rules;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// `timeline DEVICE`: everything about one device.
#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    pub device: DeviceReport,
    /// Fleet incidents the device was hit by.
    pub incidents: Vec<Insight>,
    pub sessions: Vec<Session>,
    pub events: Vec<TimelineEvent>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TimelineEvent {
    #[serde(serialize_with = "rfc3339")]
    pub time: DateTime<Utc>,
    pub operation: &'static str,
    pub level: &'static str,
    pub code: Option<String>,
    pub name: Option<&'static str>,
    pub address: Option<String>,
    /// What explains the event, when something does (token renewal, a hub incident).
    pub note: Option<&'static str>,
}

/// A stretch of time the device was connected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Session {
    /// `null`: connected since before the log starts.
    #[serde(serialize_with = "rfc3339_opt")]
    pub from: Option<DateTime<Utc>>,
    /// `null`: still connected at the end of the log.
    #[serde(serialize_with = "rfc3339_opt")]
    pub to: Option<DateTime<Utc>>,
    /// Known only when both ends are in the log.
    pub duration_seconds: Option<i64>,
    /// The code of the drop that ended it, if it had one.
    pub ended_by: Option<String>,
}

impl Analyzer {
    /// The timeline of one identity, or the identities that look like it when it is not
    /// in the log.
    pub fn timeline(mut self, key: &DeviceKey) -> Result<Timeline, Vec<String>> {
        let Some(state) = self.devices.get_mut(key) else {
            return Err(self.similar_identities(key));
        };
        state.seal(self.filter.keep_duplicates);
        let events = state.events().to_vec();
        let log_end = self.log_end(self.latest_event());
        let with_connects = self.inputs_with_connects();
        let sources: Vec<String> = Vec::new();
        let fleet = self.fleet(log_end, &sources, &with_connects);
        let Some(state) = self.devices.get(key) else {
            return Err(Vec::new());
        };
        let context = state.context(&fleet, key.module_id.is_some());
        let expected = diagnosis::diagnose_device(&events, &context, &self.thresholds).expected();
        let mut lines = describe(&events, &expected, &self.addresses);
        let report = self.finish();
        let incidents: Vec<Insight> = report.insights.clone();
        let Some(device) = report
            .devices
            .into_iter()
            .find(|d| d.device_id == key.device_id && d.module_id == key.module_id)
        else {
            return Err(Vec::new());
        };
        for (line, event) in lines.iter_mut().zip(&events) {
            if line.note.is_none()
                && event.code.is_some_and(is_server_side)
                && diagnosis::in_incident(&incidents, event.time)
            {
                line.note = Some("hub incident");
            }
        }
        let incidents = device
            .incidents
            .iter()
            .filter_map(|i| incidents.get(*i).cloned())
            .collect();
        Ok(Timeline {
            device,
            incidents,
            sessions: sessions(&events),
            events: lines,
        })
    }

    /// Up to five identities containing the asked-for id, case-insensitively.
    fn similar_identities(&self, key: &DeviceKey) -> Vec<String> {
        let wanted = key.device_id.to_lowercase();
        let mut similar: Vec<String> = self
            .devices
            .keys()
            .map(|key| key.identity())
            .filter(|id| id.to_lowercase().contains(&wanted))
            .collect();
        // The map has no order of its own: sort before picking.
        similar.sort();
        similar.truncate(5);
        similar
    }
}

fn is_server_side(code: u32) -> bool {
    (500_000..=599_999).contains(&code) || code == 400_029 || code == 400_030
}

fn describe(events: &[Event], expected: &[bool], addresses: &Addresses) -> Vec<TimelineEvent> {
    events
        .iter()
        .zip(expected)
        .map(|(event, expected)| TimelineEvent {
            time: event.time,
            operation: match event.operation {
                Operation::Connect => "deviceConnect",
                Operation::Disconnect => "deviceDisconnect",
                Operation::Other => "other",
            },
            level: match event.level {
                Level::Information => "Information",
                Level::Warning => "Warning",
                Level::Error => "Error",
                Level::Critical => "Critical",
                Level::Unknown => "",
            },
            code: event.code.map(|code| code.to_string()),
            name: event
                .code
                .and_then(|code| rules::explain(&code.to_string()))
                .map(|e| e.info.name),
            address: event.address.map(|id| addresses.name(id).to_string()),
            note: expected.then_some("token renewal"),
        })
        .collect()
}

/// Sessions from the sorted events: a successful connect opens one, a drop closes it.
/// A drop with no open session means the device was connected before the log began.
/// Connections overlap: a connect while one is open opens a second, and a takeover
/// (`400027`/`409002`) then closes the older one, the newer running on.
pub(super) fn sessions(events: &[Event]) -> Vec<Session> {
    let mut sessions = Vec::new();
    let mut open: Option<Option<DateTime<Utc>>> = None;
    // A connection still open when a newer one arrived, until a takeover closes it.
    let mut older: Option<Option<DateTime<Utc>>> = None;
    let mut seen_state = false;
    let close = |sessions: &mut Vec<Session>, from: Option<DateTime<Utc>>, at: &Event| {
        sessions.push(Session {
            from,
            to: Some(at.time),
            duration_seconds: from.map(|from| (at.time - from).num_seconds()),
            ended_by: at.code.map(|code| code.to_string()),
        });
    };
    // A connection whose end is missing from the log.
    let unended = |sessions: &mut Vec<Session>, from: Option<DateTime<Utc>>| {
        sessions.push(Session {
            from,
            to: None,
            duration_seconds: None,
            ended_by: None,
        });
    };
    for event in events {
        if event.is_successful_connect() {
            if let Some(from) = older.take() {
                unended(&mut sessions, from);
            }
            older = open.take();
            open = Some(Some(event.time));
            seen_state = true;
        } else if event.is_drop() {
            let takeover = matches!(event.code, Some(400_027 | 409_002));
            if let Some(from) = older.take() {
                if takeover {
                    close(&mut sessions, from, event);
                    continue;
                }
                // The older connection's end is not in the log; this drop ends the newer.
                unended(&mut sessions, from);
            }
            let from = match open.take() {
                Some(from) => from,
                None if !seen_state => None,
                None => continue,
            };
            seen_state = true;
            close(&mut sessions, from, event);
        }
    }
    if let Some(from) = older {
        unended(&mut sessions, from);
    }
    if let Some(from) = open {
        unended(&mut sessions, from);
    }
    sessions
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::diagnosis::testing::{Connect, Disconnect, ev};

    #[test]
    fn sessions_open_on_connect_and_close_on_drop() {
        let events = [
            ev("09:10:04", Disconnect, Some(404104), None),
            ev("09:10:31", Connect, None, None),
            ev("09:40:31", Disconnect, Some(500008), None),
            ev("09:41:00", Connect, None, None),
        ];
        let found = sessions(&events);
        assert_eq!(found.len(), 3);
        assert_eq!(found[0].from, None, "connected before the log began");
        assert_eq!(found[0].ended_by.as_deref(), Some("404104"));
        assert_eq!(found[1].duration_seconds, Some(1800));
        assert_eq!(found[1].ended_by.as_deref(), Some("500008"));
        assert_eq!(found[2].to, None, "still connected at the end");
    }

    #[test]
    fn a_takeover_closes_the_older_connection_and_the_newer_runs_on() {
        let events = [
            ev("09:00:00", Connect, None, None),
            ev("10:00:00", Connect, None, None),
            ev("10:00:02", Disconnect, Some(400027), None),
        ];
        let found = sessions(&events);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].duration_seconds, Some(3602));
        assert_eq!(found[0].ended_by.as_deref(), Some("400027"));
        assert_eq!(found[1].from, Some(events[1].time));
        assert_eq!(found[1].to, None, "still connected at the end");
    }

    #[test]
    fn a_drop_after_a_drop_opens_no_session() {
        let events = [
            ev("09:10:00", Connect, None, None),
            ev("09:10:04", Disconnect, Some(401003), None),
            ev("09:10:05", Disconnect, Some(404104), None),
        ];
        let found = sessions(&events);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].duration_seconds, Some(4));
    }
}
