//! The default terminal report: a summary, the fleet's codes, then per device what
//! happened, why and what to do. Width follows the terminal; colour only when asked.

use super::{DeviceReport, Report, format_time};
use crate::model::Severity;
use chrono::{DateTime, Utc};
use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table, presets};
use std::io::{self, Write};

/// How the table is laid out; decided once by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub width: u16,
    pub color: bool,
}

/// Devices without errors are named, up to this many.
const HEALTHY_NAMED: usize = 20;

pub fn render(report: &Report, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let summary = &report.summary;
    writeln!(
        out,
        "Records: {} read, {} analyzed, {} filtered, {} skipped",
        summary.records_read,
        summary.records_analyzed,
        summary.records_filtered,
        summary.records_skipped
    )?;
    for filter in &summary.filtered {
        writeln!(out, "  filtered {}: {}", filter.count, filter.reason)?;
    }
    writeln!(
        out,
        "Devices: {} ({} with errors)",
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
    if summary.codes.is_empty() {
        writeln!(out, "Codes:   none")?;
        return Ok(());
    }

    writeln!(out)?;
    let mut codes = new_table(style, &["Code", "Name", "Records", "Devices"]);
    for code in &summary.codes {
        let name = if code.known {
            code.name.clone()
        } else {
            format!("{} (unknown)", code.name)
        };
        codes.add_row(vec![
            Cell::new(&code.code),
            Cell::new(name),
            Cell::new(code.count),
            Cell::new(code.devices),
        ]);
    }
    writeln!(out, "{codes}")?;

    let (troubled, healthy): (Vec<&DeviceReport>, Vec<&DeviceReport>) = report
        .devices
        .iter()
        .partition(|device| !device.codes.is_empty() || device.error_events > 0);
    for device in troubled {
        writeln!(out)?;
        device_section(device, style, out)?;
    }
    if !healthy.is_empty() {
        writeln!(out)?;
        let names: Vec<String> = healthy
            .iter()
            .take(HEALTHY_NAMED)
            .map(|d| d.identity())
            .collect();
        let more = healthy.len().saturating_sub(HEALTHY_NAMED);
        let tail = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        writeln!(out, "No errors: {}{tail}", names.join(", "))?;
    }
    Ok(())
}

fn device_section(device: &DeviceReport, style: Style, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "{}: {} events, {} connects, {} disconnects; last seen {} ({})",
        device.identity(),
        device.events,
        device.connects,
        device.disconnects,
        format_time(&device.last_seen),
        match device.last_state {
            super::LastState::Connected => "connected",
            super::LastState::Disconnected => "disconnected",
        }
    )?;
    let mut table = new_table(
        style,
        &["Code", "Count", "First / last", "Cause", "What to do"],
    );
    for code in &device.codes {
        let mut name_cell = Cell::new(format!("{}\n{}", code.code, code.name));
        if style.color
            && let Some(color) = code.severity.and_then(severity_color)
        {
            name_cell = name_cell.fg(color).add_attribute(Attribute::Bold);
        }
        let when = if code.first_seen == code.last_seen {
            format_time(&code.first_seen)
        } else {
            format!(
                "{}\n{}",
                format_time(&code.first_seen),
                format_time(&code.last_seen)
            )
        };
        let cause = if code.known {
            code.root_cause.clone()
        } else {
            format!("Unknown sub-code. {}", code.root_cause)
        };
        table.add_row(vec![
            name_cell,
            Cell::new(code.count),
            Cell::new(when),
            Cell::new(cause),
            Cell::new(format!("{}\n{}", code.resolution, code.doc)),
        ]);
    }
    writeln!(out, "{table}")
}

fn new_table(style: Style, header: &[&str]) -> Table {
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
fn span(first: DateTime<Utc>, last: DateTime<Utc>) -> String {
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
}
