//! The charts, as inline SVG drawn here: the connected-devices curve, bar charts of where
//! the drops fall, and one device's timeline. Every mark has a `<title>` with its values
//! (a tooltip, and what a screen reader says), and each chart has a text equivalent.

use super::sections::{duration, kind_name};
use super::text;
use crate::analysis::report::{DeviceReport, Report};
use crate::analysis::{Mark, Story};
use crate::escape::html;
use crate::model::{InsightKind, format_time};
use crate::rules;
use chrono::{DateTime, Utc};
use std::fmt::Write;

/// Width of every chart's drawing, in SVG units; the page scales it.
const WIDTH: f64 = 1000.0;
/// Left margin for the value axis labels.
const LEFT: f64 = 56.0;
/// Most bars in the drops-per-hour chart; longer logs put several hours in one bar.
const HOUR_BARS: usize = 168;
/// Marks of a device's timeline closer than this (in SVG units) are drawn as one.
const MARK_SPACING: f64 = 4.0;

/// The time axis of a chart: the log's span onto [LEFT, WIDTH].
#[derive(Debug, Clone, Copy)]
pub(super) struct Axis {
    start: DateTime<Utc>,
    millis: f64,
}

impl Axis {
    pub(super) fn of(report: &Report) -> Option<Axis> {
        Some(Axis::span(
            report.summary.first_event?,
            report.summary.last_event?,
        ))
    }

    fn span(start: DateTime<Utc>, end: DateTime<Utc>) -> Axis {
        Axis {
            start,
            millis: ((end - start).num_milliseconds() as f64).max(1.0),
        }
    }

    fn x(&self, time: DateTime<Utc>) -> f64 {
        let share = (time - self.start).num_milliseconds() as f64 / self.millis;
        LEFT + share.clamp(0.0, 1.0) * (WIDTH - LEFT)
    }
}

