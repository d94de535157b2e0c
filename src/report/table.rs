//! The default terminal report: a summary with the connected-devices curve, then the
//! findings (fleet first, then per device), one line each where the width allows, with
//! the full text of what to do once per kind of advice, each device's codes, and what each
//! code means, once, with its documentation link on a line of its own. Laid out for the
//! width it is given; colour and hyperlinks only when asked.

use super::RenderOptions;
use super::advice::{Advice, short_action};
use super::columns::{TABLE_STYLE, fix_columns, keep_words_whole, longest_line, write_table};
use super::layout::{self, fit, link, wrap};
use crate::analysis::diagnosis::Curve;
use crate::analysis::report::{Breakdown, DeviceCode, DeviceReport, GroupDrops, HourDrops, Report};
use crate::escape::{table_cell, terminal};
use crate::model::{Severity, format_time};
use crate::rules;
use chrono::{DateTime, Datelike, Utc};
use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table};
use std::io::{self, Write};

/// How the table is laid out; decided once by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub width: u16,
    pub color: bool,
    /// Links as OSC 8 hyperlinks: only on a terminal known to show them.
    pub hyperlinks: bool,
    /// Devices shown in the findings and codes tables; 0 shows all.
    pub top: usize,
}

/// Devices without findings are named, up to this many.
const HEALTHY_NAMED: usize = 20;
/// Characters of the connected-devices sparkline.
const SPARK_WIDTH: usize = 48;
/// Characters of the sparkline on the narrowest terminal.
const SPARK_MIN: usize = 16;

pub fn render(report: &Report, options: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let style = options.style;
    if report.devices.is_empty() && !report.findings.is_empty() {
        return findings_only(report, style, out);
    }
    summary(report, style, out)?;
    if report.summary.coverage.device_state == "unknown" && report.summary.records_analyzed > 0 {
        writeln!(
            out,
            "Connected devices: cannot be told from this export (no successful connects)"
        )?;
    } else {
        curve(&report.connected_devices, style, out)?;
    }
    if let Some(metric) = &report.connected_devices.metric {
        writeln!(
            out,
            "Hub metric: {}",
            crate::analysis::metric::summary(metric)
        )?;
    }

    let mut advice = Advice::default();
    if !report.insights.is_empty() {
        writeln!(out, "\nFleet")?;
        let mut table = new_table(style, &["#", "Severity", "Finding", "Action"]);
        for (index, insight) in report.insights.iter().enumerate() {
            let short = short_action(insight.kind);
            advice.add(
                short,
                &terminal(&insight.action),
                &format!("fleet #{}", index + 1),
            );
            table.add_row(vec![
                Cell::new(index + 1),
                severity_cell(insight.severity, style),
                Cell::new(table_cell(&insight.summary)),
                Cell::new(short),
            ]);
        }
        keep_words_whole(&mut table);
        let (number, severity) = (longest_line(&table, 0), longest_line(&table, 1));
        let action = action_columns(&table, 3, style);
        fix_columns(&mut table, &[(0, number), (1, severity), (3, action)]);
        write_table(out, &table)?;
    }
    drops(&report.breakdown, style, out)?;

    let (flagged, healthy): (Vec<&DeviceReport>, Vec<&DeviceReport>) = report
        .devices
        .iter()
        .partition(|d| d.severity.is_some() || !d.codes.is_empty());
    let shown = if style.top == 0 {
        flagged.len()
    } else {
        style.top.min(flagged.len())
    };
    if !flagged.is_empty() {
        writeln!(out, "\nFindings")?;
        write_table(
            out,
            &findings_table(&flagged[..shown], report, style, &mut advice),
        )?;
        if flagged.len() > shown {
            writeln!(
                out,
                "... and {} more devices with findings (--top 0 shows all; --format json lists every device)",
                flagged.len() - shown
            )?;
        }
    }
    advice.render(style, out)?;
    if flagged[..shown].iter().any(|d| !d.codes.is_empty()) {
        writeln!(out, "\nCodes per device")?;
        write_table(out, &codes_table(&flagged[..shown], report, style))?;
        meanings(report, style, out)?;
    }
    let gaps: Vec<(&DeviceReport, &String)> = flagged[..shown]
        .iter()
        .flat_map(|d| d.gaps.iter().map(move |gap| (*d, gap)))
        .collect();
    if !gaps.is_empty() {
        writeln!(out, "\nIncomplete stories (events missing from the log)")?;
        let columns = usize::from(style.width);
        for (device, gap) in gaps {
            let line = format!("{}: {}", terminal(&device.identity()), terminal(gap));
            writeln!(out, "{}", wrap(&line, columns, "  ", "    "))?;
        }
    }
    if !healthy.is_empty() {
        let names: Vec<String> = healthy
            .iter()
            .take(HEALTHY_NAMED)
            .map(|d| terminal(&d.identity()).into_owned())
            .collect();
        let more = healthy.len().saturating_sub(HEALTHY_NAMED);
        let tail = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        let line = format!("No findings: {}{tail}", names.join(", "));
        writeln!(out, "\n{}", wrap(&line, usize::from(style.width), "", "  "))?;
    }
    Ok(())
}

