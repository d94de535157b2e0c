//! The renderers: one per output format, each a pure function of the analysis's
//! [`Report`] over a writer, all with one signature and listed once in [`FORMATS`],
//! from which the command line's choices are built.

pub mod codes;
pub mod csv;
pub mod github;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod ndjson;
pub mod sarif;
pub mod table;
pub mod timeline;

#[cfg(test)]
pub(crate) mod samples;

use crate::analysis::Timeline;
use crate::analysis::report::Report;
use crate::model::Severity;
use std::io::{self, Write};
pub use table::Style;

/// How a renderer should treat the report, decided once by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderOptions {
    /// The CI gate (`--fail-on`): findings at or above this severity fail. `None` when
    /// no gate was given; formats that must still decide pass or fail (JUnit) document
    /// their own default.
    pub fail_on: Option<Severity>,
    /// Width, colour and length of the terminal tables.
    pub style: Style,
    /// How the report was made, for the formats that say so ([`Format::page`]).
    pub footer: html::Footer,
}

impl Default for RenderOptions {
    fn default() -> RenderOptions {
        RenderOptions {
            fail_on: None,
            style: Style {
                width: 120,
                color: false,
                top: 0,
            },
            footer: html::Footer::default(),
        }
    }
}

/// Writes a report in one format.
pub type Render = fn(&Report, &RenderOptions, &mut dyn Write) -> io::Result<()>;

/// Writes one identity's timeline in one format.
pub type RenderTimeline = fn(&Timeline, &RenderOptions, &mut dyn Write) -> io::Result<()>;

/// An output format: its name on the command line, what it is for, and its renderers.
#[derive(Debug)]
pub struct Format {
    pub name: &'static str,
    pub help: &'static str,
    pub render: Render,
    /// How `timeline` writes it; `None` when `timeline` does not offer it.
    pub timeline: Option<RenderTimeline>,
    /// A page to share: it shows the worst identities' timelines (the report then
    /// carries them) and how the report was made.
    pub page: bool,
}

impl PartialEq for Format {
    fn eq(&self, other: &Format) -> bool {
        self.name == other.name
    }
}

impl Eq for Format {}

/// Every output format, sorted by name.
pub const FORMATS: &[Format] = &[
    Format {
        name: "csv",
        help: "One row per device and code",
        render: csv::render,
        timeline: None,
        page: false,
    },
    Format {
        name: "github",
        help: "GitHub Actions annotations for the top 10 findings",
        render: github::render,
        timeline: None,
        page: false,
    },
    Format {
        name: "html",
        help: "One self-contained page to share: charts, the devices worst first, timelines",
        render: html::render,
        timeline: None,
        page: true,
    },
    Format {
        name: "json",
        help: "One JSON document, every field",
        render: json::render,
        timeline: Some(timeline::render_json),
        page: false,
    },
    Format {
        name: "junit",
        help: "JUnit XML: one test case per device",
        render: junit::render,
        timeline: None,
        page: false,
    },
    Format {
        name: "markdown",
        help: "A compact summary for $GITHUB_STEP_SUMMARY",
        render: markdown::render,
        timeline: None,
        page: false,
    },
    Format {
        name: "ndjson",
        help: "One finding per line, then a summary line, for jq",
        render: ndjson::render,
        timeline: None,
        page: false,
    },
    Format {
        name: "sarif",
        help: "SARIF 2.1.0 for code scanning",
        render: sarif::render,
        timeline: None,
        page: false,
    },
    Format {
        name: "table",
        help: "Tables for a terminal",
        render: table::render,
        timeline: Some(timeline::render_table),
        page: false,
    },
];

/// The format named `name` (any case).
pub fn format(name: &str) -> Option<&'static Format> {
    FORMATS
        .iter()
        .find(|format| format.name.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_sorted_unique_and_found_by_name() {
        let names: Vec<&str> = FORMATS.iter().map(|format| format.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
        for format in FORMATS {
            assert_eq!(super::format(&format.name.to_uppercase()), Some(format));
        }
        assert_eq!(super::format("xml"), None);
    }
}
