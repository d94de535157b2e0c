//! `--format html`: one self-contained page to hand to someone else: what was read, the
//! fleet's findings, the connected-devices curve and the breakdowns as inline SVG, the
//! devices worst first (sortable and filterable when JavaScript runs, a plain table
//! when it does not), each worst device's timeline and findings one click away, the
//! codes explained once, and how the report was made.
//!
//! Nothing is fetched: styles, script and charts are inline, and a Content-Security-
//! Policy allows only the page's own style and script, by their SHA-256 hashes (not
//! `'unsafe-inline'`: were an id ever to slip through unescaped, a script it injected
//! would still not run). The script's data is JSON in a `<script type="application/
//! json">` element, escaped with [`script_json`]; every text from the logs goes through
//! [`html`]. The same report and [`Footer`] give the same bytes.
//!
//! The size is bounded whatever the fleet: [`DEVICES_LISTED`] identities in the table,
//! the first [`DEVICES_DETAILED`] of them with a timeline (each capped by
//! [`crate::analysis::Story`]), the others counted; untrusted texts cut to
//! [`TEXT_CHARS`] characters.

mod charts;
mod devices;
mod sections;

use super::RenderOptions;
use crate::analysis::Stories;
use crate::analysis::report::Report;
use crate::escape::{html, script_json, truncate};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::io::{self, Write};

/// Identities in the device table, worst first; the rest are counted.
pub const DEVICES_LISTED: usize = 1000;
/// Of those, the worst ones that open to their timeline and findings.
pub const DEVICES_DETAILED: usize = 200;
/// Characters kept of any untrusted text (ids, addresses, messages).
pub const TEXT_CHARS: usize = 200;
/// Characters kept of a summary or an action.
pub const PROSE_CHARS: usize = 1000;

const STYLE: &str = include_str!("report.css");
const SCRIPT: &str = include_str!("report.js");

/// How the report was made, for the footer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Footer {
    /// The tool's version.
    pub version: String,
    /// The command line, program name first.
    pub command_line: Vec<String>,
    /// When the report was made: `SOURCE_DATE_EPOCH` when set, for identical bytes
    /// from run to run; `None` leaves it out.
    pub generated: Option<DateTime<Utc>>,
    /// The `iothub-triage kql` command line that asks the same where the logs are.
    pub kql: Option<Vec<String>>,
}

/// What the page shows besides the report.
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    /// The timelines of the worst devices.
    pub stories: &'a Stories,
    pub footer: &'a Footer,
}

/// Writes the page: the report, the timelines it carries, and the run's footer.
pub fn render(report: &Report, options: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let page = Page {
        stories: &report.stories,
        footer: &options.footer,
    };
    render_page(report, &page, out)
}

fn render_page(report: &Report, page: &Page<'_>, out: &mut dyn Write) -> io::Result<()> {
    let mut body = String::with_capacity(64 * 1024);
    sections::summary(report, &mut body);
    sections::fleet(report, &mut body);
    charts::curve_section(report, &mut body);
    charts::breakdown_section(report, &mut body);
    let data = devices::section(report, page.stories, &mut body);
    sections::codes(report, &mut body);
    sections::footer(page.footer, &mut body);

    let csp = format!(
        "default-src 'none'; style-src '{}'; script-src '{}'; img-src 'none'; \
         base-uri 'none'; form-action 'none'",
        sha256_source(STYLE),
        sha256_source(SCRIPT)
    );
    let title = match (report.summary.first_event, report.summary.last_event) {
        (Some(first), Some(_)) => {
            format!("IoT Hub connection triage, {}", first.format("%Y-%m-%d"))
        }
        _ => "IoT Hub connection triage".to_string(),
    };
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n\
         <meta name=\"generator\" content=\"iothub-triage {}\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <a class=\"skip\" href=\"#devices-heading\">Skip to the devices</a>\n\
         <main>\n{body}</main>\n",
        html(&page.footer.version),
        html(&title),
    )?;
    write!(
        out,
        "<script type=\"application/json\" id=\"device-data\">{}</script>\n\
         <script>{SCRIPT}</script>\n</body>\n</html>\n",
        script_json(&data)
    )
}

/// `sha256-…` of a text, as a CSP source expression.
fn sha256_source(text: &str) -> String {
    format!("sha256-{}", base64(&Sha256::digest(text.as_bytes())))
}

/// Standard base64 with padding (RFC 4648), for the CSP hashes.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Untrusted text, cut and escaped.
fn text(value: &str) -> String {
    html(&truncate(value, TEXT_CHARS))
}

/// A summary or an action the analysis wrote (which may quote ids), cut and escaped.
fn prose(value: &str) -> String {
    html(&truncate(value, PROSE_CHARS))
}

/// `1 device`, `2 devices`.
fn count(n: u64, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// A severity as a badge: its word, coloured.
fn badge(severity: Option<crate::model::Severity>) -> String {
    match severity {
        Some(severity) => format!("<span class=\"sev sev-{severity}\">{severity}</span>"),
        None => "<span class=\"sev sev-none\">none</span>".to_string(),
    }
}

#[cfg(test)]
mod tests;
