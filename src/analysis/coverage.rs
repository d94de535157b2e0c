//! What an input's evidence covers: which kinds of record it holds. Exports differ: the
//! troubleshooting page's own query keeps only `Level == "Error"`, so successful connects
//! and informational disconnects are missing, and a device's state cannot be told from
//! its errors. The diagnosis asks this, never assumes it.

use crate::analysis::report::CoverageReport;
use crate::model::{Level, Operation, Record};

/// The kind of an analyzed record, as coverage counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A `deviceConnect` without error: the only proof a device got in.
    Connect,
    /// Any other record without an error level (informational disconnects).
    Information,
    /// A record with an error level or a code.
    Error,
    /// A connection-state event (Event Grid, routed): a connect or a disconnect seen by a
    /// poll about once a minute, without a code.
    StateEvent,
}

impl Kind {
    pub fn of_record(record: &Record) -> Kind {
        if record.state_event {
            return Kind::StateEvent;
        }
        Kind::of(record.operation, record.level, record.code.is_some())
    }

    pub fn of(operation: Operation, level: Level, coded: bool) -> Kind {
        if coded || level.is_error() {
            Kind::Error
        } else if operation == Operation::Connect {
            Kind::Connect
        } else {
            Kind::Information
        }
    }
}

/// Analyzed records by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Coverage {
    pub connects: u64,
    pub information: u64,
    pub errors: u64,
    pub state_events: u64,
}

impl Coverage {
    pub fn add(&mut self, kind: Kind) {
        *self.slot(kind) += 1;
    }

    /// Takes back a record found to repeat another. A repeat is known by its event,
    /// which does not say whether it was a state event: a connect or other record is
    /// taken from the log records when the input has any, else from its state events.
    pub fn remove(&mut self, kind: Kind) {
        let kind = match kind {
            Kind::Connect | Kind::Information if *self.slot(kind) == 0 => Kind::StateEvent,
            other => other,
        };
        let slot = self.slot(kind);
        *slot = slot.saturating_sub(1);
    }

    fn slot(&mut self, kind: Kind) -> &mut u64 {
        match kind {
            Kind::Connect => &mut self.connects,
            Kind::Information => &mut self.information,
            Kind::Error => &mut self.errors,
            Kind::StateEvent => &mut self.state_events,
        }
    }

    pub fn merge(&mut self, other: &Coverage) {
        self.connects += other.connects;
        self.information += other.information;
        self.errors += other.errors;
        self.state_events += other.state_events;
    }

    /// Successful connects are in the evidence, so a device without one never got in.
    /// Connection-state events show every state the hub saw, connects included.
    pub fn connects_logged(&self) -> bool {
        self.connects > 0 || self.state_events > 0
    }

    /// Nothing but connection-state events: no codes, no changes within a minute.
    pub fn state_events_only(&self) -> bool {
        self.state_events > 0 && self.connects + self.information + self.errors == 0
    }

    /// Errors and nothing else: an export filtered on the level, most likely.
    pub fn errors_only(&self) -> bool {
        self.errors > 0 && self.connects == 0 && self.information == 0
    }

    pub fn report(&self) -> CoverageReport {
        let records = if self.errors_only() {
            "errors_only"
        } else if self.state_events_only() {
            "state_events"
        } else if self.connects + self.information + self.errors + self.state_events == 0 {
            "none"
        } else if self.connects_logged() {
            "all"
        } else {
            "no_connects"
        };
        CoverageReport {
            records,
            successful_connects: self.connects,
            information_records: self.information,
            error_records: self.errors,
            state_events: self.state_events,
            codes: self.state_events_only().then_some("not_in_source"),
            device_state: if self.connects_logged() {
                "known"
            } else {
                "unknown"
            },
        }
    }
}

/// The query that exports every Connections record, every level.
pub const FULL_QUERY: &str =
    "AzureDiagnostics | where ResourceType == \"IOTHUBS\" and Category == \"Connections\"";

/// The warning for inputs without successful connects, or `None` when every input has
/// them. `inputs` are (name, coverage).
pub fn warning(inputs: &[(&str, Coverage)]) -> Option<String> {
    let lacking: Vec<&(&str, Coverage)> = inputs
        .iter()
        .filter(|(_, c)| !c.connects_logged() && c.errors + c.information > 0)
        .collect();
    if lacking.is_empty() {
        return None;
    }
    let errors_only = lacking.iter().all(|(_, c)| c.errors_only());
    let what = if errors_only {
        "only error records (exported with Level == \"Error\"?)"
    } else {
        "no successful connects"
    };
    let which = if lacking.len() == inputs.len() {
        "the input holds".to_string()
    } else {
        let mut names: Vec<&str> = lacking.iter().map(|(name, _)| *name).take(3).collect();
        if lacking.len() > 3 {
            names.push("...");
        }
        format!(
            "{} of {} inputs ({}) hold",
            lacking.len(),
            inputs.len(),
            names.join(", ")
        )
    };
    Some(format!(
        "{which} {what}: offline devices and credential failures cannot be told from \
         it and device states are unknown (renewal, flapping, duplicates and incidents are \
         still found); export every level for a full diagnosis: {FULL_QUERY}"
    ))
}

