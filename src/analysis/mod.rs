//! Folds the record stream into per-device state (a few words per event, never the raw
//! text), then turns that state into the [`Report`] the renderers print.

mod breakdown;
mod cohort;
pub use cohort::KEPT as COHORTS_KEPT;
pub use state::{EPISODE_GAP as CODE_EPISODE_GAP, RECURRING_EPISODES, RECURRING_RECORDS};
mod coverage;
pub mod diagnosis;
pub mod event;
mod filter;
mod findings;
mod identities;
pub mod metric;
mod places;
pub mod report;
mod state;
mod stories;
mod timeline;

use crate::input::{Outcome, Shape, Sink};
use crate::memory;
use crate::model::{InsightKind, Position, Record};
use crate::rules;
use chrono::{DateTime, Utc};
use coverage::{Coverage, Kind};
use diagnosis::{Curve, Insight, Thresholds};
use event::{Addresses, Labels};
use identities::Devices;
use places::Places;
use rayon::prelude::*;
use report::{
    Breakdown, CodeSummary, Cohort, DeviceReport, FilterCount, InputReport, Problem, Report,
    SeverityCounts, Summary, Warning,
};
use state::{DeviceState, Interned};
use std::borrow::Cow;
use std::collections::BTreeMap;

pub use coverage::Coverage as InputCoverage;
pub use filter::Filter;
pub use findings::findings;
pub use state::DeviceKey;
pub use stories::{Connected, MARKS_KEPT, Mark, SESSIONS_KEPT, Stories, Story};

pub use timeline::{Session, Timeline, TimelineEvent};

/// How many problems are kept with their details; the rest are counted.
pub const PROBLEMS_KEPT: usize = 1000;

/// The filter reason of a record that repeats an earlier one exactly.
const DUPLICATE: &str = "exact duplicate of an earlier record (same time, device, operation, code)";

/// How many records ahead of the one being taken its device's table entry is fetched,
/// and then, once the entry is at hand, the place of its next event and its codes: a
/// fetch takes about as long as taking a record or two (the distances tried are in
/// docs/performance.md).
const ENTRY_AHEAD: usize = 4;
const STATE_AHEAD: usize = 2;

/// Buckets of the connected-devices curve.
pub const CURVE_BUCKETS: usize = 96;

/// Accumulates everything read, input after input.
#[derive(Debug, Default)]
pub struct Analyzer {
    inputs: Vec<InputTally>,
    devices: Devices,
    addresses: Addresses,
    labels: Labels,
    filtered: BTreeMap<String, u64>,
    problems: Vec<Problem>,
    problems_omitted: u64,
    warnings: Vec<Warning>,
    /// Arrival order of analyzed records, to break ties between equal times.
    sequence: u32,
    /// Which input the records from each arrival number on came from, to count a repeat
    /// found when reading ends against its input.
    arrivals: Vec<(u32, usize)>,
    thresholds: Thresholds,
    filter: Filter,
    /// The latest time of any filtered record in the time window. With the devices'
    /// events (the records analyzed, all in the window) it makes the end of the log.
    filtered_end: Option<DateTime<Utc>>,
    /// The earliest and latest time of any filtered record. With the devices' events it
    /// makes the span of the valid records, what a time window that leaves out
    /// everything is told against. (Analyzed records are not compared as they come:
    /// their devices' events say the same once, at the end.)
    filtered_span: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// Where each analyzed record is, by arrival number: findings point at their evidence.
    places: Places,
    /// The `connectedDeviceCount` metric's points, from metrics inputs.
    metric: Vec<crate::input::MetricPoint>,
}

#[derive(Debug, Default)]
struct InputTally {
    name: String,
    shape: Option<Shape>,
    analyzed: u64,
    filtered: u64,
    skipped: u64,
    /// Which kinds of record the analyzed ones are.
    coverage: Coverage,
}

impl Analyzer {
    pub fn new(thresholds: Thresholds, filter: Filter) -> Analyzer {
        Analyzer {
            thresholds,
            filter,
            ..Analyzer::default()
        }
    }