pub(super) fn curve_section(report: &Report, out: &mut String) {
    out.push_str(
        "<section aria-labelledby=\"curve-heading\">\n<h2 id=\"curve-heading\">Connected devices\
         </h2>\n",
    );
    let curve = &report.connected_devices;
    let (Some(axis), false) = (Axis::of(report), curve.points.is_empty()) else {
        out.push_str(
            "<p>The curve needs successful connects in the export; these logs have none.</p>\n\
             </section>\n",
        );
        return;
    };
    let height = 240.0;
    let (top, bottom) = (24.0, height - 24.0);
    // The hub's own connectedDeviceCount, when it was given, shares the scale.
    let metric_points: Vec<(DateTime<Utc>, f64)> = curve
        .metric
        .iter()
        .flat_map(|metric| &metric.points)
        .filter_map(|point| Some((point.time, point.average.or(point.maximum)?)))
        .filter(|(time, _)| *time >= axis.start)
        .collect();
    let most = curve.points.iter().map(|p| p.max).max().unwrap_or(0).max(1) as f64;
    let most = metric_points
        .iter()
        .map(|(_, value)| *value)
        .fold(most, f64::max);
    let y = |value: u64| bottom - (value as f64 / most) * (bottom - top);
    let end = report.summary.last_event.unwrap_or(axis.start);
    let _ = writeln!(
        out,
        "<figure>\n<svg class=\"chart\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" \
         aria-labelledby=\"curve-title\">\n<title id=\"curve-title\">Connected devices from {} \
         to {}: at most {}, band from the lowest to the highest count of each interval</title>",
        format_time(&axis.start),
        format_time(&end),
        most as u64
    );
    // Incidents and mass disconnects first, under the curve.
    for mark in &curve.marks {
        let (x0, x1) = (axis.x(mark.start), axis.x(mark.end));
        let class = match mark.kind {
            InsightKind::HubIncident => "incident",
            _ => "mass",
        };
        let _ = writeln!(
            out,
            "<g class=\"{class}\"><rect x=\"{x0:.1}\" y=\"{top}\" width=\"{:.1}\" height=\"{:.1}\">\
             <title>{}: {} to {}, {} hit</title></rect><text x=\"{x0:.1}\" y=\"{:.1}\">{}</text></g>",
            (x1 - x0).max(3.0),
            bottom - top,
            kind_name(mark.kind),
            format_time(&mark.start),
            format_time(&mark.end),
            identities(mark.devices),
            top - 6.0,
            kind_name(mark.kind),
        );
    }
    let bucket = |i: usize| -> (f64, f64) {
        let x0 = axis.x(curve.points[i].time);
        let x1 = curve.points.get(i + 1).map_or(WIDTH, |p| axis.x(p.time));
        (x0, x1)
    };
    // The band: each bucket's highest count left to right, then its lowest back.
    let mut band = String::new();
    for i in 0..curve.points.len() {
        let (x0, x1) = bucket(i);
        let _ = write!(
            band,
            "{x0:.1},{:.1} {x1:.1},{:.1} ",
            y(curve.points[i].max),
            y(curve.points[i].max)
        );
    }
    for i in (0..curve.points.len()).rev() {
        let (x0, x1) = bucket(i);
        let _ = write!(
            band,
            "{x1:.1},{:.1} {x0:.1},{:.1} ",
            y(curve.points[i].min),
            y(curve.points[i].min)
        );
    }
    let _ = writeln!(
        out,
        "<polygon class=\"band\" points=\"{}\"/>",
        band.trim_end()
    );
    let line: Vec<String> = (0..curve.points.len())
        .map(|i| format!("{:.1},{:.1}", bucket(i).1, y(curve.points[i].connected)))
        .collect();
    let _ = writeln!(
        out,
        "<polyline class=\"line\" points=\"{}\"/>",
        line.join(" ")
    );
    if !metric_points.is_empty() {
        let line: Vec<String> = metric_points
            .iter()
            .map(|(time, value)| {
                format!(
                    "{:.1},{:.1}",
                    axis.x(*time),
                    bottom - value / most * (bottom - top)
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "<polyline class=\"metric\" points=\"{}\"><title>The hub's connectedDeviceCount \
             metric</title></polyline>",
            line.join(" ")
        );
    }
    // One transparent target per bucket carries its values.
    for (i, point) in curve.points.iter().enumerate() {
        let (x0, x1) = bucket(i);
        let _ = writeln!(
            out,
            "<rect class=\"hit\" x=\"{x0:.1}\" y=\"{top}\" width=\"{:.1}\" height=\"{:.1}\"><title>\
             From {}: {} connected at the end, lowest {}, highest {}</title></rect>",
            (x1 - x0).max(0.5),
            bottom - top,
            format_time(&point.time),
            point.connected,
            point.min,
            point.max
        );
    }
    axes(out, &axis, end, most as u64, top, bottom);
    out.push_str("</svg>\n");
    let metric_words = match &curve.metric {
        Some(metric) if !metric_points.is_empty() => format!(
            " Dashed: the hub's own connectedDeviceCount metric ({} points{}).",
            metric_points.len(),
            match metric.divergences.len() {
                0 => String::new(),
                1 => ", 1 period where it and the logs part".to_string(),
                n => format!(", {n} periods where it and the logs part"),
            }
        ),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "<figcaption>The line is the number connected at the end of each interval, the band \
         the lowest and highest within it ({} intervals). Shaded: hub incidents and mass \
         disconnects.{metric_words}</figcaption>\n</figure>\n</section>",
        curve.points.len()
    );
}

fn axes(out: &mut String, axis: &Axis, end: DateTime<Utc>, most: u64, top: f64, bottom: f64) {
    let _ = writeln!(
        out,
        "<g class=\"axis\"><line x1=\"{LEFT}\" y1=\"{bottom}\" x2=\"{WIDTH}\" y2=\"{bottom}\"/>\
         <line x1=\"{LEFT}\" y1=\"{top}\" x2=\"{LEFT}\" y2=\"{bottom}\"/>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{most}</text>\
         <text x=\"{:.1}\" y=\"{bottom}\" text-anchor=\"end\">0</text>\
         <text x=\"{LEFT}\" y=\"{:.1}\">{}</text>\
         <text x=\"{WIDTH}\" y=\"{:.1}\" text-anchor=\"end\">{}</text></g>",
        LEFT - 6.0,
        top + 4.0,
        LEFT - 6.0,
        bottom + 18.0,
        short_time(axis.start),
        bottom + 18.0,
        short_time(end),
    );
}

fn short_time(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// `1 identity`, `2 identities`.
pub(super) fn identities(n: u64) -> String {
    if n == 1 {
        "1 identity".to_string()
    } else {
        format!("{n} identities")
    }
}

/// Drops per hour, records per code, drops per SDK version and protocol, the identities
/// with the most drops.
pub(super) fn breakdown_section(report: &Report, out: &mut String) {
    let breakdown = &report.breakdown;
    out.push_str(
        "<section aria-labelledby=\"breakdown-heading\">\n<h2 id=\"breakdown-heading\">Where the \
         drops fall</h2>\n",
    );
    let _ = writeln!(
        out,
        "<p>{} that nothing benign (token renewal, a takeover) explains.</p>",
        match breakdown.drops {
            1 => "1 lost connection".to_string(),
            n => format!("{n} lost connections"),
        }
    );
    out.push_str("<div class=\"charts\">\n");
    per_hour(report, out);
    let codes: Vec<(String, u64, String)> = report
        .summary
        .codes
        .iter()
        .take(12)
        .map(|c| {
            (
                format!("{} {}", c.code, c.name),
                c.count,
                format!("in {}", identities(c.devices)),
            )
        })
        .collect();
    bars(out, "Records per code", &codes);
    for (title, groups) in [
        ("Drops per SDK version", &breakdown.by_sdk_version),
        ("Drops per protocol", &breakdown.by_protocol),
    ] {
        let rows: Vec<(String, u64, String)> = groups
            .iter()
            .map(|g| {
                (
                    g.value.clone(),
                    g.drops,
                    format!("from {}", identities(g.identities)),
                )
            })
            .collect();
        bars(out, title, &rows);
    }
    let most: Vec<(String, u64, String)> = breakdown
        .most_drops
        .iter()
        .map(|d| (d.identity.clone(), d.drops, String::new()))
        .collect();
    bars(out, "Identities with the most drops", &most);
    out.push_str("</div>\n</section>\n");
}

/// Vertical bars, one per hour (or per few hours on a long log), with gaps left empty.
fn per_hour(report: &Report, out: &mut String) {
    let hours = &report.breakdown.per_hour;
    let (Some(first), Some(last)) = (hours.first(), hours.last()) else {
        return;
    };
    let span = usize::try_from((last.hour - first.hour).num_hours()).unwrap_or(0) + 1;
    let per_bar = span.div_ceil(HOUR_BARS).max(1);
    let mut bins = vec![0u64; span.div_ceil(per_bar)];
    for hour in hours {
        let index = usize::try_from((hour.hour - first.hour).num_hours()).unwrap_or(0) / per_bar;
        if let Some(bin) = bins.get_mut(index) {
            *bin += hour.drops;
        }
    }
    let most = bins.iter().copied().max().unwrap_or(0).max(1);
    let (height, top, bottom) = (180.0, 12.0, 150.0);
    let step = (WIDTH - LEFT) / bins.len() as f64;
    let label = if per_bar == 1 {
        "Drops per hour".to_string()
    } else {
        format!("Drops per {per_bar} hours")
    };
    let _ = writeln!(
        out,
        "<figure class=\"wide\">\n<figcaption>{label}</figcaption>\n<svg class=\"chart\" \
         viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"{label}, at most {most}\">"
    );
    for (i, &drops) in bins.iter().enumerate() {
        if drops == 0 {
            continue;
        }
        let from = first.hour + chrono::TimeDelta::hours((i * per_bar) as i64);
        let h = drops as f64 / most as f64 * (bottom - top);
        let _ = writeln!(
            out,
            "<rect class=\"bar\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\"><title>\
             {}: {drops} drops</title></rect>",
            LEFT + i as f64 * step + step * 0.1,
            bottom - h,
            (step * 0.8).max(0.5),
            format_time(&from)
        );
    }
    let end = first.hour + chrono::TimeDelta::hours((bins.len() * per_bar) as i64);
    let axis = Axis {
        start: first.hour,
        millis: ((end - first.hour).num_milliseconds() as f64).max(1.0),
    };
    axes(out, &axis, end, most, top, bottom);
    out.push_str("</svg>\n</figure>\n");
}

/// Horizontal bars with their label and value written out.
fn bars(out: &mut String, title: &str, rows: &[(String, u64, String)]) {
    if rows.is_empty() {
        return;
    }
    let most = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let row = 22.0;
    let height = row * rows.len() as f64 + 4.0;
    let (label_width, bar_width) = (250.0, 180.0);
    let width = label_width + bar_width + 80.0;
    let _ = writeln!(
        out,
        "<figure>\n<figcaption>{title}</figcaption>\n<svg class=\"chart bars\" viewBox=\"0 0 \
         {width} {height}\" role=\"img\" aria-label=\"{title}\">"
    );
    for (i, (label, value, note)) in rows.iter().enumerate() {
        let y = i as f64 * row + 2.0;
        let w = (*value as f64 / most as f64 * bar_width).max(1.0);
        let label = text(&crate::escape::truncate(label, 30));
        let note = if note.is_empty() {
            String::new()
        } else {
            format!(", {}", html(note))
        };
        let _ = writeln!(
            out,
            "<g><title>{label}: {value}{note}</title><text x=\"{:.1}\" y=\"{:.1}\" \
             text-anchor=\"end\">{label}</text><rect class=\"bar\" x=\"{label_width}\" \
             y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\"/><text x=\"{:.1}\" y=\"{:.1}\">{value}\
             </text></g>",
            label_width - 8.0,
            y + 15.0,
            y + 3.0,
            row - 6.0,
            label_width + w + 6.0,
            y + 15.0,
        );
    }
    out.push_str("</svg>\n</figure>\n");
}

/// One device's timeline over the time it was seen (a little more, so that its first
/// and last marks stand clear of the edges): its sessions as bars, its drops and errors
/// as marks, the hub incidents that hit it shaded.
pub(super) fn timeline(report: &Report, device: &DeviceReport, story: &Story, out: &mut String) {
    let margin = ((device.last_seen - device.first_seen) / 50).max(chrono::TimeDelta::minutes(1));
    let (start, end) = (device.first_seen - margin, device.last_seen + margin);
    let axis = Axis::span(start, end);
    let height = 92.0;
    let identity = text(&device.identity());
    let _ = writeln!(
        out,
        "<svg class=\"chart timeline\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" \
         aria-label=\"Timeline of {identity}: {} sessions, {} drops and errors\">",
        story.sessions.len(),
        story.marks.len()
    );
    for &index in &device.incidents {
        if let Some(incident) = report.insights.get(index) {
            let (x0, x1) = (axis.x(incident.start), axis.x(incident.end));
            let _ = writeln!(
                out,
                "<rect class=\"incident\" x=\"{x0:.1}\" y=\"4\" width=\"{:.1}\" height=\"62\">\
                 <title>{}: {} to {}</title></rect>",
                (x1 - x0).max(3.0),
                kind_name(incident.kind),
                format_time(&incident.start),
                format_time(&incident.end)
            );
        }
    }
    let _ = writeln!(
        out,
        "<text class=\"lane\" x=\"0\" y=\"24\">connected</text>\
         <text class=\"lane\" x=\"0\" y=\"54\">drops</text>"
    );
    for session in &story.sessions {
        let x0 = session.from.map_or(LEFT, |t| axis.x(t));
        let x1 = session.to.map_or(WIDTH, |t| axis.x(t));
        let from = session
            .from
            .map_or("before the log".to_string(), |t| format_time(&t));
        let to = session
            .to
            .map_or("the end of the log".to_string(), |t| format_time(&t));
        let length = match (session.from, session.to) {
            (Some(from), Some(to)) => format!(" ({})", duration(to - from)),
            _ => String::new(),
        };
        let ended = session.ended_by.map_or(String::new(), |code| {
            format!(", ended by {}", code_name(code))
        });
        let _ = writeln!(
            out,
            "<rect class=\"session\" x=\"{x0:.1}\" y=\"12\" width=\"{:.1}\" height=\"16\"><title>\
             Connected from {from} to {to}{length}{ended}</title></rect>",
            (x1 - x0).max(1.5)
        );
    }
    // Marks closer than a few units with the same kind and code are drawn as one, which
    // says how many it stands for: a storm of drops is one dark run, not thousands.
    let mut groups: Vec<(f64, &Mark, &Mark, usize)> = Vec::new();
    for mark in &story.marks {
        let x = axis.x(mark.time);
        match groups.last_mut() {
            Some((at, first, last, n))
                if x - *at < MARK_SPACING && first.drop == mark.drop && first.code == mark.code =>
            {
                *last = mark;
                *n += 1;
            }
            _ => groups.push((x, mark, mark, 1)),
        }
    }
    for (x, first, last, n) in groups {
        let what = match (first.drop, n) {
            (true, 1) => "drop".to_string(),
            (false, 1) => "error".to_string(),
            (true, n) => format!("{n} drops"),
            (false, n) => format!("{n} errors"),
        };
        let code = first.code.map_or("no code".to_string(), code_name);
        let when = if n == 1 {
            format_time(&first.time)
        } else {
            format!(
                "{} to {}",
                format_time(&first.time),
                format_time(&last.time)
            )
        };
        let title = format!("{when}: {what}, {code}");
        if first.drop {
            let _ = writeln!(
                out,
                "<path class=\"drop\" d=\"M{x:.1} 40 l5 16 h-10 z\"><title>{title}</title></path>"
            );
        } else {
            let _ = writeln!(
                out,
                "<circle class=\"error\" cx=\"{x:.1}\" cy=\"50\" r=\"4\"><title>{title}</title>\
                 </circle>"
            );
        }
    }
    let _ = writeln!(
        out,
        "<g class=\"axis\"><line x1=\"{LEFT}\" y1=\"66\" x2=\"{WIDTH}\" y2=\"66\"/>\
         <text x=\"{LEFT}\" y=\"84\">{}</text><text x=\"{WIDTH}\" y=\"84\" \
         text-anchor=\"end\">{}</text></g>\n</svg>",
        short_time(axis.start),
        short_time(end)
    );
}

/// `404104 DeviceConnectionClosedRemotely`.
pub(super) fn code_name(code: u32) -> String {
    let text = code.to_string();
    match rules::explain(&text) {
        Some(explanation) if explanation.known => format!("{text} {}", explanation.info.name),
        _ => text,
    }
}