/// A findings-only report (a query's result read back): the findings as they came, most
/// severe first, up to `--top` of them.
fn findings_only(report: &Report, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let all = &report.findings;
    let identities: std::collections::BTreeSet<&str> =
        all.iter().filter_map(|f| f.device.as_deref()).collect();
    writeln!(
        out,
        "Findings read from a query result: {} ({} identities; records were analyzed where the \
         query ran)",
        all.len(),
        identities.len()
    )?;
    let shown = if style.top == 0 {
        all.len()
    } else {
        style.top.min(all.len())
    };
    writeln!(out, "\nFindings")?;
    let mut table = new_table(style, &["Severity", "Identity", "Finding", "What to do"]);
    for finding in &all[..shown] {
        table.add_row(vec![
            severity_cell(finding.severity, style),
            Cell::new(identity_cell(
                finding.device.as_deref().unwrap_or("(fleet)"),
            )),
            Cell::new(table_cell(&finding.title)),
            Cell::new(table_cell(&finding.action)),
        ]);
    }
    keep_words_whole(&mut table);
    write_table(out, &table)?;
    if all.len() > shown {
        writeln!(
            out,
            "... and {} more findings (--top 0 shows all)",
            all.len() - shown
        )?;
    }
    Ok(())
}

/// Inputs named one by one, up to this many; beyond, counted by shape.
const INPUTS_NAMED: usize = 5;

