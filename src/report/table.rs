//! The default terminal report: a summary with the connected-devices curve, then the
//! insights (fleet first, then per device), each device's codes, and what each code
//! means, once. Width follows the terminal; colour only when asked.

use super::RenderOptions;
use crate::analysis::diagnosis::Curve;
use crate::analysis::report::{Breakdown, DeviceCode, DeviceReport, GroupDrops, HourDrops, Report};
use crate::escape::{table_cell, terminal};
use crate::model::{Severity, format_time};
use crate::rules;
use chrono::{DateTime, Utc};
use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table, presets};
use std::io::{self, Write};

/// How the table is laid out; decided once by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub width: u16,
    pub color: bool,
    /// Devices shown in the findings and codes tables; 0 shows all.
    pub top: usize,
}

/// Devices without findings are named, up to this many.
const HEALTHY_NAMED: usize = 20;
/// Characters of the connected-devices sparkline.
const SPARK_WIDTH: usize = 48;

pub fn render(report: &Report, options: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let style = options.style;
    if report.devices.is_empty() && !report.findings.is_empty() {
        return findings_only(report, style, out);
    }
    summary(report, out)?;
    if report.summary.coverage.device_state == "unknown" && report.summary.records_analyzed > 0 {
        writeln!(
            out,
            "Connected devices: cannot be told from this export (no successful connects)"
        )?;
    } else {
        curve(&report.connected_devices, out)?;
    }
    if let Some(metric) = &report.connected_devices.metric {
        writeln!(
            out,
            "Hub metric: {}",
            crate::analysis::metric::summary(metric)
        )?;
    }

    if !report.insights.is_empty() {
        writeln!(out, "\nFleet")?;
        let mut table = new_table(style, &["#", "Severity", "Finding", "What to do"]);
        for (index, insight) in report.insights.iter().enumerate() {
            table.add_row(vec![
                Cell::new(index + 1),
                severity_cell(insight.severity, style),
                Cell::new(table_cell(&insight.summary)),
                Cell::new(table_cell(&insight.action)),
            ]);
        }
        writeln!(out, "{table}")?;
    }
    drops(&report.breakdown, out)?;

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
        writeln!(out, "{}", findings_table(&flagged[..shown], report, style))?;
        if flagged.len() > shown {
            writeln!(
                out,
                "... and {} more devices with findings (--top 0 shows all; --format json lists every device)",
                flagged.len() - shown
            )?;
        }
    }
    if flagged[..shown].iter().any(|d| !d.codes.is_empty()) {
        writeln!(out, "\nCodes per device")?;
        writeln!(out, "{}", codes_table(&flagged[..shown], style))?;
        writeln!(out, "\nWhat the codes mean")?;
        writeln!(out, "{}", meanings_table(report, style))?;
    }
    let gaps: Vec<(&DeviceReport, &String)> = flagged[..shown]
        .iter()
        .flat_map(|d| d.gaps.iter().map(move |gap| (*d, gap)))
        .collect();
    if !gaps.is_empty() {
        writeln!(out, "\nIncomplete stories (events missing from the log)")?;
        for (device, gap) in gaps {
            writeln!(out, "  {}: {}", terminal(&device.identity()), terminal(gap))?;
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
        writeln!(out, "\nNo findings: {}{tail}", names.join(", "))?;
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
    let mut table = new_table(style, &["Severity", "Device", "Finding", "What to do"]);
    for finding in &all[..shown] {
        table.add_row(vec![
            severity_cell(finding.severity, style),
            Cell::new(terminal(finding.device.as_deref().unwrap_or("(fleet)"))),
            Cell::new(terminal(&finding.title)),
            Cell::new(terminal(&finding.action)),
        ]);
    }
    writeln!(out, "{table}")?;
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

fn summary(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let summary = &report.summary;
    if report.inputs.len() > 1 {
        writeln!(out, "Inputs: {}", report.inputs.len())?;
        if report.inputs.len() <= INPUTS_NAMED {
            for input in &report.inputs {
                writeln!(
                    out,
                    "  {} ({}, {} records)",
                    terminal(&input.source),
                    input.shape,
                    input.records_read
                )?;
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
        writeln!(
            out,
            "  filtered {}: {}",
            filter.count,
            terminal(&filter.reason)
        )?;
    }
    match summary.coverage.records {
        "errors_only" => writeln!(
            out,
            "Evidence: error records only: offline devices and credential failures cannot be \
             told, device states are unknown"
        )?,
        "no_connects" => writeln!(
            out,
            "Evidence: no successful connects: offline devices and credential failures cannot \
             be told, device states are unknown"
        )?,
        _ => {}
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
    let worst = if by_severity.is_empty() {
        String::new()
    } else {
        format!("; worst finding: {}", by_severity.join(", "))
    };
    writeln!(
        out,
        "Devices: {} ({} with errors{worst})",
        summary.devices, summary.devices_with_errors
    )?;
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
fn drops(breakdown: &Breakdown, out: &mut dyn Write) -> io::Result<()> {
    if breakdown.drops == 0 {
        return Ok(());
    }
    let identities: u64 = breakdown.by_protocol.iter().map(|g| g.identities).sum();
    writeln!(
        out,
        "\nDrops (lost connections nothing benign explains): {} on {identities} identit{}",
        breakdown.drops,
        if identities == 1 { "y" } else { "ies" }
    )?;
    // The busiest hours, in time order.
    let mut busiest: Vec<&HourDrops> = breakdown.per_hour.iter().collect();
    busiest.sort_by_key(|h| std::cmp::Reverse(h.drops));
    busiest.truncate(BUSIEST_HOURS);
    busiest.sort_by_key(|h| h.hour);
    let hours: Vec<String> = busiest
        .iter()
        .map(|h| format!("{} {}", h.hour.format("%m-%d %H:00"), h.drops))
        .collect();
    writeln!(out, "  busiest hours: {}", hours.join(", "))?;
    let groups = |list: &[GroupDrops]| {
        let words: Vec<String> = list
            .iter()
            .take(BREAKDOWN_ROWS)
            .map(|g| format!("{} {} ({})", terminal(&g.value), g.drops, g.identities))
            .collect();
        words.join(", ")
    };
    writeln!(
        out,
        "  by SDK:        {}",
        groups(&breakdown.by_sdk_version)
    )?;
    writeln!(out, "  by protocol:   {}", groups(&breakdown.by_protocol))?;
    let most: Vec<String> = breakdown
        .most_drops
        .iter()
        .take(BREAKDOWN_ROWS)
        .map(|d| format!("{} {}", terminal(&d.identity), d.drops))
        .collect();
    writeln!(out, "  most:          {}", most.join(", "))
}

/// Hours and groups the drops section names, at most.
const BUSIEST_HOURS: usize = 5;
const BREAKDOWN_ROWS: usize = 5;

/// The reconstructed "Connected devices" metric as a sparkline, with its drops.
fn curve(curve: &Curve, out: &mut dyn Write) -> io::Result<()> {
    let Some(last) = curve.points.last() else {
        return Ok(());
    };
    let low = curve.points.iter().map(|p| p.min).min().unwrap_or(0);
    let high = curve.points.iter().map(|p| p.max).max().unwrap_or(0);
    writeln!(
        out,
        "Connected devices: {}  now {} (min {low}, max {high})",
        sparkline(curve),
        last.connected
    )?;
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
fn sparkline(curve: &Curve) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let high = curve.points.iter().map(|p| p.max).max().unwrap_or(0);
    let group = curve.points.len().div_ceil(SPARK_WIDTH).max(1);
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

fn findings_table(devices: &[&DeviceReport], report: &Report, style: Style) -> Table {
    let mut table = new_table(style, &["Device", "Severity", "Finding", "What to do"]);
    // Devices whose only story is a fleet incident share one row per incident.
    let mut victims: Vec<Vec<String>> = vec![Vec::new(); report.insights.len()];
    for device in devices {
        let only_victim = device.insights.is_empty()
            && device.codes.iter().all(|c| c.finding_severity.is_none())
            && !device.incidents.is_empty();
        if only_victim {
            for index in &device.incidents {
                if let Some(names) = victims.get_mut(*index) {
                    names.push(table_cell(&device.identity()).into_owned());
                }
            }
            continue;
        }
        let mut rows: Vec<(Severity, String, String)> = device
            .insights
            .iter()
            .map(|i| {
                (
                    i.severity,
                    table_cell(&i.summary).into_owned(),
                    table_cell(&i.action).into_owned(),
                )
            })
            .collect();
        for index in &device.incidents {
            rows.push((
                Severity::Info,
                incident_finding(report, *index),
                INCIDENT_ACTION.to_string(),
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
                    format!("{} x{unexplained} ({})", table_cell(&c.code), c.name)
                })
                .collect();
            rows.push((
                severity,
                format!("Errors without a pattern: {}", codes.join(", ")),
                "See the codes below.".into(),
            ));
        }
        if rows.is_empty() {
            continue;
        }
        // Worst first; a stable sort keeps the insights' own order among equals.
        rows.sort_by_key(|row| std::cmp::Reverse(row.0));
        for (index, (severity, finding, action)) in rows.into_iter().enumerate() {
            let name = if index == 0 {
                table_cell(&device.identity()).into_owned()
            } else {
                String::new()
            };
            table.add_row(vec![
                Cell::new(name),
                severity_cell(severity, style),
                Cell::new(finding),
                Cell::new(action),
            ]);
        }
    }
    for (index, names) in victims
        .iter()
        .enumerate()
        .filter(|(_, names)| !names.is_empty())
    {
        table.add_row(vec![
            Cell::new(name_list(names)),
            severity_cell(Severity::Info, style),
            Cell::new(incident_finding(report, index)),
            Cell::new(INCIDENT_ACTION),
        ]);
    }
    table
}

const INCIDENT_ACTION: &str =
    "Nothing on the device: its server-side errors in that window belong to the incident.";

fn incident_finding(report: &Report, index: usize) -> String {
    let when = report.insights.get(index).map_or(String::new(), |i| {
        format!(" ({} to {})", format_time(&i.start), format_time(&i.end))
    });
    format!("Hit by fleet incident {}{when}", index + 1)
}

/// `a, b, c and 5 more (8 devices)`.
fn name_list(names: &[String]) -> String {
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

fn codes_table(devices: &[&DeviceReport], style: Style) -> Table {
    let mut table = new_table(
        style,
        &[
            "Device",
            "Code",
            "Name",
            "Count",
            "Explained",
            "First",
            "Last",
        ],
    );
    for device in devices {
        for (index, code) in device.codes.iter().enumerate() {
            let name = if index == 0 {
                table_cell(&device.identity()).into_owned()
            } else {
                String::new()
            };
            let mut explained = Vec::new();
            if code.expected > 0 {
                explained.push(format!("{} token renewal", code.expected));
            }
            if code.in_incident > 0 {
                explained.push(format!("{} hub incident", code.in_incident));
            }
            if code.side_effect > 0 {
                explained.push(format!("{} side effect", code.side_effect));
            }
            if code.in_insights > 0 {
                explained.push(format!("{} in a finding above", code.in_insights));
            }
            let code_name = if code.known {
                code.name.to_string()
            } else {
                format!("{} (unknown)", code.name)
            };
            table.add_row(vec![
                Cell::new(name),
                Cell::new(table_cell(&code.code)),
                Cell::new(code_name),
                Cell::new(code.count),
                Cell::new(explained.join(", ")),
                Cell::new(format_time(&code.first_seen)),
                Cell::new(format_time(&code.last_seen)),
            ]);
        }
    }
    table
}

/// Each code of the fleet once: how often, on how many devices, why, and what to do.
fn meanings_table(report: &Report, style: Style) -> Table {
    let mut table = new_table(
        style,
        &["Code", "Records", "Devices", "Cause", "What to do"],
    );
    for code in &report.summary.codes {
        let explained = rules::explain(&code.code);
        let (cause, action) = match explained {
            Some(e) if e.known => (
                e.info.root_cause.to_string(),
                format!("{}\n{}", e.info.resolution, e.info.doc),
            ),
            Some(e) => (
                format!("Unknown sub-code. {}", e.info.root_cause),
                e.info.resolution.to_string(),
            ),
            None => (
                "Not a numeric IoT Hub error code.".to_string(),
                "Check the record's ResultDescription.".to_string(),
            ),
        };
        let mut name = Cell::new(format!("{}\n{}", table_cell(&code.code), code.name));
        if style.color
            && let Some(color) = explained.and_then(|e| severity_color(e.info.severity))
        {
            name = name.fg(color);
        }
        table.add_row(vec![
            name,
            Cell::new(code.count),
            Cell::new(code.devices),
            Cell::new(cause),
            Cell::new(action),
        ]);
    }
    table
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
        .load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(style.width)
        .set_header(
            header
                .iter()
                .map(|title| Cell::new(title).add_attribute(Attribute::Bold)),
        );
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
        let line = sparkline(&Curve {
            points,
            ..Curve::default()
        });
        assert_eq!(line.chars().count(), 48);
        assert_eq!(line.chars().filter(|c| *c == '█').count(), 47);
        assert!(line.contains('▁'), "{line}");
    }
}
