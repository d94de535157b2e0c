//! Runs a resolved command: reads every input into the analyzer, renders the report to
//! the writer it is given, and says on stderr what was skipped or odd. The only module
//! that writes diagnostics.

use crate::analysis::report::Report;
use crate::analysis::{Analyzer, DeviceKey};
use crate::cli;
use crate::config::{AnalyzeConfig, Command, Output};
use crate::escape::terminal;
use crate::gate;
use crate::input::{self, Source, Unit};
use crate::memory;
use crate::model::Shape;
use crate::report::{self, Format, RenderOptions, Style};
use crate::rules;
use crate::synth::{self, FleetSpec};
use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use std::fs::File;
use std::io::{BufWriter, IsTerminal, Read, Write};
use std::path::Path;

/// How many skipped records are described on stderr; all are in the JSON report.
const PROBLEMS_SHOWN: usize = 5;

/// How much of each input is looked at to tell a findings result from log records.
const FINDINGS_PREFIX: usize = 64 * 1024;

/// How a command that ran ended: the CI gate decides between the two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Exit code 0.
    Clean,
    /// Findings reached the gate: exit code 1, even when stdout was closed early.
    Gated,
    /// Stdout was closed before the report was written whole (`| head`), and the gate
    /// passed: exit code 0, quietly.
    Closed,
}

/// Starts rayon's pool, shared by the analysis and the renderers: one thread a core
/// unless the command asks for fewer or more (the parsers take their number from the
/// options).
///
/// # Errors
///
/// The system refused the threads.
pub fn start_threads(command: &Command) -> std::result::Result<(), String> {
    let Some(threads) = command.threads() else {
        return Ok(());
    };
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.get())
        .build_global()
        .map_err(|err| format!("cannot start {threads} threads: {err}"))
}

/// The exit code of a run, from how it ended and whether stdout took the report whole:
/// 0 clean, 1 the gate failed (whatever happened to stdout), or the message of a run
/// that could not finish (exit code 2). A closed stdout (`| head`) ends quietly.
///
/// # Errors
///
/// The run failed, or the report could not be written.
pub fn exit_code(
    result: Result<Exit>,
    flushed: std::io::Result<()>,
) -> std::result::Result<u8, String> {
    match result {
        Ok(Exit::Gated) => Ok(1),
        Ok(Exit::Closed) => Ok(0),
        Ok(Exit::Clean) => match flushed {
            Ok(()) => Ok(0),
            Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
            Err(err) => Err(format!("cannot write the report: {err}")),
        },
        Err(err) if is_broken_pipe(&err) => Ok(0),
        Err(err) => Err(format!("{err:#}")),
    }
}

/// Made for a process that ends when it returns: the report of an analysis is not freed.
pub fn run(command: Command, out: &mut dyn Write, err: &mut dyn Write) -> Result<Exit> {
    match command {
        Command::Analyze(config) => return analyze(&config, out, err),
        Command::Timeline { device, config } => timeline(&device, &config, out, err)?,
        Command::Kql(options) => out.write_all(crate::kql::query(&options).as_bytes())?,
        Command::Explain { code, json, output } => explain(&code, json, output, out)?,
        Command::Codes { json, output } => codes(json, output, out)?,
        Command::Generate { spec, shape, truth } => generate(&spec, shape, truth.as_deref(), out)?,
        Command::Completions { shell } => cli::pages::completions(&shell, out)?,
        Command::Man { page, dir } => cli::pages::man(page.as_deref(), dir.as_deref(), out)?,
    }
    Ok(Exit::Clean)
}

fn generate(
    spec: &FleetSpec,
    shape: Shape,
    truth_file: Option<&Path>,
    out: &mut dyn Write,
) -> Result<()> {
    let truth = synth::write_fleet(spec, shape, out)?;
    out.flush()?;
    if let Some(path) = truth_file {
        let file = std::fs::File::create(path)
            .with_context(|| format!("{}: cannot write", path.display()))?;
        // The last buffer is flushed here, not on drop, where its error would be lost.
        let mut writer = BufWriter::new(file);
        serde_json::to_writer_pretty(&mut writer, &truth)
            .map_err(anyhow::Error::from)
            .and_then(|()| writer.flush().map_err(Into::into))
            .with_context(|| format!("{}: cannot write", path.display()))?;
    }
    Ok(())
}

