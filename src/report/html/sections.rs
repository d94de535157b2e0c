//! The page's text sections: what was read, the fleet's findings, the codes explained,
//! and the footer.

use super::{Footer, badge, count, prose, text};
use crate::analysis::report::Report;
use crate::escape::html;
use crate::model::{InsightKind, format_time};
use crate::rules;
use std::fmt::Write;

/// The title, the span, the inputs, what the coverage means, devices by severity.
pub(super) fn summary(report: &Report, out: &mut String) {
    let summary = &report.summary;
    out.push_str("<header>\n<h1>IoT Hub connection triage</h1>\n");
    match (summary.first_event, summary.last_event) {
        (Some(first), Some(last)) => {
            let _ = writeln!(
                out,
                "<p class=\"span\">From <time>{}</time> to <time>{}</time> ({}).</p>",
                format_time(&first),
                format_time(&last),
                duration(last - first)
            );
        }
        _ => out.push_str("<p class=\"span\">No records with a time were analyzed.</p>\n"),
    }
    out.push_str("</header>\n<section aria-labelledby=\"read-heading\">\n");
    out.push_str("<h2 id=\"read-heading\">What was read</h2>\n<dl class=\"counts\">\n");
    for (label, value) in [
        ("Records read", summary.records_read),
        ("Analyzed", summary.records_analyzed),
        ("Filtered", summary.records_filtered),
        ("Skipped (malformed)", summary.records_skipped),
        ("Identities analyzed", summary.devices),
        ("Identities with errors", summary.devices_with_errors),
    ] {
        let _ = writeln!(out, "<div><dt>{label}</dt><dd>{value}</dd></div>");
    }
    out.push_str("</dl>\n");
    coverage(report, out);
    by_severity(report, out);
    inputs(report, out);
    out.push_str("</section>\n");
}

/// What the kind of records read means for the diagnosis, and the reader's warnings.
fn coverage(report: &Report, out: &mut String) {
    // The analysis already warns what such an export cannot show; what it means for
    // this page is added.
    let mut notes: Vec<String> = Vec::new();
    for warning in &report.warnings {
        notes.push(match warning.source.as_str() {
            "" => prose(&warning.message),
            source => format!("{}: {}", text(source), prose(&warning.message)),
        });
    }
    if matches!(
        report.summary.coverage.records,
        "errors_only" | "no_connects"
    ) {
        notes.push(
            "Without successful connects this page shows no connected-devices curve and no \
             sessions in the timelines: only drops and errors."
                .to_string(),
        );
    }
    if report.summary.records_skipped > 0 {
        notes.push(format!(
            "{} skipped as malformed; <code>--format json</code> lists where.",
            count(report.summary.records_skipped, "record")
        ));
    }
    if notes.is_empty() {
        return;
    }
    out.push_str("<div class=\"warnings\" role=\"note\">\n<h3>Coverage and warnings</h3>\n<ul>\n");
    for note in notes {
        let _ = writeln!(out, "<li><strong>Warning:</strong> {note}</li>");
    }
    out.push_str("</ul>\n</div>\n");
}

fn inputs(report: &Report, out: &mut String) {
    if report.inputs.is_empty() {
        return;
    }
    // A few inputs are shown; a folder of blobs is one click away.
    let _ = writeln!(
        out,
        "<details class=\"inputs\"{}><summary>{}</summary>",
        if report.inputs.len() <= 3 {
            " open"
        } else {
            ""
        },
        count(report.inputs.len() as u64, "input")
    );
    out.push_str(
        "<div class=\"scroll\"><table class=\"inputs\">\n<caption>Inputs</caption>\n<thead><tr>\
         <th scope=\"col\">Input</th><th scope=\"col\">Shape</th>\
         <th scope=\"col\" class=\"num\">Read</th><th scope=\"col\" class=\"num\">Analyzed</th>\
         <th scope=\"col\" class=\"num\">Filtered</th><th scope=\"col\" class=\"num\">Skipped</th>\
         <th scope=\"col\">Records</th></tr></thead>\n<tbody>\n",
    );
    for input in &report.inputs {
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td>{}</td></tr>",
            text(&input.source),
            html(&input.shape),
            input.records_read,
            input.records_analyzed,
            input.records_filtered,
            input.records_skipped,
            input.coverage.records.replace('_', " "),
        );
    }
    out.push_str("</tbody>\n</table></div>\n</details>\n");
}

