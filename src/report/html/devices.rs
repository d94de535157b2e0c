//! The device table: the worst [`DEVICES_LISTED`] identities, one `<tbody>` each so
//! that sorting moves a device with its details; the worst `DEVICES_DETAILED` open
//! to their timeline and findings. The script sorts and filters from the JSON this
//! returns, one entry per listed device in table order; without the script the table
//! reads worst first as written.

use super::charts::{code_name, identities, timeline};
use super::sections::{anchor, doc_link, kind_name};
use super::{DEVICES_LISTED, badge, prose, text};
use crate::analysis::report::{DeviceReport, LastState, Report};
use crate::analysis::{Stories, Story};
use crate::escape::html;
use crate::model::{Severity, format_time};
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt::Write;

/// Drops and errors listed in words under a timeline (all are drawn).
const MARKS_LISTED: usize = 30;

/// What the script sorts and filters on, per listed device.
#[derive(Serialize)]
struct Row<'a> {
    /// The identity, for the search.
    id: String,
    /// Severity rank: 0 none, 1 info ... 5 critical.
    s: u8,
    /// Insight kinds.
    k: Vec<&'static str>,
    /// Codes.
    c: Vec<&'a str>,
    /// Events, error events, disconnects.
    e: u64,
    x: u64,
    d: u64,
    /// Last seen, RFC 3339 (sorts as text).
    l: String,
}

#[derive(Serialize)]
struct Data<'a> {
    rows: Vec<Row<'a>>,
}

fn rank(severity: Option<Severity>) -> u8 {
    severity.map_or(0, |s| s as u8 + 1)
}

/// Writes the section; returns the script's data as JSON.
pub(super) fn section(report: &Report, stories: &Stories, out: &mut String) -> String {
    let devices = &report.devices;
    let listed = &devices[..devices.len().min(DEVICES_LISTED)];
    out.push_str(
        "<section aria-labelledby=\"devices-heading\">\n<h2 id=\"devices-heading\">Devices</h2>\n",
    );
    let detailed = listed
        .iter()
        .filter(|device| stories.get(device).is_some())
        .count();
    let _ = writeln!(
        out,
        "<p>{} shown, worst first: {} listed, the first {} with their timeline and findings{}.</p>",
        identities(report.summary.devices_shown),
        listed.len(),
        detailed,
        if devices.len() > listed.len() {
            format!(
                "; the other {} are counted above, and <code>--format json</code> or \
                 <code>csv</code> lists them all",
                devices.len() - listed.len()
            )
        } else {
            String::new()
        }
    );
    if listed.is_empty() {
        out.push_str("</section>\n");
        return serde_json::json!({ "rows": [] }).to_string();
    }
    controls(listed, out);
    out.push_str(
        "<div class=\"scroll\"><table id=\"devices\" class=\"devices\">\n<caption>Identities, worst \
         first</caption>\n<thead><tr>",
    );
    for (key, label, numeric) in [
        ("s", "Severity", false),
        ("id", "Identity", false),
        ("", "Findings", false),
        ("e", "Events", true),
        ("x", "Errors", true),
        ("d", "Disconnects", true),
        ("", "Last state", false),
        ("l", "Last seen", false),
    ] {
        let class = if numeric { " class=\"num\"" } else { "" };
        if key.is_empty() {
            let _ = write!(out, "<th scope=\"col\"{class}>{label}</th>");
        } else {
            let _ = write!(
                out,
                "<th scope=\"col\"{class} aria-sort=\"none\"><button type=\"button\" \
                 data-key=\"{key}\">{label}</button></th>"
            );
        }
    }
    out.push_str("</tr></thead>\n");
    let mut rows = Vec::with_capacity(listed.len());
    for (index, device) in listed.iter().enumerate() {
        row(report, device, index, stories.get(device), out);
        rows.push(Row {
            id: device.identity(),
            s: rank(device.severity),
            k: device.insights.iter().map(|i| i.kind.as_str()).collect(),
            c: device.codes.iter().map(|c| c.code.as_str()).collect(),
            e: device.events,
            x: device.error_events,
            d: device.disconnects,
            l: format_time(&device.last_seen),
        });
    }
    out.push_str("</table></div>\n</section>\n");
    serde_json::to_string(&Data { rows }).unwrap_or_else(|_| "{\"rows\":[]}".to_string())
}

