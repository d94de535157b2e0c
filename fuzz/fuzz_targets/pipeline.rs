//! The whole way in, as the command line reads: the fuzz bytes are cut at each `\xFF\xFF`
//! (never in UTF-8 text) into up to four inputs, each written to a file; `expand` turns
//! the files into units (gzip and zip recognised from the content), `read_in_order`
//! detects each unit's shape and streams its records into the `Analyzer` (small units
//! several at a time, as the command line reads them), and `finish` builds the report,
//! which is then rendered as JSON.
//!
//! A sink between `read` and the analyzer counts what each reader handed over, so the
//! report's counts are checked against them: records_read == skipped + filtered +
//! analyzed, per input and in total, and equal to what was read; every skip kept as a
//! problem or counted as omitted.

#![no_main]

use iothub_triage::analysis::diagnosis::Thresholds;
use iothub_triage::analysis::{Analyzer, Filter};
use iothub_triage::input::{self, Options, Outcome, Source};
use iothub_triage::model::Position;
use iothub_triage::report;
use iothub_triage_fuzz::check;
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

const MAX_INPUTS: usize = 4;

/// What the readers handed over for one input.
#[derive(Debug, Default, Clone, Copy)]
struct Handed {
    records: u64,
    filtered: u64,
    skipped: u64,
}

/// Counts every outcome on its way to the analyzer.
struct Counting<'a> {
    analyzer: &'a mut Analyzer,
    handed: Vec<Handed>,
    /// The input being handed over: the inputs before it are done.
    current: usize,
}

impl input::Sink for Counting<'_> {
    fn outcome(&mut self, position: Position, outcome: Outcome) {
        check(&position, &outcome, self.current);
        let handed = self.handed.get_mut(self.current).expect("an input is open");
        match &outcome {
            Outcome::Record(_) => handed.records += 1,
            Outcome::Filtered(_) => handed.filtered += 1,
            Outcome::Skipped(_) => handed.skipped += 1,
        }
        self.analyzer.outcome(position, outcome);
    }

    fn warning(&mut self, input: usize, message: String) {
        self.analyzer.warning(input, message);
    }
}

fn directory() -> &'static PathBuf {
    static DIRECTORY: OnceLock<PathBuf> = OnceLock::new();
    DIRECTORY.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("iothub-triage-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let mut sources = Vec::new();
    let mut rest = data;
    while sources.len() < MAX_INPUTS {
        let (part, next) = match rest.windows(2).position(|pair| pair == b"\xFF\xFF") {
            Some(at) if sources.len() + 1 < MAX_INPUTS => (&rest[..at], Some(&rest[at + 2..])),
            _ => (rest, None),
        };
        let path = directory().join(format!("input-{}.json", sources.len()));
        std::fs::write(&path, part).expect("the scratch file is written");
        sources.push(Source::Path(path));
        match next {
            Some(next) => rest = next,
            None => break,
        }
    }
    let options = Options::default();
    let mut analyzer = Analyzer::new(Thresholds::default(), Filter::default());
    let mut warnings = Vec::new();
    let Ok(units) = input::expand(&sources, &options.limits, &mut |message| {
        warnings.push(message)
    }) else {
        return;
    };
    for message in warnings {
        analyzer.warn(message);
    }
    let indices: Vec<usize> = units
        .iter()
        .map(|unit| analyzer.begin_input(unit.name.clone()))
        .collect();
    let mut counting = Counting {
        analyzer: &mut analyzer,
        handed: vec![Handed::default(); units.len()],
        current: 0,
    };
    // As the command line reads (small inputs several at a time, handed over in order),
    // except that an input that cannot be read does not stop the others: reading starts
    // again after it.
    while counting.current < units.len() {
        let start = counting.current;
        let read = input::read_in_order(
            &units[start..],
            &indices[start..],
            &options,
            &mut counting,
            &mut |counting, index, shape| {
                counting.analyzer.end_input(index, shape);
                counting.current += 1;
                Ok(())
            },
        );
        match read {
            Ok(()) => break,
            Err(_) => counting.current += 1,
        }
    }
    let handed = counting.handed;
    let report = analyzer.finish();
    let summary = &report.summary;
    assert_eq!(report.inputs.len(), units.len());
    for (input, handed) in report.inputs.iter().zip(&handed) {
        assert_eq!(
            input.records_read,
            input.records_skipped + input.records_filtered + input.records_analyzed,
            "{}: the counts do not reconcile",
            input.source
        );
        assert_eq!(
            input.records_read,
            handed.records + handed.filtered + handed.skipped
        );
        assert_eq!(input.records_skipped, handed.skipped);
        assert!(input.records_filtered >= handed.filtered);
    }
    let total = |count: fn(&iothub_triage::analysis::report::InputReport) -> u64| {
        report.inputs.iter().map(count).sum::<u64>()
    };
    assert_eq!(summary.records_read, total(|i| i.records_read));
    assert_eq!(summary.records_skipped, total(|i| i.records_skipped));
    assert_eq!(summary.records_filtered, total(|i| i.records_filtered));
    assert_eq!(summary.records_analyzed, total(|i| i.records_analyzed));
    assert_eq!(
        summary.records_read,
        summary.records_skipped + summary.records_filtered + summary.records_analyzed
    );
    assert_eq!(
        report.problems.len() as u64 + summary.problems_omitted,
        summary.records_skipped,
        "a skipped record neither listed nor counted as omitted"
    );
    let mut json = Vec::new();
    report::json::render(&report, &report::RenderOptions::default(), &mut json)
        .expect("the report renders");
});
