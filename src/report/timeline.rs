//! `timeline DEVICE`: one device's insights, sessions and events, as tables or JSON.

use super::RenderOptions;
use super::table::{new_table, severity_cell, span};
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
    writeln!(
        out,
        "{}: {} events, {} connects, {} disconnects, {} to {}; last state {state}",
        terminal(&device.identity()),
        device.events,
        device.connects,
        device.disconnects,
        format_time(&device.first_seen),
        format_time(&device.last_seen),
    )?;
    let client: Vec<String> = [device.sdk_version.clone(), device.protocol.clone()]
        .into_iter()
        .flatten()
        .collect();
    if !client.is_empty() {
        writeln!(out, "Client: {}", terminal(&client.join(", ")))?;
    }
    if !device.ip_addresses.is_empty() {
        writeln!(
            out,
            "Addresses: {}",
            terminal(&device.ip_addresses.join(", "))
        )?;
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
        writeln!(out, "{table}")?;
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
    writeln!(out, "{sessions}")?;

    writeln!(out, "\nEvents")?;
    let mut events = new_table(
        style,
        &["Time", "Operation", "Level", "Code", "Address", "Note"],
    );
    for event in &timeline.events {
        let code = match (&event.code, event.name) {
            (Some(code), Some(name)) => format!("{code} {name}"),
            (Some(code), None) => code.clone(),
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
    writeln!(out, "{events}")
}