fn summary(report: &Report, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let summary = &report.summary;
    let columns = usize::from(style.width);
    if report.inputs.len() > 1 {
        writeln!(out, "Inputs: {}", report.inputs.len())?;
        if report.inputs.len() <= INPUTS_NAMED {
            for input in &report.inputs {
                let line = format!(
                    "{} ({}, {} records)",
                    terminal(&input.source),
                    input.shape,
                    input.records_read
                );
                writeln!(out, "{}", wrap(&line, columns, "  ", "    "))?;
            }
        } else {
            let mut shapes: std::collections::BTreeMap<&str, (usize, u64)> =
                std::collections::BTreeMap::new();
            for input in &report.inputs {
                let entry = shapes.entry(input.shape.as_str()).or_default();
                entry.0 += 1;
                entry.1 += input.records_read;
            }
            for (shape, (files, records)) in shapes {
                writeln!(out, "  {files} {shape} inputs, {records} records")?;
            }
        }
    }
    writeln!(
        out,
        "Records: {} read, {} analyzed, {} filtered, {} skipped",
        summary.records_read,
        summary.records_analyzed,
        summary.records_filtered,
        summary.records_skipped
    )?;
    for filter in &summary.filtered {
        let line = format!("filtered {}: {}", filter.count, terminal(&filter.reason));
        writeln!(out, "{}", wrap(&line, columns, "  ", "    "))?;
    }
    let evidence = match summary.coverage.records {
        "errors_only" => Some("error records only"),
        "no_connects" => Some("no successful connects"),
        _ => None,
    };
    if let Some(evidence) = evidence {
        let line = format!(
            "Evidence: {evidence}: offline devices and credential failures cannot be told, \
             device states are unknown"
        );
        writeln!(out, "{}", wrap(&line, columns, "", "  "))?;
    }
    let counts = summary.devices_by_severity;
    let by_severity: Vec<String> = [
        (counts.critical, "critical"),
        (counts.high, "high"),
        (counts.medium, "medium"),
        (counts.low, "low"),
        (counts.info, "info"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, name)| format!("{n} {name}"))
    .collect();
    // One base for every count: the identities shown (all of them unless --code or
    // --level chose some), each counted once, by its worst finding.
    let with_findings = counts.critical + counts.high + counts.medium + counts.low + counts.info;
    let shown = if summary.devices_shown == summary.devices {
        format!("{}", summary.devices)
    } else {
        format!(
            "{} of {} shown (--code, --level)",
            summary.devices_shown, summary.devices
        )
    };
    let findings = if by_severity.is_empty() {
        "none with a finding".to_string()
    } else {
        format!(
            "{with_findings} with a finding ({})",
            by_severity.join(", ")
        )
    };
    let line = format!(
        "Devices: {shown}: {findings}, {} without; {} with error records",
        summary.devices_shown.saturating_sub(with_findings),
        summary.devices_with_errors
    );
    writeln!(out, "{}", wrap(&line, columns, "", "  "))?;
    if let (Some(first), Some(last)) = (summary.first_event, summary.last_event) {
        writeln!(
            out,
            "Span:    {} to {} ({})",
            format_time(&first),
            format_time(&last),
            span(first, last)
        )?;
    }
    Ok(())
}

/// Where the fleet's drops fall, in a few lines.
fn drops(breakdown: &Breakdown, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let columns = usize::from(style.width);
    let indent = " ".repeat(17);
    if breakdown.drops == 0 {
        return Ok(());
    }
    let identities: u64 = breakdown.by_protocol.iter().map(|g| g.identities).sum();
    let line = format!(
        "Drops (lost connections nothing benign explains): {} on {identities} identit{}",
        breakdown.drops,
        if identities == 1 { "y" } else { "ies" }
    );
    writeln!(out, "\n{}", wrap(&line, columns, "", "  "))?;
    // The busiest hours, in time order.
    let mut busiest: Vec<&HourDrops> = breakdown.per_hour.iter().collect();
    busiest.sort_by_key(|h| std::cmp::Reverse(h.drops));
    busiest.truncate(BUSIEST_HOURS);
    busiest.sort_by_key(|h| h.hour);
    let hours: Vec<String> = busiest
        .iter()
        .map(|h| format!("{} {}", h.hour.format("%m-%d %H:00"), h.drops))
        .collect();
    let hours = hours.join(", ");
    writeln!(
        out,
        "{}",
        wrap(&hours, columns, "  busiest hours: ", &indent)
    )?;
    let groups = |list: &[GroupDrops]| {
        let words: Vec<String> = list
            .iter()
            .take(BREAKDOWN_ROWS)
            .map(|g| format!("{} {} ({})", terminal(&g.value), g.drops, g.identities))
            .collect();
        words.join(", ")
    };
    let sdk = groups(&breakdown.by_sdk_version);
    writeln!(out, "{}", wrap(&sdk, columns, "  by SDK:        ", &indent))?;
    let protocol = groups(&breakdown.by_protocol);
    writeln!(
        out,
        "{}",
        wrap(&protocol, columns, "  by protocol:   ", &indent)
    )?;
    let most: Vec<String> = breakdown
        .most_drops
        .iter()
        .take(BREAKDOWN_ROWS)
        .map(|d| format!("{} {}", terminal(&d.identity), d.drops))
        .collect();
    let most = most.join(", ");
    writeln!(
        out,
        "{}",
        wrap(&most, columns, "  most:          ", &indent)
    )
}