fn by_severity(report: &Report, out: &mut String) {
    let counts = report.summary.devices_by_severity;
    let rows = [
        ("critical", counts.critical),
        ("high", counts.high),
        ("medium", counts.medium),
        ("low", counts.low),
        ("info", counts.info),
    ];
    let without = report
        .summary
        .devices_shown
        .saturating_sub(rows.iter().map(|(_, n)| n).sum());
    out.push_str("<h3>Identities by their worst finding</h3>\n<ul class=\"severities\">\n");
    for (name, n) in rows {
        let _ = writeln!(
            out,
            "<li><span class=\"sev sev-{name}\">{name}</span> {n}</li>"
        );
    }
    let _ = writeln!(
        out,
        "<li><span class=\"sev sev-none\">none</span> {without}</li>\n</ul>"
    );
}

/// Hub incidents, mass disconnects, throttling and cohorts, in plain words.
pub(super) fn fleet(report: &Report, out: &mut String) {
    out.push_str(
        "<section aria-labelledby=\"fleet-heading\">\n<h2 id=\"fleet-heading\">Fleet findings</h2>\n",
    );
    if report.insights.is_empty() {
        out.push_str("<p>No hub incident, mass disconnect, throttling or cohort was found.</p>\n");
    } else {
        out.push_str("<ol class=\"insights\">\n");
        for insight in &report.insights {
            let _ = writeln!(
                out,
                "<li>{} <strong>{}</strong> <span class=\"when\"><time>{}</time> to \
                 <time>{}</time></span><p>{}</p><p class=\"action\"><strong>What to do:\
                 </strong> {}</p></li>",
                badge(Some(insight.severity)),
                kind_name(insight.kind),
                format_time(&insight.start),
                format_time(&insight.end),
                prose(&insight.summary),
                prose(&insight.action),
            );
        }
        out.push_str("</ol>\n");
    }
    cohorts(report, out);
    findings_only(report, out);
    out.push_str("</section>\n");
}

/// Findings read back from a query's result (`iothub-triage kql` run where the logs are)
/// come without devices: they are listed here instead, the first [`FINDINGS_LISTED`].
fn findings_only(report: &Report, out: &mut String) {
    if !report.devices.is_empty() || report.findings.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<h3>Findings read back from a query's result</h3>\n<p>{} (the first {} listed).</p>\n\
         <ol class=\"insights\">",
        count(report.findings.len() as u64, "finding"),
        report.findings.len().min(FINDINGS_LISTED)
    );
    for finding in report.findings.iter().take(FINDINGS_LISTED) {
        let _ = writeln!(
            out,
            "<li>{} <code>{}</code> {}<p class=\"action\"><strong>What to do:</strong> {}</p></li>",
            badge(Some(finding.severity)),
            html(&finding.rule.to_string()),
            prose(&finding.title),
            prose(&finding.action),
        );
    }
    out.push_str("</ol>\n");
}

/// Findings listed when a report has no devices to show them under.
const FINDINGS_LISTED: usize = 1000;

fn cohorts(report: &Report, out: &mut String) {
    if report.cohorts.is_empty() {
        return;
    }
    out.push_str(
        "<div class=\"scroll\"><table>\n<caption>Cohorts: identities sharing an attribute that \
         have a problem far more often than the rest</caption>\n<thead><tr>\
         <th scope=\"col\">Problem</th><th scope=\"col\">Attribute</th><th scope=\"col\">Value</th>\
         <th scope=\"col\" class=\"num\">In the cohort</th><th scope=\"col\" class=\"num\">\
         Elsewhere</th><th scope=\"col\" class=\"num\">Chance by luck</th></tr></thead>\n<tbody>\n",
    );
    for cohort in &report.cohorts {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><th scope=\"row\">{}</th><td class=\"num\">{} of {}</td>\
             <td class=\"num\">{} of {}</td><td class=\"num\">{:.1e}</td></tr>",
            kind_name(cohort.kind),
            cohort.attribute.replace('_', " "),
            text(&cohort.value),
            cohort.with_kind,
            cohort.devices,
            cohort.others_with_kind,
            cohort.others,
            cohort.p_value,
        );
    }
    out.push_str("</tbody>\n</table></div>\n");
}