fn analyze(config: &AnalyzeConfig, out: &mut dyn Write, err: &mut dyn Write) -> Result<Exit> {
    refuse_writing_onto_inputs(config)?;
    // Read the baseline first: a wrong path should fail before minutes of reading.
    let baseline = config
        .gate
        .baseline
        .as_deref()
        .map(gate::load_baseline)
        .transpose()?;
    let (mut units, warnings) = expand(config)?;
    // A page to share shows the worst identities' timelines: the report keeps them.
    let page = config.targets.iter().any(|(format, _)| format.page);
    let report = if let Some(report) = findings_input(&mut units, config, err)? {
        report
    } else {
        let analyzer = read_units(config, &units, warnings, err)?;
        let told = analyzer.warnings().len();
        let report = if page {
            analyzer.finish_with_stories(report::html::DEVICES_DETAILED)
        } else {
            analyzer.finish()
        };
        // What only the finished analysis can say (the metric against the logs).
        tell_warnings(report.warnings.get(told..).unwrap_or_default(), err)?;
        report
    };
    // What the analysis worked with goes back before rendering allocates the report's text.
    memory::release_freed();
    // The verdict is decided on the whole report, before any of it is written: a reader
    // that closes stdout early (`| head`) must not turn a failed gate into a pass.
    let verdict = gate::verdict(&config.gate, &report.findings, baseline.as_ref());
    let mut stdout_closed = false;
    for (format, path) in &config.targets {
        match path {
            None if stdout_closed => {}
            None => match render(format, &report, config, out).and_then(|()| Ok(out.flush()?)) {
                Err(err) if is_broken_pipe(&err) => stdout_closed = true,
                other => other?,
            },
            Some(path) => write_report(path, |writer| render(format, &report, config, writer))
                .with_context(|| format!("{}: cannot write", path.display()))?,
        }
    }
    // The process ends once the verdict is out, and the system takes its memory back at
    // once: freeing a large fleet's report string by string would only delay the exit.
    std::mem::forget(report);
    match verdict {
        Some(reason) => {
            writeln!(err, "iothub-triage: failing: {reason}")?;
            Ok(Exit::Gated)
        }
        None if stdout_closed => Ok(Exit::Closed),
        None => Ok(Exit::Clean),
    }
}

/// A report file named with `-o` must not be one of the inputs: writing it would
/// destroy the log before it is read.
fn refuse_writing_onto_inputs(config: &AnalyzeConfig) -> Result<()> {
    let inputs: Vec<std::path::PathBuf> = config
        .sources
        .iter()
        .filter_map(|source| match source {
            Source::Path(path) => std::fs::canonicalize(path).ok(),
            Source::Stdin | Source::Storage(_) => None,
        })
        .collect();
    for path in config.targets.iter().filter_map(|(_, path)| path.as_ref()) {
        if let Ok(target) = std::fs::canonicalize(path)
            && inputs.contains(&target)
        {
            bail!(
                "{}: refusing to write a report onto an input of the same run",
                path.display()
            );
        }
    }
    Ok(())
}