/// The filters: hidden until the script shows them, since they need it.
fn controls(listed: &[DeviceReport], out: &mut String) {
    let kinds: BTreeSet<_> = listed
        .iter()
        .flat_map(|d| d.insights.iter().map(|i| i.kind))
        .collect();
    let codes: BTreeSet<&str> = listed
        .iter()
        .flat_map(|d| d.codes.iter().map(|c| c.code.as_str()))
        .collect();
    out.push_str(
        "<form id=\"device-filters\" class=\"filters\" hidden>\n\
         <label>Severity at least <select id=\"f-severity\"><option value=\"\">any</option>\
         <option value=\"5\">critical</option><option value=\"4\">high</option>\
         <option value=\"3\">medium</option><option value=\"2\">low</option>\
         <option value=\"1\">info</option></select></label>\n\
         <label>Finding <select id=\"f-kind\"><option value=\"\">any</option>",
    );
    for kind in kinds {
        let _ = write!(
            out,
            "<option value=\"{}\">{}</option>",
            kind.as_str(),
            kind_name(kind)
        );
    }
    out.push_str(
        "</select></label>\n<label>Code <select id=\"f-code\"><option value=\"\">any</option>",
    );
    for code in codes.iter().take(200) {
        let _ = write!(out, "<option value=\"{0}\">{0}</option>", text(code));
    }
    out.push_str(
        "</select></label>\n<label>Identity contains <input id=\"f-id\" type=\"search\" \
         autocomplete=\"off\"></label>\n<output id=\"f-status\" aria-live=\"polite\"></output>\n\
         </form>\n",
    );
}

fn row(
    report: &Report,
    device: &DeviceReport,
    index: usize,
    story: Option<&Story>,
    out: &mut String,
) {
    let identity = text(&device.identity());
    let mut findings: Vec<String> = device
        .insights
        .iter()
        .map(|i| kind_name(i.kind).to_string())
        .collect();
    findings.extend(
        device
            .codes
            .iter()
            .filter(|c| c.finding_severity.is_some())
            .map(|c| format!("{} ×{}", text(&c.code), c.count)),
    );
    let state = match device.last_state {
        LastState::Connected => "connected",
        LastState::Disconnected => "disconnected",
        LastState::Unknown => "unknown",
    };
    let _ = writeln!(
        out,
        "<tbody data-index=\"{index}\"><tr><td>{}</td><th scope=\"row\" class=\"id\">{identity}\
         </th><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}\
         </td><td>{state}</td><td><time>{}</time></td></tr>",
        badge(device.severity),
        findings.join(", "),
        device.events,
        device.error_events,
        device.disconnects,
        format_time(&device.last_seen),
    );
    if let Some(story) = story {
        let _ = writeln!(
            out,
            "<tr class=\"story\"><td colspan=\"8\"><details><summary>Timeline and findings of \
             <span class=\"id\">{identity}</span></summary>"
        );
        details(report, device, story, out);
        out.push_str("</details></td></tr>\n");
    }
    out.push_str("</tbody>\n");
}