/// Every code that occurs, explained once.
pub(super) fn codes(report: &Report, out: &mut String) {
    out.push_str(
        "<section aria-labelledby=\"codes-heading\">\n<h2 id=\"codes-heading\">The codes in these \
         logs</h2>\n",
    );
    if report.summary.codes.is_empty() {
        out.push_str("<p>No record carried an error code.</p>\n</section>\n");
        return;
    }
    out.push_str("<dl class=\"codes\">\n");
    for code in &report.summary.codes {
        let _ = write!(
            out,
            "<div id=\"code-{}\"><dt><code>{}</code> {} <span class=\"muted\">{} in {}</span></dt>",
            anchor(&code.code),
            text(&code.code),
            text(&code.name),
            count(code.count, "record"),
            count(code.devices, "identity").replace("identitys", "identities"),
        );
        match rules::explain(&code.code) {
            Some(explanation) => {
                let info = &explanation.info;
                if !explanation.known {
                    out.push_str("<dd>Not a documented IoT Hub code; by its HTTP family:</dd>");
                }
                let _ = write!(
                    out,
                    "<dd><strong>Cause:</strong> {}</dd><dd><strong>What to do:</strong> {}</dd>",
                    html(info.root_cause),
                    html(info.resolution)
                );
                if let Some(note) = info.note {
                    let _ = write!(out, "<dd><strong>Note:</strong> {}</dd>", html(note));
                }
                let _ = write!(out, "<dd>{}</dd>", doc_link(info.doc));
            }
            None => out.push_str("<dd>Not an IoT Hub error code.</dd>"),
        }
        out.push_str("</div>\n");
    }
    out.push_str("</dl>\n</section>\n");
}

/// A link to Microsoft's documentation, from the code table.
pub(super) fn doc_link(url: &str) -> String {
    if url.starts_with("https://") {
        format!(
            "<a href=\"{0}\" rel=\"noopener noreferrer\">{0}</a>",
            html(url)
        )
    } else {
        html(url)
    }
}

/// A code as an id fragment: digits and letters only.
pub(super) fn anchor(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .take(32)
        .collect()
}

pub(super) fn footer(footer: &Footer, out: &mut String) {
    out.push_str("<footer>\n<h2>How this report was made</h2>\n<dl>\n");
    let _ = writeln!(
        out,
        "<div><dt>Tool</dt><dd>iothub-triage {}</dd></div>",
        html(&footer.version)
    );
    if !footer.command_line.is_empty() {
        let _ = writeln!(
            out,
            "<div><dt>Command line</dt><dd><code>{}</code></dd></div>",
            text_line(&footer.command_line)
        );
    }
    match footer.generated {
        Some(time) => {
            let _ = writeln!(
                out,
                "<div><dt>Made at</dt><dd><time>{}</time></dd></div>",
                format_time(&time)
            );
        }
        None => out.push_str("<div><dt>Made at</dt><dd>not recorded</dd></div>\n"),
    }
    if let Some(kql) = &footer.kql {
        let _ = writeln!(
            out,
            "<div><dt>The same triage where the logs are (KQL)</dt><dd><code>{}</code></dd></div>",
            text_line(kql)
        );
    }
    out.push_str("</dl>\n</footer>\n");
}

/// Arguments as a shell would take them back: quoted where they need it.
fn text_line(args: &[String]) -> String {
    let quoted: Vec<String> = args
        .iter()
        .map(|arg| {
            let plain = !arg.is_empty()
                && arg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@+%".contains(c));
            if plain {
                arg.clone()
            } else {
                format!("'{}'", arg.replace('\'', "'\\''"))
            }
        })
        .collect();
    html(&quoted.join(" "))
}

/// The kind of an insight in words.
pub(super) fn kind_name(kind: InsightKind) -> &'static str {
    match kind {
        InsightKind::TokenRenewal => "SAS token renewal",
        InsightKind::Flapping => "Flapping",
        InsightKind::DuplicateIdentity => "Duplicate identity",
        InsightKind::CredentialFailure => "Credential failure",
        InsightKind::Offline => "Offline",
        InsightKind::Takeover => "Takeover",
        InsightKind::PeriodicDrop => "Periodic drops",
        InsightKind::SideEffect => "Side effect",
        InsightKind::HubIncident => "Hub incident",
        InsightKind::MassDisconnect => "Mass disconnect",
        InsightKind::Throttling => "Throttling",
        InsightKind::Cohort => "Cohort",
    }
}

/// `3 h 20 min`, `2 d 4 h`, `45 s`.
pub(super) fn duration(span: chrono::TimeDelta) -> String {
    let seconds = span.num_seconds().max(0);
    let (days, hours, minutes) = (seconds / 86_400, seconds / 3600 % 24, seconds / 60 % 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}