/// Hours and groups the drops section names, at most.
const BUSIEST_HOURS: usize = 5;
const BREAKDOWN_ROWS: usize = 5;

/// The reconstructed "Connected devices" metric as a sparkline, with its drops.
fn curve(curve: &Curve, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let Some(last) = curve.points.last() else {
        return Ok(());
    };
    let low = curve.points.iter().map(|p| p.min).min().unwrap_or(0);
    let high = curve.points.iter().map(|p| p.max).max().unwrap_or(0);
    let tail = format!("  now {} (min {low}, max {high})", last.connected);
    let label = "Connected devices: ";
    // The sparkline gives up characters before the line runs past the edge.
    let room = usize::from(style.width).saturating_sub(label.len() + tail.len());
    let characters = room.clamp(SPARK_MIN, SPARK_WIDTH);
    writeln!(out, "{label}{}{tail}", sparkline(curve, characters))?;
    for drop in &curve.drops {
        writeln!(
            out,
            "  drop {} to {}: {} -> {}",
            format_time(&drop.start),
            format_time(&drop.end),
            drop.from,
            drop.to
        )?;
    }
    for mark in &curve.marks {
        writeln!(
            out,
            "  {} {} to {}: {} identities",
            mark.kind.as_str().replace('_', " "),
            format_time(&mark.start),
            format_time(&mark.end),
            mark.devices
        )?;
    }
    Ok(())
}

/// One character per group of buckets, showing the group's lowest count so that short
/// drops stay visible.
fn sparkline(curve: &Curve, characters: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let high = curve.points.iter().map(|p| p.max).max().unwrap_or(0);
    let group = curve.points.len().div_ceil(characters.max(1)).max(1);
    curve
        .points
        .chunks(group)
        .map(|chunk| {
            let value = chunk.iter().map(|p| p.min).min().unwrap_or(0);
            let index = (value * (BARS.len() as u64 - 1))
                .checked_div(high)
                .unwrap_or(0);
            BARS[usize::try_from(index).unwrap_or(0).min(BARS.len() - 1)]
        })
        .collect()
}

/// One line of the findings: who, how bad, what, and the short form of what to do, whose
/// full text is said once under "What to do".
struct Row {
    severity: Severity,
    identity: String,
    finding: String,
    action: String,
}

/// Columns an identity gets before it is shortened in the middle.
const IDENTITY_COLUMNS: usize = 32;

/// An identity as a table shows it: escaped, and shortened when too long for its column.
fn identity_cell(identity: &str) -> String {
    fit(&terminal(identity), IDENTITY_COLUMNS).into_owned()
}