fn details(report: &Report, device: &DeviceReport, story: &Story, out: &mut String) {
    let client: Vec<String> = [&device.sdk_version, &device.protocol]
        .into_iter()
        .flatten()
        .map(|t| text(t))
        .collect();
    out.push_str("<div class=\"device\">\n<ul class=\"facts\">");
    let _ = write!(
        out,
        "<li>Seen <time>{}</time> to <time>{}</time></li>",
        format_time(&device.first_seen),
        format_time(&device.last_seen)
    );
    if !client.is_empty() {
        let _ = write!(out, "<li>Client: {}</li>", client.join(", "));
    }
    if !device.ip_addresses.is_empty() {
        let addresses: Vec<String> = device.ip_addresses.iter().map(|a| text(a)).collect();
        let _ = write!(out, "<li>Addresses: {}</li>", addresses.join(", "));
    }
    out.push_str("</ul>\n");
    timeline(report, device, story, out);
    let _ = writeln!(
        out,
        "<p class=\"legend\"><span class=\"key session\"></span> connected \
         <span class=\"key drop\"></span> drop <span class=\"key error\"></span> error \
         <span class=\"key incident\"></span> hub incident</p>"
    );
    let omitted = [
        (story.sessions_omitted, "sessions"),
        (story.marks_omitted, "drops and errors"),
    ];
    for (n, what) in omitted {
        if n > 0 {
            let _ = writeln!(
                out,
                "<p class=\"muted\">{n} later {what} not drawn; <code>iothub-triage timeline</code> \
                 shows them all.</p>"
            );
        }
    }
    if !story.marks.is_empty() {
        let _ = write!(
            out,
            "<details class=\"marks\"><summary>Drops and errors{}</summary><ol>",
            if story.marks.len() > MARKS_LISTED {
                format!(" (the first {MARKS_LISTED})")
            } else {
                String::new()
            }
        );
        for mark in story.marks.iter().take(MARKS_LISTED) {
            let _ = write!(
                out,
                "<li><time>{}</time> {} {}</li>",
                format_time(&mark.time),
                if mark.drop { "drop" } else { "error" },
                mark.code.map_or(String::new(), code_name)
            );
        }
        out.push_str("</ol></details>\n");
    }
    for gap in &device.gaps {
        let _ = writeln!(out, "<p><strong>Incomplete:</strong> {}</p>", text(gap));
    }
    findings(report, device, out);
    out.push_str("</div>\n");
}

fn findings(report: &Report, device: &DeviceReport, out: &mut String) {
    let incidents = device
        .incidents
        .iter()
        .filter_map(|&i| report.insights.get(i));
    let insights: Vec<_> = device.insights.iter().chain(incidents).collect();
    if !insights.is_empty() {
        out.push_str("<h4>Findings</h4>\n<ul class=\"insights\">\n");
        for insight in insights {
            let _ = writeln!(
                out,
                "<li>{} <strong>{}</strong>: {}<p class=\"action\"><strong>What to do:</strong> \
                 {}</p></li>",
                badge(Some(insight.severity)),
                kind_name(insight.kind),
                prose(&insight.summary),
                prose(&insight.action),
            );
        }
        out.push_str("</ul>\n");
    }
    if device.codes.is_empty() {
        return;
    }
    out.push_str(
        "<div class=\"scroll\"><table>\n<caption>Codes of this identity</caption>\n<thead><tr>\
         <th scope=\"col\">Code</th><th scope=\"col\" class=\"num\">Records</th>\
         <th scope=\"col\" class=\"num\">Explained</th><th scope=\"col\">Finding</th>\
         <th scope=\"col\">Cause</th><th scope=\"col\">What to do</th></tr></thead>\n<tbody>\n",
    );
    for code in &device.codes {
        let explained = code.expected + code.in_incident + code.side_effect + code.in_insights;
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\"><a href=\"#code-{}\"><code>{}</code></a> {}</th>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td>\
             <td>{} {}</td></tr>",
            anchor(&code.code),
            text(&code.code),
            html(code.name),
            code.count,
            explained.min(code.count),
            code.finding_severity
                .map_or("explained".to_string(), |s| badge(Some(s))),
            html(code.root_cause),
            html(code.resolution),
            doc_link(code.doc),
        );
    }
    out.push_str("</tbody>\n</table></div>\n");
}
