//! The shapes an input can have, named once: the readers report them per input, and
//! `generate` writes the six an export can take ([`Shape::WRITTEN`]).

/// The shapes of the inputs, as reported per input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Shape {
    JsonLines,
    Records,
    JsonArray,
    Tables,
    AzCli,
    Csv,
    /// Event Hubs Capture or message-routing Avro files.
    Avro,
    /// Connection-state events: Event Grid, CloudEvents, routed, `monitor-events`.
    StateEvents,
    /// A `connectedDeviceCount` metrics response: points, no records.
    Metrics,
    Empty,
    /// A report this tool wrote, found among the inputs: not read.
    Report,
    /// Found in a directory or an archive, and not a log that can be read (notes, a
    /// damaged archive): passed over with a warning.
    Skipped,
}

impl Shape {
    /// Stable name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Shape::JsonLines => "json-lines",
            Shape::Records => "records",
            Shape::JsonArray => "json-array",
            Shape::Tables => "tables",
            Shape::AzCli => "az-cli",
            Shape::Csv => "csv",
            Shape::Avro => "avro",
            Shape::StateEvents => "state-events",
            Shape::Metrics => "metrics",
            Shape::Empty => "empty",
            Shape::Report => "report",
            Shape::Skipped => "skipped",
        }
    }
}

impl Shape {
    /// Every shape, in the order of the enum.
    pub const ALL: [Shape; 12] = [
        Shape::JsonLines,
        Shape::Records,
        Shape::JsonArray,
        Shape::Tables,
        Shape::AzCli,
        Shape::Csv,
        Shape::Avro,
        Shape::StateEvents,
        Shape::Metrics,
        Shape::Empty,
        Shape::Report,
        Shape::Skipped,
    ];

    /// The shapes of exported logs, which `generate` writes.
    pub const WRITTEN: [Shape; 6] = [
        Shape::JsonLines,
        Shape::Records,
        Shape::JsonArray,
        Shape::Tables,
        Shape::AzCli,
        Shape::Csv,
    ];

    /// The shape named `name` (as [`Shape::name`] writes it).
    pub fn from_name(name: &str) -> Option<Shape> {
        Shape::ALL.into_iter().find(|shape| shape.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_read_back() {
        for shape in Shape::ALL {
            assert_eq!(Shape::from_name(shape.name()), Some(shape));
        }
        let mut names: Vec<&str> = Shape::ALL.iter().map(|s| s.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Shape::ALL.len());
    }
}