/// Writes a report file whole or not at all: into a temporary file beside it, renamed
/// over it once written and flushed, so that a failed run (a full disk, an error while
/// rendering) leaves the previous report, not a cut one. What is not a regular file
/// (`/dev/stdout`, a pipe) is written directly.
fn write_report(path: &Path, render: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    let regular = std::fs::metadata(path).map_or(true, |metadata| metadata.is_file());
    if !regular {
        let mut writer = BufWriter::new(File::create(path)?);
        render(&mut writer)?;
        return Ok(writer.flush()?);
    }
    let name = path.file_name().map_or_else(
        || "report".into(),
        |name| name.to_string_lossy().into_owned(),
    );
    let temporary = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = File::create(&temporary)
        .map_err(anyhow::Error::from)
        .and_then(|file| {
            let mut writer = BufWriter::new(file);
            render(&mut writer)?;
            let file = writer
                .into_inner()
                .map_err(std::io::IntoInnerError::into_error)?;
            file.sync_all()?;
            Ok(())
        })
        .and_then(|()| Ok(std::fs::rename(&temporary, path)?));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// Whether an error comes from writing to a pipe whose reader is gone.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|cause| cause.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}

fn render(
    format: &Format,
    report: &Report,
    config: &AnalyzeConfig,
    out: &mut dyn Write,
) -> Result<()> {
    Ok((format.render)(report, &render_options(config), out)?)
}

fn render_options(config: &AnalyzeConfig) -> RenderOptions {
    RenderOptions {
        fail_on: config.gate.fail_on,
        style: style(config.output),
        footer: config.footer.clone(),
    }
}

fn timeline(
    device: &DeviceKey,
    config: &AnalyzeConfig,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    let analyzer = read_all(config, err)?;
    let timeline = match analyzer.timeline(device) {
        Ok(timeline) => timeline,
        Err(similar) if similar.is_empty() => {
            bail!("device {:?} is not in the logs", device.identity())
        }
        Err(similar) => {
            bail!(
                "device {:?} is not in the logs; similar ids: {}",
                device.identity(),
                similar.join(", ")
            )
        }
    };
    let format = config
        .targets
        .first()
        .map_or("table", |(format, _)| format.name);
    // The command line offers `timeline` only the formats that have a timeline renderer.
    let Some(render) = report::format(format).and_then(|format| format.timeline) else {
        bail!("timeline does not write {format}");
    };
    render(&timeline, &render_options(config), out)?;
    out.flush()?;
    Ok(())
}

/// Reads every input into an analyzer and says on stderr what was skipped or odd.
fn read_all(config: &AnalyzeConfig, err: &mut dyn Write) -> Result<Analyzer> {
    let (units, warnings) = expand(config)?;
    read_units(config, &units, warnings, err)
}

/// The inputs as readable units, in name order, and what was passed over.
fn expand(config: &AnalyzeConfig) -> Result<(Vec<Unit>, Vec<String>)> {
    if config.sources == [Source::Stdin] && std::io::stdin().is_terminal() {
        bail!("no input: name a log file, or pipe an export into `iothub-triage analyze -`");
    }
    let mut warnings = Vec::new();
    let mut units = input::expand(&config.sources, &config.input.limits, &mut |message| {
        warnings.push(message);
    })?;
    // The same inputs give the same report whatever order they were named in.
    units.sort_by(|a, b| a.name.cmp(&b.name));
    Ok((units, warnings))
}

/// A report of the findings when the inputs are query results (`iothub-triage kql` run
/// where the logs are) rather than log records; `None` for logs.
fn findings_input(
    units: &mut [Unit],
    config: &AnalyzeConfig,
    err: &mut dyn Write,
) -> Result<Option<Report>> {
    let limits = &config.input.limits;
    // Per input: findings, log records, or (found, not named) neither, to pass over.
    let mut kinds = Vec::with_capacity(units.len());
    for unit in units.iter_mut() {
        let prefix = match unit.prefix(limits, FINDINGS_PREFIX) {
            Ok(prefix) => prefix,
            Err(_) if !unit.named() => {
                kinds.push(None);
                continue;
            }
            Err(err) => return Err(err),
        };
        let findings = input::findings::is_findings(&prefix);
        let neither = !findings && !unit.named() && !input::is_log(&prefix);
        kinds.push((!neither).then_some(findings));
    }
    let (Some(first), Some(other)) = (
        kinds.iter().position(|&f| f == Some(true)),
        kinds.iter().position(|&f| f == Some(false)),
    ) else {
        if !kinds.contains(&Some(true)) {
            return Ok(None);
        }
        let mut findings = Vec::new();
        for (unit, kind) in units.iter().zip(&kinds) {
            if kind.is_none() {
                writeln!(
                    err,
                    "iothub-triage: warning: {}: skipped: neither findings nor a log",
                    terminal(&unit.name)
                )?;
                continue;
            }
            let mut bytes = Vec::new();
            unit.open(limits)?
                .read_to_end(&mut bytes)
                .with_context(|| format!("{}: cannot read", unit.name))?;
            findings.extend(input::findings::read(&unit.name, &bytes)?);
        }
        let names = units
            .iter()
            .zip(&kinds)
            .filter(|(_, kind)| kind.is_some())
            .map(|(unit, _)| unit.name.clone())
            .collect();
        return Ok(Some(Report::from_findings(names, findings)));
    };
    bail!(
        "{} holds findings (a query result) and {} log records: analyze one kind at a time",
        units[first].name,
        units[other].name
    )
}

/// Reads the units into an analyzer and says on stderr what was skipped or odd.
fn read_units(
    config: &AnalyzeConfig,
    units: &[Unit],
    warnings: Vec<String>,
    err: &mut dyn Write,
) -> Result<Analyzer> {
    for note in &config.time_notes {
        writeln!(err, "iothub-triage: note: {}", terminal(note))?;
    }
    let mut filter = config.filter.clone();
    if let Some(last) = config.last
        && let Some(end) = log_end(config, units)?
    {
        let since = end.checked_sub_signed(last).unwrap_or(end);
        filter.since = Some(since);
        writeln!(
            err,
            "iothub-triage: note: --last {} is from {} on ({} before the log's latest record, {})",
            humantime::format_duration(last.to_std().unwrap_or_default()),
            crate::model::format_time(&since),
            humantime::format_duration(last.to_std().unwrap_or_default()),
            crate::model::format_time(&end),
        )?;
    }
    let mut analyzer = Analyzer::new(config.thresholds.clone(), filter.clone());
    for message in warnings {
        analyzer.warn(message);
    }
    let indices: Vec<usize> = units
        .iter()
        .map(|unit| analyzer.begin_input(unit.name.clone()))
        .collect();
    let mut passed_over = 0;
    input::read_in_order(
        units,
        &indices,
        &config.input,
        &mut analyzer,
        &mut |analyzer, index, shape| {
            analyzer.end_input(index, shape);
            if shape == input::Shape::Skipped {
                passed_over += 1;
                if config.strict {
                    let why = analyzer
                        .warnings()
                        .last()
                        .map(|w| {
                            let reason = w.message.trim_start_matches(input::PASSED_OVER);
                            format!("{}: {reason}", w.source)
                        })
                        .unwrap_or_default();
                    bail!("{why} (--strict stops at an input that cannot be read as a log)");
                }
            }
            match analyzer.problems().first() {
                Some(problem) if config.strict => bail!(
                    "{}: {} (--strict stops at the first malformed record)",
                    problem.place(),
                    problem.message
                ),
                _ => Ok(()),
            }
        },
    )?;
    analyzer.note_coverage();
    // The span is found over every event: only a time window needs it.
    let windowed = filter.since.is_some() || filter.until.is_some();
    if let Some(message) = windowed
        .then(|| analyzer.read_span())
        .and_then(|span| empty_window(&filter, span))
    {
        analyzer.warn(message);
    }
    tell_problems(&analyzer, err)?;
    if !units.is_empty() && passed_over == units.len() {
        bail!(
            "nothing could be read: {} input{} found, none of them a log (see the warnings above)",
            units.len(),
            if units.len() == 1 { "" } else { "s" }
        );
    }
    if units.is_empty() {
        let named: Vec<String> = config.sources.iter().map(Source::display_name).collect();
        bail!("nothing to read: {} holds no log files", named.join(", "));
    }
    Ok(analyzer)
}

/// The latest time of the inputs' records, read once before the analysis for `--last`.
fn log_end(config: &AnalyzeConfig, units: &[Unit]) -> Result<Option<DateTime<Utc>>> {
    if units.iter().any(Unit::is_stdin) {
        bail!(
            "--last counts back from the end of the log, which takes reading the input twice: \
             standard input can be read only once; save it to a file, or use --since"
        );
    }
    /// Keeps the latest time of the records read, nothing else.
    struct LogEnd(Option<DateTime<Utc>>);
    impl input::Sink for LogEnd {
        fn outcome(&mut self, _: crate::model::Position, outcome: input::Outcome) {
            if let input::Outcome::Record(record) = outcome {
                self.0 = self.0.max(Some(record.time));
            }
        }
        fn warning(&mut self, _: usize, _: String) {}
    }
    let mut end = LogEnd(None);
    let indices: Vec<usize> = (0..units.len()).collect();
    input::read_in_order(units, &indices, &config.input, &mut end, &mut |_, _, _| {
        Ok(())
    })?;
    Ok(end.0)
}

/// A warning when the time window holds none of the records read.
fn empty_window(
    filter: &crate::analysis::Filter,
    span: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> Option<String> {
    let (first, last) = span?;
    if filter.since.is_none() && filter.until.is_none() {
        return None;
    }
    let after = filter.since.is_some_and(|since| since > last);
    let before = filter.until.is_some_and(|until| until <= first);
    let crossed =
        matches!((filter.since, filter.until), (Some(since), Some(until)) if since >= until);
    if !(after || before || crossed) {
        return None;
    }
    let window = match (filter.since, filter.until) {
        (Some(since), Some(until)) => format!(
            "from {} to {}",
            crate::model::format_time(&since),
            crate::model::format_time(&until)
        ),
        (Some(since), None) => format!("from {} on", crate::model::format_time(&since)),
        (None, Some(until)) => format!("before {}", crate::model::format_time(&until)),
        (None, None) => return None,
    };
    Some(format!(
        "the time window ({window}) leaves out every record: the log runs from {} to {}",
        crate::model::format_time(&first),
        crate::model::format_time(&last)
    ))
}

/// Warnings go to stderr, so stdout stays the report alone.
fn tell_warnings(
    warnings: &[crate::analysis::report::Warning],
    err: &mut dyn Write,
) -> std::io::Result<()> {
    for warning in warnings {
        let message = terminal(&warning.message);
        match warning.source.as_str() {
            "" => writeln!(err, "iothub-triage: warning: {message}")?,
            source => writeln!(
                err,
                "iothub-triage: warning: {}: {message}",
                terminal(source)
            )?,
        }
    }
    Ok(())
}

/// Skips and warnings go to stderr, so stdout stays the report alone.
fn tell_problems(analyzer: &Analyzer, err: &mut dyn Write) -> std::io::Result<()> {
    tell_warnings(analyzer.warnings(), err)?;
    let skipped = analyzer.records_skipped();
    if skipped == 0 {
        return Ok(());
    }
    writeln!(
        err,
        "iothub-triage: skipped {skipped} malformed record{}:",
        if skipped == 1 { "" } else { "s" }
    )?;
    for problem in analyzer.problems().iter().take(PROBLEMS_SHOWN) {
        writeln!(
            err,
            "  {}: {}",
            terminal(&problem.place()),
            terminal(&problem.message)
        )?;
    }
    let rest = skipped.saturating_sub(PROBLEMS_SHOWN as u64);
    if rest > 0 {
        writeln!(
            err,
            "  ... and {rest} more (all listed under \"problems\" with --format json)"
        )?;
    }
    Ok(())
}

fn explain(code: &str, json: bool, output: Output, out: &mut dyn Write) -> Result<()> {
    // A name (`IotHubUnauthorized`, any case) stands for its code.
    let named = rules::by_name(code);
    let code = match named.as_slice() {
        [info] => info.code.to_string(),
        _ => code.to_string(),
    };
    let code = code.as_str();
    let Some(explanation) = rules::explain(code) else {
        let near: Vec<String> = rules::nearest(code, 3)
            .iter()
            .map(|info| format!("{} {}", info.code, info.name))
            .collect();
        let hint = if near.is_empty() {
            String::new()
        } else {
            format!("; did you mean {}?", near.join(", "))
        };
        bail!(
            "{:?} is not an IoT Hub error code or name (expected digits such as 404104, or a \
             name such as DeviceConnectionClosedRemotely){hint}",
            crate::escape::terminal(code)
        );
    };
    if json {
        report::codes::render_explanation_json(&explanation, out)?;
    } else {
        report::codes::render_explanation(code.trim(), &explanation, output.width, out)?;
    }
    Ok(())
}

fn codes(json: bool, output: Output, out: &mut dyn Write) -> Result<()> {
    if json {
        report::codes::render_json(rules::CODES, out)?;
    } else {
        report::codes::render_table(rules::CODES, style(output), out)?;
    }
    Ok(())
}

fn style(output: Output) -> Style {
    Style {
        width: output.width,
        color: output.color,
        hyperlinks: output.hyperlinks,
        top: output.top,
    }
}

#[cfg(test)]
mod exit_tests {
    use super::*;

    fn closed() -> std::io::Result<()> {
        Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
    }

    #[test]
    fn the_gate_decides_whatever_happened_to_stdout() {
        assert_eq!(exit_code(Ok(Exit::Clean), Ok(())), Ok(0));
        assert_eq!(exit_code(Ok(Exit::Gated), closed()), Ok(1));
        assert_eq!(exit_code(Ok(Exit::Closed), Ok(())), Ok(0));
        assert_eq!(exit_code(Ok(Exit::Clean), closed()), Ok(0));
        let full = Err(std::io::Error::other("no space left"));
        assert_eq!(
            exit_code(Ok(Exit::Clean), full),
            Err("cannot write the report: no space left".to_string())
        );
        let failed = Err(anyhow::anyhow!("logs.json: cannot read"));
        assert_eq!(
            exit_code(failed, Ok(())),
            Err("logs.json: cannot read".to_string())
        );
    }
}