    /// Starts a new input; returns its index for positions.
    pub fn begin_input(&mut self, name: String) -> usize {
        self.inputs.push(InputTally {
            name,
            ..InputTally::default()
        });
        self.inputs.len() - 1
    }

    pub fn end_input(&mut self, input: usize, shape: Shape) {
        if let Some(tally) = self.inputs.get_mut(input) {
            tally.shape = Some(shape);
        }
    }

    /// The skipped records kept with their details, in input order.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// All skipped records, listed or not.
    pub fn records_skipped(&self) -> u64 {
        self.inputs.iter().map(|tally| tally.skipped).sum()
    }

    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// The earliest and latest time of the valid records read, analyzed or filtered.
    pub fn read_span(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let analyzed = self.devices.states().flat_map(DeviceState::events);
        let bounds = self.filtered_span.into_iter().flat_map(|(a, b)| [a, b]);
        let times = analyzed.map(|event| event.time).chain(bounds);
        times.fold(None, |span, time| Some(widen(span, time)))
    }

    /// The end of the log: the latest time of a valid record in the time window, the
    /// latest analyzed one being `analyzed_end`.
    fn log_end(&self, analyzed_end: Option<DateTime<Utc>>) -> DateTime<Utc> {
        self.filtered_end.max(analyzed_end).unwrap_or_default()
    }

    /// The latest time of any event, sealed or not.
    fn latest_event(&self) -> Option<DateTime<Utc>> {
        let analyzed = self.devices.states().flat_map(DeviceState::events);
        analyzed.map(|event| event.time).max()
    }

    /// Per input: it holds successful connects.
    fn inputs_with_connects(&self) -> Vec<bool> {
        self.inputs
            .iter()
            .map(|tally| tally.coverage.connects_logged())
            .collect()
    }

