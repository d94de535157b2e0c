//! `timeline DEVICE`: one device's insights, sessions and events, as tables or JSON.

use super::RenderOptions;
use super::columns::{keep_words_whole, write_table};
use super::layout::wrap;
use super::table::{WIDE, new_table, severity_cell, span};
use crate::analysis::Timeline;
use crate::analysis::report::LastState;
use crate::escape::{table_cell, terminal};
use crate::model::format_time;
use comfy_table::Cell;
use std::io::{self, Write};

pub fn render_json(
    timeline: &Timeline,
    _options: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, timeline)?;
    writeln!(out)
}

pub fn render_table(
    timeline: &Timeline,
    options: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let style = options.style;
    let device = &timeline.device;
    let state = match device.last_state {
        LastState::Connected => "connected",
        LastState::Disconnected => "disconnected",
        LastState::Unknown => "unknown (no successful connects in the export)",
    };
    let columns = usize::from(style.width);
    let heading = format!(
        "{}: {} events, {} connects, {} disconnects, {} to {}; last state {state}",
        terminal(&device.identity()),
        device.events,
        device.connects,
        device.disconnects,
        format_time(&device.first_seen),
        format_time(&device.last_seen),
    );
    writeln!(out, "{}", wrap(&heading, columns, "", "  "))?;
    let client: Vec<&str> = [device.sdk_version.as_deref(), device.protocol.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    if !client.is_empty() {
        let line = format!("Client: {}", terminal(&client.join(", ")));
        writeln!(out, "{}", wrap(&line, columns, "", "  "))?;
    }
    if !device.ip_addresses.is_empty() {
        let line = format!("Addresses: {}", terminal(&device.ip_addresses.join(", ")));
        writeln!(out, "{}", wrap(&line, columns, "", "  "))?;
    }

    if !device.insights.is_empty() || !timeline.incidents.is_empty() {
        writeln!(out, "\nInsights")?;
        let mut table = new_table(style, &["Severity", "Finding", "What to do"]);
        for insight in device.insights.iter().chain(&timeline.incidents) {
            table.add_row(vec![
                severity_cell(insight.severity, style),
                Cell::new(table_cell(&insight.summary)),
                Cell::new(table_cell(&insight.action)),
            ]);
        }
        keep_words_whole(&mut table);
        write_table(out, &table)?;
    }
    for gap in &device.gaps {
        writeln!(out, "Incomplete: {gap}")?;
    }

    writeln!(out, "\nSessions")?;
    let mut sessions = new_table(style, &["Connected from", "To", "Duration", "Ended by"]);
    for session in &timeline.sessions {
        let duration = match (session.from, session.to) {
            (Some(from), Some(to)) => span(from, to),
            _ => String::new(),
        };
        sessions.add_row(vec![
            Cell::new(
                session
                    .from
                    .map_or("(before the log)".to_string(), |t| format_time(&t)),
            ),
            Cell::new(
                session
                    .to
                    .map_or("(end of the log)".to_string(), |t| format_time(&t)),
            ),
            Cell::new(duration),
            Cell::new(session.ended_by.as_deref().unwrap_or("")),
        ]);
    }
    keep_words_whole(&mut sessions);
    write_table(out, &sessions)?;

    writeln!(out, "\nEvents")?;
    let mut events = new_table(
        style,
        &["Time", "Operation", "Level", "Code", "Address", "Note"],
    );
    for event in &timeline.events {
        let code = match (&event.code, event.name) {
            // On a narrow terminal the number alone: `explain` names it.
            (Some(code), Some(name)) if style.width >= WIDE => format!("{code} {name}"),
            (Some(code), _) => code.clone(),
            _ => String::new(),
        };
        events.add_row(vec![
            Cell::new(format_time(&event.time)),
            Cell::new(event.operation),
            Cell::new(event.level),
            Cell::new(table_cell(&code)),
            Cell::new(table_cell(event.address.as_deref().unwrap_or(""))),
            Cell::new(event.note.unwrap_or("")),
        ]);
    }
    keep_words_whole(&mut events);
    write_table(out, &events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::samples;

    fn rendered(render: super::super::RenderTimeline, timeline: &Timeline) -> String {
        let mut out = Vec::new();
        render(timeline, &RenderOptions::default(), &mut out).expect("renders");
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn snapshot_pt1h_table() {
        let timeline = samples::timeline("fixtures/shapes/PT1H.json", "pump-0042");
        insta::assert_snapshot!(rendered(render_table, &timeline));
    }

    #[test]
    fn snapshot_token_renewal_json() {
        let timeline = samples::timeline("fixtures/insights/token-renewal.json", "pump-0042");
        insta::assert_snapshot!(rendered(render_json, &timeline));
    }
}