fn findings_table(
    devices: &[&DeviceReport],
    report: &Report,
    style: Style,
    advice: &mut Advice,
) -> Table {
    let mut lines: Vec<Row> = Vec::new();
    // Devices whose only story is a fleet incident share one row per incident.
    let mut victims: Vec<Vec<String>> = vec![Vec::new(); report.insights.len()];
    for device in devices {
        let only_victim = device.insights.is_empty()
            && device.codes.iter().all(|c| c.finding_severity.is_none())
            && !device.incidents.is_empty();
        let identity = identity_cell(&device.identity());
        if only_victim {
            for index in &device.incidents {
                if let Some(names) = victims.get_mut(*index) {
                    names.push(identity.clone());
                }
            }
            continue;
        }
        let mut rows: Vec<(Severity, String, String)> = Vec::new();
        for insight in &device.insights {
            let short = short_action(insight.kind);
            advice.add(short, &terminal(&insight.action), &identity);
            rows.push((
                insight.severity,
                table_cell(&insight.summary).into_owned(),
                short.to_string(),
            ));
        }
        for index in &device.incidents {
            rows.push((
                Severity::Info,
                incident_finding(report, *index),
                format!("none: fleet #{}", index + 1),
            ));
        }
        // The codes nothing explains speak for themselves, in one row.
        let residual: Vec<&DeviceCode> = device
            .codes
            .iter()
            .filter(|c| c.finding_severity.is_some())
            .collect();
        if let Some(severity) = residual.iter().filter_map(|c| c.finding_severity).max() {
            let codes: Vec<String> = residual
                .iter()
                .map(|c| {
                    let unexplained = c
                        .count
                        .saturating_sub(c.expected + c.in_incident + c.side_effect + c.in_insights);
                    // On a narrow terminal the names wait for "What the codes mean".
                    if style.width < WIDE {
                        format!("{} x{unexplained}", table_cell(&c.code))
                    } else {
                        format!("{} x{unexplained} ({})", table_cell(&c.code), c.name)
                    }
                })
                .collect();
            let action = match residual.as_slice() {
                [one] if one.code.len() <= 8 => format!("explain {}", terminal(&one.code)),
                _ => "see codes below".to_string(),
            };
            rows.push((
                severity,
                format!("Errors without a pattern: {}", codes.join(", ")),
                action,
            ));
        }
        // Worst first; a stable sort keeps the insights' own order among equals.
        rows.sort_by_key(|row| std::cmp::Reverse(row.0));
        for (index, (severity, finding, action)) in rows.into_iter().enumerate() {
            lines.push(Row {
                severity,
                identity: if index == 0 {
                    identity.clone()
                } else {
                    String::new()
                },
                finding,
                action,
            });
        }
    }
    for (index, names) in victims
        .iter()
        .enumerate()
        .filter(|(_, names)| !names.is_empty())
    {
        lines.push(Row {
            severity: Severity::Info,
            identity: name_list(names),
            finding: incident_finding(report, index),
            action: format!("none: fleet #{}", index + 1),
        });
    }
    // The identity column is as wide as the longest single identity: a list of the
    // devices an incident hit wraps within it rather than taking the findings' room.
    let widest = lines
        .iter()
        .filter(|row| !row.identity.contains(", "))
        .map(|row| layout::width(&row.identity))
        .max()
        .unwrap_or(0)
        .max("Identity".len());
    let mut table = new_table(style, &["Severity", "Identity", "Finding", "Action"]);
    for row in lines {
        table.add_row(vec![
            severity_cell(row.severity, style),
            Cell::new(row.identity),
            Cell::new(row.finding),
            Cell::new(row.action),
        ]);
    }
    keep_words_whole(&mut table);
    let severity = longest_line(&table, 0);
    let action = action_columns(&table, 3, style);
    fix_columns(
        &mut table,
        &[
            (0, severity),
            (1, widest.min(IDENTITY_COLUMNS)),
            (3, action),
        ],
    );
    table
}

/// The widest the action column gets on a narrow terminal.
const ACTION_COLUMNS: usize = 17;

/// The short actions' column: as wide as the longest, up to [`ACTION_COLUMNS`] on a
/// narrow terminal.
fn action_columns(table: &Table, index: usize, style: Style) -> usize {
    let longest = longest_line(table, index);
    if style.width < WIDE {
        longest.min(ACTION_COLUMNS)
    } else {
        longest
    }
}

fn incident_finding(report: &Report, index: usize) -> String {
    let when = report.insights.get(index).map_or(String::new(), |i| {
        format!(" ({} to {})", format_time(&i.start), format_time(&i.end))
    });
    format!("Hit by fleet incident {}{when}", index + 1)
}