    /// What every device's diagnosis shares.
    fn fleet<'a>(
        &'a self,
        log_end: DateTime<Utc>,
        sources: &'a [String],
        with_connects: &'a [bool],
    ) -> Fleet<'a> {
        Fleet {
            addresses: &self.addresses,
            labels: &self.labels,
            log_end,
            thresholds: &self.thresholds,
            sources,
            places: &self.places,
            with_connects,
            filter: &self.filter,
        }
    }

    /// Warns, once, when inputs hold no successful connects (an errors-only export, most
    /// often): what cannot be told from them, and the query that exports everything.
    pub fn note_coverage(&mut self) {
        let inputs: Vec<(&str, Coverage)> = self
            .inputs
            .iter()
            .map(|tally| (tally.name.as_str(), tally.coverage))
            .collect();
        let messages = [
            coverage::warning(&inputs),
            coverage::state_events_warning(&inputs),
        ];
        for message in messages.into_iter().flatten() {
            self.warn(message);
        }
    }

    /// A warning about what was named on the command line rather than one input (a file
    /// skipped in a directory, a refused archive entry); the message names the place.
    pub fn warn(&mut self, message: String) {
        self.warnings.push(Warning {
            source: String::new(),
            message,
        });
    }

    /// Adds an analyzed record. Exact repeats are found when reading ends, among each
    /// device's events (see [`DeviceState::seal`]): no table of every record is kept.
    fn record(&mut self, record: &Record, at: &Position) {
        let state = self
            .devices
            .state(&record.device_id, record.module_id.as_deref());
        self.sequence = self.sequence.saturating_add(1);
        self.places.push(self.sequence, at);
        let input = at.input;
        if let Some(tally) = self.inputs.get_mut(input) {
            tally.coverage.add(Kind::of_record(record));
        }
        if self.arrivals.last().is_none_or(|&(_, last)| last != input) {
            self.arrivals.push((self.sequence, input));
        }
        // A device mostly repeats its own address, protocol and SDK: its last ones are
        // tried before the fleet's tables.
        let known = state.interned();
        let interned = Interned {
            address: (record.masked_ip.as_deref())
                .map(|text| self.addresses.intern_guessing(text, known.address)),
            protocol: (record.protocol.as_deref())
                .map(|text| self.labels.intern_guessing(text, known.protocol)),
            sdk_version: (record.sdk_version.as_deref())
                .map(|text| self.labels.intern_guessing(text, known.sdk_version)),
        };
        state.add(record, at, self.sequence, interned);
    }

    /// Builds the report. Deterministic: every list has an explicit order.
    pub fn finish(mut self) -> Report {
        // What reading freed (its blocks and outcome lists, the device table's earlier
        // sizes) goes back before the diagnosis allocates.
        memory::release_freed();
        // Sealing sorts each device's events and drops exact repeats, which are then
        // counted as filtered against their inputs.
        let mut states = std::mem::take(&mut self.devices).into_sorted();
        let keep_repeats = self.filter.keep_duplicates;
        let repeats: Vec<(u32, Kind)> = states
            .par_iter_mut()
            .flat_map_iter(|(_, state)| state.seal(keep_repeats))
            .collect();
        self.filter_repeats(&repeats);
        // The device table went when it was sorted into a list, and sealing gave back
        // the room the events had to grow.
        memory::release_freed();
        let sources: Vec<String> = self.inputs.iter().map(|tally| tally.name.clone()).collect();
        // Sealed: each device's last event is its latest.
        let analyzed_end = (states.iter())
            .filter_map(|(_, state)| state.events().last())
            .map(|event| event.time)
            .max();
        let log_end = self.log_end(analyzed_end);
        let with_connects = self.inputs_with_connects();
        let fleet = self.fleet(log_end, &sources, &with_connects);
        let devices_analyzed = states.len() as u64;
        let (devices, insights, mut connected_devices, cohorts, breakdown) =
            diagnose(states, &fleet);
        if !self.metric.is_empty() {
            self.metric.sort_by_key(|a| a.time);
            let metric = metric::compare(&self.metric, &connected_devices);
            let logs_tell = with_connects.contains(&true);
            for message in metric::warnings(&metric, logs_tell) {
                self.warn(message);
            }
            connected_devices.metric = Some(metric);
        }
        let codes = code_summary(&devices);
        let mut devices_by_severity = SeverityCounts::default();
        for severity in devices.iter().filter_map(|d| d.severity) {
            devices_by_severity.add(severity);
        }
        let mut coverage = Coverage::default();
        for tally in &self.inputs {
            coverage.merge(&tally.coverage);
        }

        let inputs: Vec<InputReport> = self
            .inputs
            .iter()
            .map(|tally| InputReport {
                source: tally.name.clone(),
                shape: tally.shape.map_or("unread", Shape::name).to_string(),
                records_read: tally.analyzed + tally.filtered + tally.skipped,
                records_analyzed: tally.analyzed,
                records_filtered: tally.filtered,
                records_skipped: tally.skipped,
                coverage: tally.coverage.report(),
            })
            .collect();
        let analyzed: u64 = inputs.iter().map(|i| i.records_analyzed).sum();
        let filtered: u64 = inputs.iter().map(|i| i.records_filtered).sum();
        let skipped: u64 = inputs.iter().map(|i| i.records_skipped).sum();
        let mut filter_reasons: Vec<FilterCount> = self
            .filtered
            .into_iter()
            .map(|(reason, count)| FilterCount { reason, count })
            .collect();
        filter_reasons.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.reason.cmp(&b.reason)));

        let mut report = Report {
            schema_version: Report::SCHEMA_VERSION,
            summary: Summary {
                records_read: analyzed + filtered + skipped,
                records_skipped: skipped,
                records_filtered: filtered,
                records_analyzed: analyzed,
                devices: devices_analyzed,
                devices_shown: devices.len() as u64,
                coverage: coverage.report(),
                devices_with_errors: devices.iter().filter(|d| d.error_events > 0).count() as u64,
                devices_by_severity,
                first_event: devices.iter().map(|d| d.first_seen).min(),
                last_event: devices.iter().map(|d| d.last_seen).max(),
                codes,
                filtered: filter_reasons,
                problems_omitted: self.problems_omitted,
            },
            inputs,
            insights,
            connected_devices,
            breakdown,
            devices,
            cohorts,
            findings: Vec::new(),
            problems: self.problems,
            warnings: self.warnings,
            stories: Stories::default(),
        };
        report.findings = findings::findings(&report);
        report
    }

    fn source_name(&self, input: usize) -> String {
        self.inputs
            .get(input)
            .map_or_else(|| format!("input {input}"), |tally| tally.name.clone())
    }
}

