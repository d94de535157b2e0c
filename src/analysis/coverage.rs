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
}

impl Kind {
    pub fn of_record(record: &Record) -> Kind {
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
}

impl Coverage {
    pub fn add(&mut self, kind: Kind) {
        *self.slot(kind) += 1;
    }

    /// Takes back a record found to repeat another.
    pub fn remove(&mut self, kind: Kind) {
        let slot = self.slot(kind);
        *slot = slot.saturating_sub(1);
    }

    fn slot(&mut self, kind: Kind) -> &mut u64 {
        match kind {
            Kind::Connect => &mut self.connects,
            Kind::Information => &mut self.information,
            Kind::Error => &mut self.errors,
        }
    }

    pub fn merge(&mut self, other: &Coverage) {
        self.connects += other.connects;
        self.information += other.information;
        self.errors += other.errors;
    }

    /// Successful connects are in the evidence, so a device without one never got in.
    pub fn connects_logged(&self) -> bool {
        self.connects > 0
    }

    /// Errors and nothing else: an export filtered on the level, most likely.
    pub fn errors_only(&self) -> bool {
        self.errors > 0 && self.connects == 0 && self.information == 0
    }

    pub fn report(&self) -> CoverageReport {
        let records = if self.errors_only() {
            "errors_only"
        } else if self.connects + self.information + self.errors == 0 {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn coverage(connects: u64, information: u64, errors: u64) -> Coverage {
        Coverage {
            connects,
            information,
            errors,
        }
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