/// `a, b, c and 5 more (8 devices)`.
pub(super) fn name_list(names: &[String]) -> String {
    const NAMED: usize = 3;
    let shown = names
        .iter()
        .take(NAMED)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    match names.len() {
        n if n > NAMED => format!("{shown} and {} more ({n} devices)", n - NAMED),
        _ => shown,
    }
}

/// Below this width the codes table writes times without the year, which the span above
/// gives, and the timeline gives codes without their names (`explain` names them).
pub(super) const WIDE: u16 = 120;

/// Below this width the codes table leaves out the codes' names (they are under "What the
/// codes mean"): the longest takes 41 columns.
const NAMES_FROM: u16 = 160;

/// How the codes table writes a time: whole when there is room or when the log spans
/// more than one year, else `03-02 09:14:02`.
fn time_text(report: &Report, style: Style) -> impl Fn(&DateTime<Utc>) -> String {
    let one_year = match (report.summary.first_event, report.summary.last_event) {
        (Some(first), Some(last)) => first.year() == last.year(),
        _ => false,
    };
    let compact = style.width < WIDE && one_year;
    move |time: &DateTime<Utc>| {
        if compact {
            time.format("%m-%d %H:%M:%S").to_string()
        } else {
            format_time(time)
        }
    }
}

fn codes_table(devices: &[&DeviceReport], report: &Report, style: Style) -> Table {
    let wide = style.width >= NAMES_FROM;
    let mut header = vec!["Identity", "Code"];
    if wide {
        header.push("Name");
    }
    header.extend(["Count", "Explained", "First", "Last"]);
    let mut table = new_table(style, &header);
    let time = time_text(report, style);
    for device in devices {
        for (index, code) in device.codes.iter().enumerate() {
            let name = if index == 0 {
                identity_cell(&device.identity())
            } else {
                String::new()
            };
            let mut explained = Vec::new();
            if code.expected > 0 {
                explained.push(format!("{} renewal", code.expected));
            }
            if code.in_incident > 0 {
                explained.push(format!("{} incident", code.in_incident));
            }
            if code.side_effect > 0 {
                explained.push(format!("{} side effect", code.side_effect));
            }
            if code.in_insights > 0 {
                explained.push(format!("{} finding", code.in_insights));
            }
            let mut row = vec![Cell::new(name), Cell::new(table_cell(&code.code))];
            if wide {
                row.push(Cell::new(if code.known {
                    code.name.to_string()
                } else {
                    format!("{} (unknown)", code.name)
                }));
            }
            row.extend([
                Cell::new(code.count),
                Cell::new(explained.join(", ")),
                Cell::new(time(&code.first_seen)),
                Cell::new(time(&code.last_seen)),
            ]);
            table.add_row(row);
        }
    }
    keep_words_whole(&mut table);
    table
}

/// Each code of the fleet once: how often, on how many devices, why, and what to do, as
/// paragraphs, with the documentation's link on a line of its own, never wrapped.
fn meanings(report: &Report, style: Style, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "\nWhat the codes mean (`iothub-triage explain CODE` gives one in full)"
    )?;
    let columns = usize::from(style.width);
    for code in &report.summary.codes {
        let explained = rules::explain(&code.code);
        let (cause, action, doc) = match explained {
            Some(e) if e.known => (
                e.info.root_cause.to_string(),
                e.info.resolution.to_string(),
                Some(e.info.doc),
            ),
            Some(e) => (
                format!("Unknown sub-code. {}", e.info.root_cause),
                e.info.resolution.to_string(),
                None,
            ),
            None => (
                "Not a numeric IoT Hub error code.".to_string(),
                "Check the record's ResultDescription.".to_string(),
                None,
            ),
        };
        let mut heading = format!("{} {}", terminal(&code.code), terminal(&code.name));
        if style.color
            && let Some(color) = explained.and_then(|e| severity_color(e.info.severity))
        {
            heading = paint(&heading, color);
        }
        writeln!(
            out,
            "{heading}: {} record{}, {} device{}",
            code.count,
            if code.count == 1 { "" } else { "s" },
            code.devices,
            if code.devices == 1 { "" } else { "s" },
        )?;
        writeln!(out, "{}", wrap(&cause, columns, "  Cause: ", "         "))?;
        writeln!(out, "{}", wrap(&action, columns, "  Do:    ", "         "))?;
        if let Some(doc) = doc.filter(|doc| !doc.is_empty()) {
            writeln!(out, "  {}", link(doc, style.hyperlinks))?;
        }
    }
    Ok(())
}