/// What the diagnosis of every device shares.
pub(crate) struct Fleet<'a> {
    pub addresses: &'a Addresses,
    pub labels: &'a Labels,
    pub log_end: DateTime<Utc>,
    pub thresholds: &'a Thresholds,
    pub sources: &'a [String],
    pub places: &'a Places,
    /// Per input: it holds successful connects.
    pub with_connects: &'a [bool],
    /// Which identities the report shows.
    pub filter: &'a Filter,
}

/// Runs the detectors: fleet-wide first (incidents, the curve), then each device with
/// the incidents at hand so that its own findings can point at them.
fn diagnose(
    states: Vec<(DeviceKey, DeviceState)>,
    fleet_context: &Fleet<'_>,
) -> (
    Vec<DeviceReport>,
    Vec<Insight>,
    Curve,
    Vec<Cohort>,
    Breakdown,
) {
    let thresholds = fleet_context.thresholds;
    let names: Vec<Cow<'_, str>> = states.iter().map(|(key, _)| key.name()).collect();
    let fleet: Vec<(&str, &[event::Event])> = names
        .iter()
        .zip(&states)
        .map(|(name, (_, state))| (name.as_ref(), state.events()))
        .collect();
    let timelines: Vec<&[event::Event]> = fleet.iter().map(|(_, events)| *events).collect();
    let contexts: Vec<diagnosis::DeviceContext<'_>> = states
        .par_iter()
        .map(|(key, state)| state.context(fleet_context, key.module_id.is_some()))
        .collect();
    // The fleet-wide passes and the per-device diagnoses read the same events and need
    // nothing of each other: run them side by side, devices shared among the cores.
    let (incidents, (curve, diagnoses)) = rayon::join(
        || diagnosis::hub_incidents(&fleet, thresholds),
        || {
            rayon::join(
                || {
                    // Without successful connects the curve would only count down.
                    if fleet_context.with_connects.contains(&true) {
                        diagnosis::connected_curve(&timelines, CURVE_BUCKETS)
                    } else {
                        Curve::default()
                    }
                },
                || {
                    timelines
                        .par_iter()
                        .zip(&contexts)
                        .map(|(events, context)| {
                            let mut diagnosis =
                                diagnosis::diagnose_device(events, context, thresholds);
                            // Kept to the end of the run: the room of four a first push
                            // gave them (800 bytes) would outweigh the device's events.
                            diagnosis.insights.shrink_to_fit();
                            diagnosis
                        })
                        .collect::<Vec<_>>()
                },
            )
        },
    );
    // Mass disconnects and throttling need each device's diagnosis: a renewal a whole
    // fleet does at once is no outage.
    let fleet_devices: Vec<diagnosis::FleetDevice<'_>> = fleet
        .iter()
        .zip(&diagnoses)
        .zip(&contexts)
        .zip(&states)
        .map(
            |((((name, events), diagnosis), context), (_, state))| diagnosis::FleetDevice {
                name,
                events,
                explained: &diagnosis.explained,
                connects_logged: context.connects_logged,
                address: state.address(fleet_context.addresses),
                protocol: state.protocol(fleet_context.labels),
                sdk_version: context.sdk_version,
            },
        )
        .collect();
    let drops: Vec<Vec<diagnosis::Dropped>> =
        fleet_devices.par_iter().map(diagnosis::drops).collect();
    let ((mass, throttling), breakdown) = rayon::join(
        || {
            let mass = diagnosis::mass_disconnects(
                &fleet_devices,
                &drops,
                &incidents,
                fleet_context.addresses,
                thresholds,
            );
            let throttling = diagnosis::throttling(&fleet_devices, &mass);
            (mass, throttling)
        },
        || breakdown::breakdown(&fleet_devices, &drops),
    );
    drop(fleet_devices);
    let mut insights = incidents;
    insights.extend(mass);
    insights.extend(throttling);
    insights.sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.kind.cmp(&b.kind)));
    // The lists every device has a place in are done with: they go before the reports,
    // a few hundred bytes a device, are built.
    drop(drops);
    drop(contexts);
    drop(timelines);
    drop(fleet);
    drop(names);
    // The device table is gone (sorted into a list), and the reports are built on other
    // threads than the ones that filled it.
    memory::release_freed();
    let texts = state::label_texts(states.iter().map(|(_, state)| state), fleet_context.labels);
    let reports: Vec<(bool, DeviceReport)> = states
        .into_par_iter()
        .zip(diagnoses)
        .map(|((key, state), diagnosis)| {
            let shown = state.shown_by(fleet_context.filter);
            let report = state.report(key, fleet_context, diagnosis, &insights, &texts);
            (shown, report)
        })
        .collect();
    // Cohorts compare every identity, shown or not; they come after the fleet's other
    // insights, which the devices point at by place. The order of the devices shown is
    // found meanwhile: worst finding first, benign (info) after real problems, healthy
    // devices last. Identities are unique, so an unstable sort gives the one order.
    let every: Vec<&DeviceReport> = reports.iter().map(|(_, d)| d).collect();
    let ((cohorts, cohort_insights), order) = rayon::join(
        || cohort::cohorts(&every, thresholds),
        || {
            // Places among the identities shown, which are all that is kept of them.
            let shown: Vec<&DeviceReport> = (reports.iter())
                .filter_map(|(shown, device)| shown.then_some(device))
                .collect();
            let mut order: Vec<usize> = (0..shown.len()).collect();
            order.par_sort_unstable_by(|&a, &b| {
                let (a, b) = (shown[a], shown[b]);
                b.severity
                    .cmp(&a.severity)
                    .then_with(|| b.error_events.cmp(&a.error_events))
                    .then_with(|| a.device_id.cmp(&b.device_id))
                    .then_with(|| a.module_id.cmp(&b.module_id))
            });
            order
        },
    );
    drop(every);
    insights.extend(cohort_insights);
    // The reports are put in order where they are: a device's report is a few hundred
    // bytes, and a second list of them would double the largest thing alive.
    let mut devices: Vec<DeviceReport> = (reports.into_iter())
        .filter_map(|(shown, device)| shown.then_some(device))
        .collect();
    devices.shrink_to_fit();
    permute(&mut devices, order);
    let mut curve = curve;
    if !curve.points.is_empty() {
        curve.marks = insights
            .iter()
            .filter(|i| {
                matches!(
                    i.kind,
                    InsightKind::HubIncident | InsightKind::MassDisconnect
                )
            })
            .map(|i| diagnosis::CurveMark {
                kind: i.kind,
                start: i.start,
                end: i.end,
                devices: i.evidence.devices.unwrap_or(0),
            })
            .collect();
    }
    // The events are gone.
    memory::release_freed();
    (devices, insights, curve, cohorts, breakdown)
}