/// The warning for inputs holding connection-state events, or `None` when none does:
/// what a poll about once a minute cannot show, and what is found all the same.
pub fn state_events_warning(inputs: &[(&str, Coverage)]) -> Option<String> {
    let holding: Vec<&str> = inputs
        .iter()
        .filter(|(_, c)| c.state_events > 0)
        .map(|(name, _)| *name)
        .collect();
    if holding.is_empty() {
        return None;
    }
    let which = if holding.len() == inputs.len() {
        "the input holds".to_string()
    } else {
        let mut names: Vec<&str> = holding.iter().copied().take(3).collect();
        if holding.len() > 3 {
            names.push("...");
        }
        format!(
            "{} of {} inputs ({}) hold",
            holding.len(),
            inputs.len(),
            names.join(", ")
        )
    };
    Some(format!(
        "{which} connection-state events (Event Grid or routed): the hub looks at each \
         device about once a minute and reports only a change, so a connection lost and \
         back within a minute may not show and flapping faster than that cannot be told; \
         error codes, protocols, SDKs and addresses are not in this source. Sessions, \
         offline devices and drops a minute or more apart are found; the Connections \
         resource logs give the codes: {FULL_QUERY}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coverage(connects: u64, information: u64, errors: u64) -> Coverage {
        Coverage {
            connects,
            information,
            errors,
            state_events: 0,
        }
    }

    #[test]
    fn state_events_alone_show_states_but_no_codes() {
        let events = Coverage {
            state_events: 4,
            ..Coverage::default()
        };
        let report = events.report();
        assert_eq!(report.records, "state_events");
        assert_eq!(report.device_state, "known");
        assert_eq!(report.codes, Some("not_in_source"));
        let mixed = Coverage {
            state_events: 4,
            ..coverage(1, 0, 2)
        };
        assert_eq!(mixed.report().records, "all");
        assert_eq!(mixed.report().codes, None);
        assert_eq!(warning(&[("grid.json", events)]), None);
        let said = state_events_warning(&[("grid.json", events), ("PT1H.json", coverage(1, 0, 0))])
            .expect("a warning");
        assert!(
            said.starts_with("1 of 2 inputs (grid.json) hold connection-state events"),
            "{said}"
        );
        assert!(said.contains("within a minute"), "{said}");
        assert!(said.contains("not in this source"), "{said}");
        assert_eq!(
            state_events_warning(&[("PT1H.json", coverage(1, 0, 0))]),
            None
        );
    }

    #[test]
    fn a_repeated_state_event_is_taken_back_from_the_state_events() {
        let mut events = Coverage {
            state_events: 2,
            ..Coverage::default()
        };
        events.remove(Kind::Connect);
        assert_eq!(events.state_events, 1);
        let mut logs = coverage(2, 0, 0);
        logs.remove(Kind::Connect);
        assert_eq!(logs.connects, 1);
    }

    #[test]
    fn records_are_told_apart_by_level_code_and_operation() {
        use Operation::{Connect, Disconnect};
        assert_eq!(Kind::of(Connect, Level::Information, false), Kind::Connect);
        assert_eq!(Kind::of(Connect, Level::Information, true), Kind::Error);
        assert_eq!(Kind::of(Connect, Level::Error, false), Kind::Error);
        assert_eq!(
            Kind::of(Disconnect, Level::Information, false),
            Kind::Information
        );
        assert_eq!(
            Kind::of(Disconnect, Level::Unknown, false),
            Kind::Information
        );
    }

    #[test]
    fn coverage_says_what_the_export_holds() {
        assert_eq!(coverage(3, 2, 5).report().records, "all");
        assert_eq!(coverage(0, 0, 5).report().records, "errors_only");
        assert_eq!(coverage(0, 0, 5).report().device_state, "unknown");
        assert_eq!(coverage(0, 4, 5).report().records, "no_connects");
        assert_eq!(coverage(0, 0, 0).report().records, "none");
    }

    #[test]
    fn one_warning_names_the_inputs_without_connects_and_the_query_to_use() {
        let full = coverage(3, 2, 5);
        let errors = coverage(0, 0, 5);
        assert_eq!(warning(&[("a.json", full)]), None);
        let all = warning(&[("a.json", errors)]).expect("warning");
        assert!(
            all.starts_with("the input holds only error records"),
            "{all}"
        );
        assert!(all.ends_with(FULL_QUERY));
        let some = warning(&[("a.json", full), ("b.json", errors)]).expect("warning");
        assert!(some.starts_with("1 of 2 inputs (b.json) hold only error records"));
        assert_eq!(warning(&[("a.json", coverage(0, 0, 0))]), None);
    }
}