/// Text in a colour, for the lines written outside a table.
fn paint(text: &str, color: Color) -> String {
    let code = match color {
        Color::Red => 31,
        Color::Yellow => 33,
        _ => 39,
    };
    format!("\x1b[{code};1m{text}\x1b[0m")
}

pub(super) fn severity_cell(severity: Severity, style: Style) -> Cell {
    let cell = Cell::new(severity);
    match severity_color(severity) {
        Some(color) if style.color => cell.fg(color).add_attribute(Attribute::Bold),
        _ => cell,
    }
}

pub(super) fn new_table(style: Style, header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_style(TABLE_STYLE)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(style.width)
        .set_header(
            header
                .iter()
                .map(|title| Cell::new(title).add_attribute(Attribute::Bold)),
        );
    for column in table.column_iter_mut() {
        column.set_padding((0, 1));
    }
    if style.color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    table
}

fn severity_color(severity: Severity) -> Option<Color> {
    match severity {
        Severity::Critical | Severity::High => Some(Color::Red),
        Severity::Medium => Some(Color::Yellow),
        Severity::Low | Severity::Info => None,
    }
}

/// `1h 31m 50s`, `4m 2s`, `0s`.
pub(super) fn span(first: DateTime<Utc>, last: DateTime<Utc>) -> String {
    let seconds = (last - first).num_seconds().max(0);
    let (days, hours, minutes, secs) = (
        seconds / 86_400,
        seconds / 3600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    let parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")];
    let text: Vec<String> = parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect();
    if text.is_empty() {
        "0s".to_string()
    } else {
        text.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::diagnosis::CurvePoint;
    use crate::report::samples;

    #[test]
    fn snapshot_pt1h() {
        let report = samples::analyze("fixtures/shapes/PT1H.json");
        insta::assert_snapshot!(samples::rendered(
            render,
            &report,
            &RenderOptions::default()
        ));
    }

    #[test]
    fn snapshot_hub_incident() {
        let report = samples::analyze("fixtures/insights/hub-incident.json");
        insta::assert_snapshot!(samples::rendered(
            render,
            &report,
            &RenderOptions::default()
        ));
    }

    #[test]
    fn spans_read_like_durations() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().expect("test time");
        assert_eq!(
            span(at("2026-03-02T08:00:05Z"), at("2026-03-02T09:31:55Z")),
            "1h 31m 50s"
        );
        assert_eq!(
            span(at("2026-03-02T08:00:05Z"), at("2026-03-02T08:00:05Z")),
            "0s"
        );
        assert_eq!(
            span(at("2026-03-01T08:00:00Z"), at("2026-03-03T08:00:00Z")),
            "2d"
        );
    }

    #[test]
    fn the_sparkline_keeps_a_short_drop_visible() {
        let time = "2026-03-02T08:00:00Z"
            .parse::<DateTime<Utc>>()
            .expect("test time");
        let point = |connected: u64| CurvePoint {
            time,
            connected,
            min: connected,
            max: connected,
        };
        let mut points: Vec<CurvePoint> = (0..96).map(|_| point(40)).collect();
        points[50] = point(2);
        let line = sparkline(
            &Curve {
                points,
                ..Curve::default()
            },
            SPARK_WIDTH,
        );
        assert_eq!(line.chars().count(), 48);
        assert_eq!(line.chars().filter(|c| *c == '█').count(), 47);
        assert!(line.contains('▁'), "{line}");
    }
}