/// Puts `items` in the order `order` gives: the item at `order[i]` goes to place `i`.
/// Each cycle of the permutation is followed by swaps, so nothing is copied aside.
fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    for start in 0..order.len() {
        let mut place = start;
        loop {
            let from = std::mem::replace(&mut order[place], place);
            if from == start {
                break;
            }
            items.swap(place, from);
            place = from;
        }
    }
}

/// The fleet's codes, most frequent first.
fn code_summary(devices: &[DeviceReport]) -> Vec<CodeSummary> {
    let mut codes: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for device in devices {
        for code in &device.codes {
            let entry = codes.entry(code.code.as_str()).or_default();
            entry.0 += code.count;
            entry.1 += 1;
        }
    }
    let mut codes: Vec<CodeSummary> = codes
        .into_iter()
        .map(|(code, (count, device_count))| {
            let explained = rules::explain(code);
            CodeSummary {
                code: code.to_string(),
                name: explained
                    .map_or("NotAnErrorCode", |e| e.info.name)
                    .to_string(),
                known: explained.is_some_and(|e| e.known),
                count,
                devices: device_count,
            }
        })
        .collect();
    codes.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(&b.code)));
    codes
}

/// What became of one record, for the tallies.
enum Fate<'a> {
    Analyzed,
    Filtered(&'a str),
    Skipped(&'a str),
}

impl Analyzer {
    /// Counts the repeats dropped when reading ended as filtered, each against the input
    /// it came from.
    fn filter_repeats(&mut self, repeats: &[(u32, Kind)]) {
        for &(sequence, kind) in repeats {
            let runs = self
                .arrivals
                .partition_point(|&(first, _)| first <= sequence);
            // Past 4 billion records arrival numbers saturate and the inputs read since
            // share the last one: count against the latest of those that has a record
            // left to give, so the counts still add up.
            let input = self.arrivals[..runs]
                .iter()
                .rev()
                .map(|&(_, input)| input)
                .find(|&input| self.inputs.get(input).is_some_and(|t| t.analyzed > 0));
            if let Some(tally) = input.and_then(|input| self.inputs.get_mut(input)) {
                tally.analyzed -= 1;
                tally.filtered += 1;
                tally.coverage.remove(kind);
                *self.filtered.entry(DUPLICATE.to_string()).or_default() += 1;
            }
        }
    }

    /// Counts an outcome against its input, and analyzes its record.
    fn take(&mut self, position: &Position, outcome: &Outcome) {
        let verdict = match outcome {
            Outcome::Record(record) => self.consider(record, position),
            Outcome::Filtered(reason) => Fate::Filtered(reason),
            Outcome::Skipped(message) => Fate::Skipped(message),
        };
        let source = matches!(verdict, Fate::Skipped(_)).then(|| self.source_name(position.input));
        let Some(tally) = self.inputs.get_mut(position.input) else {
            return;
        };
        match verdict {
            Fate::Analyzed => tally.analyzed += 1,
            Fate::Filtered(reason) => {
                tally.filtered += 1;
                // Filtered records share a few reasons: a count is found, not made.
                match self.filtered.get_mut(reason) {
                    Some(count) => *count += 1,
                    None => {
                        self.filtered.insert(reason.to_string(), 1);
                    }
                }
            }
            Fate::Skipped(message) => {
                tally.skipped += 1;
                if self.problems.len() < PROBLEMS_KEPT {
                    let source = source.unwrap_or_default();
                    self.problems.push(Problem {
                        source,
                        line: position.line,
                        record: position.record,
                        message: message.to_string(),
                    });
                } else {
                    self.problems_omitted += 1;
                }
            }
        }
    }

    /// Filters or analyzes a valid record.
    fn consider(&mut self, record: &Record, at: &Position) -> Fate<'static> {
        if let Some(reason) = self.filter.reason(record) {
            self.filtered_span = Some(widen(self.filtered_span, record.time));
            if self.filter.in_window(record) {
                self.filtered_end = self.filtered_end.max(Some(record.time));
            }
            Fate::Filtered(reason)
        } else {
            self.record(record, at);
            Fate::Analyzed
        }
    }
}

