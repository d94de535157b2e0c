//! What the user asked to see. `--device`, `--since` and `--until` choose the records
//! analyzed: a record left out is counted as filtered, with the reason, like any other
//! out-of-scope record. `--code` and `--level` choose which identities the report shows,
//! never the evidence: a device's diagnosis is the same with them and without.

use super::state::level_bit;
use crate::model::{Level, Record};
use chrono::{DateTime, Utc};
use globset::GlobSet;
use std::collections::BTreeSet;

/// The user's selection; the default keeps everything.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Device ids (or `device/module` identities) matching any of these globs.
    pub devices: Option<GlobSet>,
    /// Records at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Records before this time.
    pub until: Option<DateTime<Utc>>,
    /// Show the identities with a record whose `ResultType` is one of these.
    pub codes: BTreeSet<String>,
    /// Show the identities with a record of one of these levels.
    pub levels: BTreeSet<Level>,
    /// Analyze exact repeats of a record too (by default they are filtered).
    pub keep_duplicates: bool,
}

impl Filter {
    /// True when the record lies in the time window; the end of the log is taken over
    /// such records only, whatever the other filters keep.
    pub fn in_window(&self, record: &Record) -> bool {
        self.since.is_none_or(|since| record.time >= since)
            && self.until.is_none_or(|until| record.time < until)
    }

    /// Why the record is left out, or `None` when it is kept.
    pub fn reason(&self, record: &Record) -> Option<&'static str> {
        if self.since.is_some_and(|since| record.time < since) {
            return Some("before --since");
        }
        if self.until.is_some_and(|until| record.time >= until) {
            return Some("at or after --until");
        }
        if let Some(devices) = &self.devices {
            // Only a module identity needs building; a device matches on its own id.
            let selected = devices.is_match(&record.device_id)
                || record.module_id.as_ref().is_some_and(|module| {
                    devices.is_match(format!("{}/{module}", record.device_id))
                });
            if !selected {
                return Some("device not selected by --device");
            }
        }
        None
    }

    /// Whether the report shows an identity whose records carry `codes` and the levels
    /// in `levels` (one bit each, see [`level_bit`]).
    pub fn shows_identity<'a>(&self, mut codes: impl Iterator<Item = &'a str>, levels: u8) -> bool {
        let by_code = self.codes.is_empty() || codes.any(|code| self.codes.contains(code));
        let wanted = self.levels.iter().fold(0, |mask, &l| mask | level_bit(l));
        let by_level = self.levels.is_empty() || levels & wanted != 0;
        by_code && by_level
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Operation;
    use globset::{Glob, GlobSetBuilder};

    fn record(device: &str, time: &str, code: Option<&str>, level: Level) -> Record {
        Record {
            time: time.parse().expect("test time"),
            device_id: device.into(),
            module_id: None,
            operation: Operation::Disconnect,
            level,
            code: code.map(Into::into),
            protocol: None,
            masked_ip: None,
            sdk_version: None,
            state_event: false,
        }
    }

    #[test]
    fn each_filter_names_its_reason() {
        let mut globs = GlobSetBuilder::new();
        globs.add(Glob::new("pump-*").expect("glob"));
        let filter = Filter {
            devices: Some(globs.build().expect("set")),
            since: Some("2026-03-02T09:00:00Z".parse().expect("time")),
            until: Some("2026-03-02T10:00:00Z".parse().expect("time")),
            codes: ["404104".to_string()].into(),
            levels: [Level::Error].into(),
            keep_duplicates: false,
        };
        let cases = [
            (
                record(
                    "pump-1",
                    "2026-03-02T09:30:00Z",
                    Some("404104"),
                    Level::Error,
                ),
                None,
            ),
            (
                record(
                    "pump-1",
                    "2026-03-02T08:59:59Z",
                    Some("404104"),
                    Level::Error,
                ),
                Some("before --since"),
            ),
            (
                record(
                    "pump-1",
                    "2026-03-02T10:00:00Z",
                    Some("404104"),
                    Level::Error,
                ),
                Some("at or after --until"),
            ),
            (
                record(
                    "cam-1",
                    "2026-03-02T09:30:00Z",
                    Some("404104"),
                    Level::Error,
                ),
                Some("device not selected by --device"),
            ),
            (
                record(
                    "pump-1",
                    "2026-03-02T09:30:00Z",
                    Some("401003"),
                    Level::Error,
                ),
                None,
            ),
            (
                record("pump-1", "2026-03-02T09:30:00Z", None, Level::Error),
                None,
            ),
            (
                record(
                    "pump-1",
                    "2026-03-02T09:30:00Z",
                    Some("404104"),
                    Level::Information,
                ),
                None,
            ),
        ];
        for (record, reason) in cases {
            assert_eq!(filter.reason(&record), reason, "{record:?}");
        }
    }

    #[test]
    fn codes_and_levels_choose_identities_not_records() {
        let filter = Filter {
            codes: ["401003".to_string()].into(),
            levels: [Level::Error].into(),
            ..Filter::default()
        };
        let error = level_bit(Level::Error);
        let info = level_bit(Level::Information);
        assert!(filter.shows_identity(["404104", "401003"].into_iter(), error | info));
        assert!(!filter.shows_identity(["404104"].into_iter(), error));
        assert!(!filter.shows_identity(["401003"].into_iter(), info));
        assert!(Filter::default().shows_identity([].into_iter(), 0));
    }

    #[test]
    fn the_default_keeps_everything() {
        let any = record("x", "2026-03-02T09:30:00Z", None, Level::Unknown);
        assert_eq!(Filter::default().reason(&any), None);
        assert!(Filter::default().in_window(&any));
    }
}
