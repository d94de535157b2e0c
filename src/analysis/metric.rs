//! The hub's own `connectedDeviceCount` metric beside the count rebuilt from the logs.
//! Both count the same devices, so where they part the logs are missing something:
//! a metric above the logs means devices or records the logs do not hold (devices
//! connected before the logs begin and silent since, records not exported or filtered
//! out); a metric below them means connections the logs still count that the hub had
//! closed (a disconnect missing from the logs).

use super::diagnosis::Curve;
use crate::input::MetricPoint;
use crate::model::rfc3339 as serialize_time;
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

/// The metric as the report keeps it, point by point beside the logs' count.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Metric {
    /// `connectedDeviceCount`.
    pub name: &'static str,
    /// The metric's interval, in seconds.
    pub interval_seconds: i64,
    /// Chronological.
    pub points: Vec<MetricReportPoint>,
    /// Runs of intervals where the metric and the logs part, chronological.
    pub divergences: Vec<Divergence>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricReportPoint {
    /// Start of the interval.
    #[serde(serialize_with = "serialize_time")]
    pub time: DateTime<Utc>,
    pub average: Option<f64>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    /// The lowest and highest count the logs give over the interval; `null` outside
    /// the logs' span or when the logs cannot tell (no successful connects).
    pub logs_min: Option<u64>,
    pub logs_max: Option<u64>,
}

/// Consecutive intervals where the metric is above (or below) what the logs give.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Divergence {
    #[serde(serialize_with = "serialize_time")]
    pub start: DateTime<Utc>,
    #[serde(serialize_with = "serialize_time")]
    pub end: DateTime<Utc>,
    /// `metric_above_logs` or `metric_below_logs`.
    pub direction: &'static str,
    /// The widest gap in the run: the metric's value and the logs' bound it passed.
    pub metric: f64,
    pub logs: u64,
}

/// Two counts part when they differ by more than a device and a tenth of the larger.
fn apart(metric: f64, logs: f64) -> bool {
    let gap = (metric - logs).abs();
    gap > 1.0 && gap * 10.0 > metric.max(logs)
}

/// The metric beside the curve, with where they part. `points` are chronological.
pub fn compare(points: &[MetricPoint], curve: &Curve) -> Metric {
    let interval = points
        .first()
        .map_or(TimeDelta::minutes(1), |p| p.interval)
        .max(TimeDelta::seconds(1));
    let length = match curve.points.as_slice() {
        [first, second, ..] => second.time - first.time,
        _ => TimeDelta::seconds(1),
    };
    let span = curve
        .points
        .first()
        .zip(curve.points.last())
        .map(|(first, last)| (first.time, last.time + length));
    let mut report = Vec::with_capacity(points.len());
    let mut divergences: Vec<Divergence> = Vec::new();
    for point in points {
        let end = point.time + interval;
        // The curve's buckets that overlap the interval.
        let logs = span
            .filter(|(start, stop)| point.time < *stop && *start < end)
            .and_then(|_| {
                let over = curve
                    .points
                    .iter()
                    .filter(|bucket| bucket.time < end && point.time < bucket.time + length);
                over.fold(None, |range: Option<(u64, u64)>, bucket| {
                    Some(range.map_or((bucket.min, bucket.max), |(low, high)| {
                        (low.min(bucket.min), high.max(bucket.max))
                    }))
                })
            });
        report.push(MetricReportPoint {
            time: point.time,
            average: point.average,
            minimum: point.minimum,
            maximum: point.maximum,
            logs_min: logs.map(|(low, _)| low),
            logs_max: logs.map(|(_, high)| high),
        });
        let Some((low, high)) = logs else { continue };
        let above = point.maximum.or(point.average).unwrap_or(0.0);
        let below = point.minimum.or(point.average).unwrap_or(0.0);
        #[allow(clippy::cast_precision_loss, reason = "device counts")]
        let found = if above > high as f64 && apart(above, high as f64) {
            Some(("metric_above_logs", above, high))
        } else if below < (low as f64) && apart(below, low as f64) {
            Some(("metric_below_logs", below, low))
        } else {
            None
        };
        let Some((direction, metric, logs)) = found else {
            continue;
        };
        match divergences.last_mut() {
            Some(last) if last.direction == direction && last.end >= point.time => {
                last.end = end;
                #[allow(clippy::cast_precision_loss, reason = "device counts")]
                if (metric - logs as f64).abs() > (last.metric - last.logs as f64).abs() {
                    (last.metric, last.logs) = (metric, logs);
                }
            }
            _ => divergences.push(Divergence {
                start: point.time,
                end,
                direction,
                metric,
                logs,
            }),
        }
    }
    Metric {
        name: "connectedDeviceCount",
        interval_seconds: interval.num_seconds(),
        points: report,
        divergences,
    }
}