/// `span` grown to take in `time`.
fn widen(
    span: Option<(DateTime<Utc>, DateTime<Utc>)>,
    time: DateTime<Utc>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    match span {
        Some((first, last)) => (first.min(time), last.max(time)),
        None => (time, time),
    }
}

impl Sink for Analyzer {
    fn outcome(&mut self, position: Position, outcome: Outcome) {
        self.take(&position, &outcome);
    }

    fn outcomes(&mut self, list: &mut Vec<(Position, Outcome)>) {
        for (index, (position, outcome)) in list.iter().enumerate() {
            if let Some((_, Outcome::Record(coming))) = list.get(index + ENTRY_AHEAD) {
                self.devices.prefetch_entry(&coming.device_id);
            }
            if let Some((_, Outcome::Record(next))) = list.get(index + STATE_AHEAD) {
                self.devices.prefetch_state(&next.device_id);
            }
            self.take(position, outcome);
        }
        list.clear();
    }

    fn warning(&mut self, input: usize, message: String) {
        let source = self.source_name(input);
        self.warnings.push(Warning { source, message });
    }

    fn metric(&mut self, _: usize, point: crate::input::MetricPoint) {
        self.metric.push(point);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyzer(analyzed: &[u64]) -> Analyzer {
        let mut analyzer = Analyzer::default();
        for (input, &count) in analyzed.iter().enumerate() {
            analyzer.begin_input(format!("input-{input}"));
            analyzer.inputs[input].analyzed = count;
        }
        analyzer
    }

    fn tallies(analyzer: &Analyzer) -> Vec<(u64, u64)> {
        let tallies = analyzer.inputs.iter();
        tallies.map(|t| (t.analyzed, t.filtered)).collect()
    }

    fn connect(device: &str, line: u64) -> Record {
        Record {
            time: DateTime::from_timestamp(1_772_442_000 + line as i64, 0).expect("test time"),
            device_id: device.into(),
            module_id: None,
            operation: crate::model::Operation::Connect,
            level: crate::model::Level::Information,
            code: None,
            protocol: Some("Mqtt".into()),
            masked_ip: Some("203.0.113.XXX".into()),
            sdk_version: None,
            state_event: false,
        }
    }

    #[test]
    fn a_list_of_outcomes_counts_as_each_one_would() {
        let filter = Filter {
            until: DateTime::from_timestamp(1_772_442_003, 0),
            ..Filter::default()
        };
        let mut analyzer = Analyzer::new(Thresholds::default(), filter);
        analyzer.begin_input("PT1H.json".into());
        let mut list = vec![
            (Position::line(0, 1), Outcome::Record(connect("pump-1", 1))),
            (Position::line(0, 2), Outcome::Skipped("not JSON".into())),
            (Position::line(0, 3), Outcome::Record(connect("pump-2", 3))),
            (
                Position::line(0, 4),
                Outcome::Filtered("not a Connections record".into()),
            ),
            (Position::line(0, 5), Outcome::Record(connect("pump-2", 5))),
            (
                Position::line(0, 6),
                Outcome::Filtered("not a Connections record".into()),
            ),
        ];
        analyzer.outcomes(&mut list);
        assert!(list.is_empty());
        let tally = &analyzer.inputs[0];
        assert_eq!((tally.analyzed, tally.filtered, tally.skipped), (1, 4, 1));
        assert_eq!(analyzer.filtered.get("not a Connections record"), Some(&2));
        assert_eq!(analyzer.filtered.get("at or after --until"), Some(&2));
        let problems = analyzer.problems();
        assert_eq!(problems.len(), 1);
        assert_eq!(
            (problems[0].place(), problems[0].message.as_str()),
            ("PT1H.json:2".into(), "not JSON")
        );
    }

    #[test]
    fn a_permutation_puts_each_item_where_the_order_says() {
        let orders: [&[usize]; 5] = [&[], &[0], &[1, 0], &[2, 0, 1], &[3, 0, 4, 1, 2, 5]];
        for order in orders {
            let mut items: Vec<char> = (0..order.len()).map(|i| (b'a' + i as u8) as char).collect();
            let expected: Vec<char> = order.iter().map(|&i| items[i]).collect();
            permute(&mut items, order.to_vec());
            assert_eq!(items, expected, "{order:?}");
        }
    }

    #[test]
    fn a_repeat_is_counted_against_the_input_it_came_from() {
        // Input 0 gave arrivals 1-3, input 1 gave 4-5, input 0 again 6.
        let mut analyzer = analyzer(&[4, 2]);
        analyzer.arrivals = vec![(1, 0), (4, 1), (6, 0)];
        analyzer.filter_repeats(&[(5, Kind::Error), (6, Kind::Error), (3, Kind::Error)]);
        assert_eq!(tallies(&analyzer), [(2, 2), (1, 1)]);
        assert_eq!(analyzer.filtered.get(DUPLICATE), Some(&3));
    }

    #[test]
    fn past_four_billion_arrivals_repeats_still_add_up() {
        // Arrival numbers saturated during input 1: inputs 1 and 2 share the last one.
        let mut analyzer = analyzer(&[5, 1, 1]);
        analyzer.arrivals = vec![(1, 0), (u32::MAX - 1, 1), (u32::MAX, 2)];
        analyzer.filter_repeats(&[(u32::MAX, Kind::Error); 3]);
        assert_eq!(tallies(&analyzer), [(4, 1), (0, 1), (0, 1)]);
        assert_eq!(analyzer.filtered.get(DUPLICATE), Some(&3));
    }
}