/// What the reader should know about the metric: where it parts from the logs, or that
/// the logs cannot be compared with it.
pub fn warnings(metric: &Metric, logs_tell: bool) -> Vec<String> {
    if !logs_tell {
        return vec![
            "the connectedDeviceCount metric is in the report, but the logs hold no successful connects to compare it with".to_string(),
        ];
    }
    let mut said = Vec::new();
    for (direction, meaning) in [
        (
            "metric_above_logs",
            "the logs miss devices or records (devices connected before the logs begin and silent since, records not exported or filtered out)",
        ),
        (
            "metric_below_logs",
            "the logs count connections the hub had closed (disconnects missing from the logs)",
        ),
    ] {
        let runs: Vec<&Divergence> = metric
            .divergences
            .iter()
            .filter(|d| d.direction == direction)
            .collect();
        let Some(widest) = runs.iter().max_by(|a, b| {
            #[allow(clippy::cast_precision_loss, reason = "device counts")]
            let gap = |d: &Divergence| (d.metric - d.logs as f64).abs();
            gap(a).total_cmp(&gap(b))
        }) else {
            continue;
        };
        let word = if direction == "metric_above_logs" {
            "above"
        } else {
            "below"
        };
        said.push(format!(
            "the connectedDeviceCount metric is {word} the count rebuilt from the logs in {} period{} (widest from {} to {}: {} against {}): {meaning}",
            runs.len(),
            if runs.len() == 1 { "" } else { "s" },
            widest.start.format("%Y-%m-%dT%H:%M:%SZ"),
            widest.end.format("%Y-%m-%dT%H:%M:%SZ"),
            widest.metric,
            widest.logs,
        ));
    }
    said
}

/// One line for the text reports: the metric's range, and where it parts from the logs.
pub fn summary(metric: &Metric) -> String {
    let values: Vec<f64> = metric
        .points
        .iter()
        .filter_map(|p| p.average.or(p.maximum).or(p.minimum))
        .collect();
    let low = values.iter().copied().fold(f64::INFINITY, f64::min);
    let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let range = if values.is_empty() {
        "no values".to_string()
    } else {
        format!("{low} to {high} devices")
    };
    let compared = metric.points.iter().any(|p| p.logs_max.is_some());
    #[allow(clippy::cast_precision_loss, reason = "device counts")]
    let widest = metric.divergences.iter().max_by(|a, b| {
        let gap = |d: &Divergence| (d.metric - d.logs as f64).abs();
        gap(a).total_cmp(&gap(b))
    });
    let apart = match (metric.divergences.len(), widest) {
        (0, _) if !compared => "not compared: the logs give no count over its span".to_string(),
        (_, None) => "agrees with the logs".to_string(),
        (count, Some(widest)) => format!(
            "parts from the logs {} (widest: {} them from {} to {}, {} against {})",
            if count == 1 {
                "once".to_string()
            } else {
                format!("{count} times")
            },
            if widest.direction == "metric_above_logs" {
                "above"
            } else {
                "below"
            },
            widest.start.format("%Y-%m-%dT%H:%M:%SZ"),
            widest.end.format("%Y-%m-%dT%H:%M:%SZ"),
            widest.metric,
            widest.logs,
        ),
    };
    format!(
        "connectedDeviceCount metric: {} point{} every {}s, {range}; {apart}",
        metric.points.len(),
        if metric.points.len() == 1 { "" } else { "s" },
        metric.interval_seconds,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::diagnosis::CurvePoint;

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_772_438_400 + minute * 60, 0).expect("a time")
    }

    fn curve(counts: &[u64]) -> Curve {
        Curve {
            points: (0..)
                .zip(counts)
                .map(|(minute, &count)| CurvePoint {
                    time: at(minute),
                    connected: count,
                    min: count,
                    max: count,
                })
                .collect(),
            ..Curve::default()
        }
    }

    fn metric(minute: i64, average: f64) -> MetricPoint {
        MetricPoint {
            time: at(minute),
            interval: TimeDelta::minutes(1),
            average: Some(average),
            minimum: None,
            maximum: None,
        }
    }

    #[test]
    fn a_metric_that_agrees_with_the_logs_says_nothing() {
        let logs = curve(&[10, 10, 9, 10]);
        let points: Vec<MetricPoint> = (0..4).map(|m| metric(m, 10.0)).collect();
        let compared = compare(&points, &logs);
        assert!(compared.divergences.is_empty(), "{compared:?}");
        assert_eq!(compared.points[2].logs_min, Some(9));
        assert!(warnings(&compared, true).is_empty());
    }

    #[test]
    fn runs_where_the_metric_parts_from_the_logs_are_found_and_told() {
        let logs = curve(&[10, 10, 10, 10, 10, 10]);
        let points = [
            metric(0, 10.0),
            metric(1, 14.0),
            metric(2, 16.0),
            metric(3, 10.0),
            metric(4, 5.0),
            // Outside the logs' span: nothing to compare.
            metric(30, 50.0),
        ];
        let compared = compare(&points, &logs);
        assert_eq!(compared.divergences.len(), 2, "{compared:?}");
        let above = &compared.divergences[0];
        assert_eq!(
            (
                above.direction,
                above.start,
                above.end,
                above.metric,
                above.logs
            ),
            ("metric_above_logs", at(1), at(3), 16.0, 10)
        );
        assert_eq!(compared.divergences[1].direction, "metric_below_logs");
        assert_eq!(compared.points[5].logs_max, None);
        let said = warnings(&compared, true);
        assert_eq!(said.len(), 2);
        assert!(
            said[0].contains("above the count rebuilt from the logs in 1 period"),
            "{}",
            said[0]
        );
        assert!(said[0].contains("16 against 10"), "{}", said[0]);
        assert!(
            said[0].contains("the logs miss devices or records"),
            "{}",
            said[0]
        );
        assert!(said[1].contains("below"), "{}", said[1]);
        let line = summary(&compared);
        assert!(
            line.starts_with("connectedDeviceCount metric: 6 points every 60s, 5 to 50 devices; parts from the logs 2 times (widest: above them from "),
            "{line}"
        );
    }

    #[test]
    fn a_gap_of_one_device_is_not_a_divergence() {
        let logs = curve(&[2, 2]);
        let compared = compare(&[metric(0, 3.0), metric(1, 1.0)], &logs);
        assert!(compared.divergences.is_empty(), "{compared:?}");
    }
}
