//! The hub's `connectedDeviceCount` metric, as `az monitor metrics list --metric
//! connectedDeviceCount -o json` and the Metrics REST API return it: `{"cost", "interval",
//! "timespan", "value": [{"name": {"value"}, "timeseries": [{"data": [{"timeStamp",
//! "average", "minimum", "maximum"}]}]}]}`. It is no log: it holds no records, only the
//! count of connected devices per interval, which the analysis sets beside the count it
//! rebuilds from the logs. Diagnostic settings cannot export it, so it comes as an
//! extra input.

use super::fields::clip;
use super::state_events::get;
use super::time::parse_rfc3339;
use super::{Shape, Sink};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value};
use std::io::{self, BufRead, Read};

/// One interval of the metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricPoint {
    /// Start of the interval.
    pub time: DateTime<Utc>,
    /// The interval's length, from the response (`PT1M`, `0:01:00`) or, without it, the
    /// distance between points.
    pub interval: TimeDelta,
    pub average: Option<f64>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
}

/// The metric's names: today's, and the one it had before.
const NAMES: [&str; 2] = [
    "connectedDeviceCount",
    "devices.connectedDevices.allProtocol",
];

/// Reads a metrics response whole (it is small: a point per interval), at most
/// `max_record_size` bytes. Other metrics in it are passed over with a warning.
///
/// # Errors
///
/// The input is not JSON, larger than the limit, or not a metrics response.
pub fn read(
    reader: &mut dyn BufRead,
    input: usize,
    sink: &mut dyn Sink,
    max_record_size: u64,
) -> io::Result<Shape> {
    let mut bytes = Vec::new();
    reader
        .take(max_record_size.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_record_size {
        return Err(invalid(format!(
            "a metrics response longer than --max-record-size ({max_record_size} bytes)"
        )));
    }
    let value: Value = serde_json::from_slice(&bytes)
        .map_err(|err| invalid(format!("a metrics response that is not valid JSON: {err}")))?;
    let (points, warnings) = points(&value).map_err(invalid)?;
    for message in warnings {
        sink.warning(input, message);
    }
    for point in points {
        sink.metric(input, point);
    }
    Ok(Shape::Metrics)
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// The connected-device points of a response, in time order, and what was passed over.
fn points(value: &Value) -> Result<(Vec<MetricPoint>, Vec<String>), String> {
    let response = value
        .as_object()
        .ok_or("a metrics response is a JSON object")?;
    let metrics = get(response, "value")
        .and_then(Value::as_array)
        .ok_or("a metrics response without its \"value\" list of metrics")?;
    let declared = get(response, "interval")
        .and_then(Value::as_str)
        .and_then(parse_interval);
    let mut points = Vec::new();
    let mut warnings = Vec::new();
    let mut unreadable = 0usize;
    for metric in metrics.iter().filter_map(Value::as_object) {
        let name = metric_name(metric);
        if !NAMES.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
            warnings.push(format!(
                "metric {:?} passed over: only connectedDeviceCount is read",
                clip(&name)
            ));
            continue;
        }
        let series = get(metric, "timeseries").and_then(Value::as_array);
        for data in series
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_object().and_then(|s| get(s, "data")))
            .filter_map(Value::as_array)
            .flatten()
        {
            match point(data) {
                Some(Some(point)) => points.push(point),
                // An interval without data: nothing measured, nothing to compare.
                Some(None) => {}
                None => unreadable += 1,
            }
        }
    }
    if unreadable > 0 {
        warnings.push(format!(
            "{unreadable} metric point{} without a readable timeStamp passed over",
            if unreadable == 1 { "" } else { "s" }
        ));
    }
    points.sort_by_key(|a| a.time);
    points.dedup_by(|a, b| a.time == b.time);
    let step = points
        .windows(2)
        .map(|pair| pair[1].time - pair[0].time)
        .filter(|step| *step > TimeDelta::zero())
        .min();
    let interval = declared.or(step).unwrap_or(TimeDelta::minutes(1));
    for point in &mut points {
        point.interval = interval;
    }
    Ok((points, warnings))
}

/// `name.value`, or `name` as a text.
fn metric_name(metric: &Map<String, Value>) -> String {
    match get(metric, "name") {
        Some(Value::Object(name)) => get(name, "value")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        Some(Value::String(name)) => name.clone(),
        _ => String::new(),
    }
}

/// `None`: no readable time; `Some(None)`: an interval without a value.
fn point(data: &Value) -> Option<Option<MetricPoint>> {
    let data = data.as_object()?;
    let time = get(data, "timeStamp")
        .or_else(|| get(data, "time_stamp"))
        .and_then(Value::as_str)
        .and_then(parse_rfc3339)?;
    let number = |key: &str| {
        get(data, key)
            .and_then(Value::as_f64)
            .filter(|v| v.is_finite())
    };
    let (average, minimum, maximum) = (number("average"), number("minimum"), number("maximum"));
    if average.is_none() && minimum.is_none() && maximum.is_none() {
        return Some(None);
    }
    Some(Some(MetricPoint {
        time,
        interval: TimeDelta::zero(),
        average,
        minimum,
        maximum,
    }))
}

/// `PT1M`, `PT5M`, `PT1H`, `P1D` (ISO 8601, the REST API) or `0:01:00`, `1 day, 0:00:00`
/// (Python's timedelta, the az CLI).
fn parse_interval(text: &str) -> Option<TimeDelta> {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix('P').or_else(|| text.strip_prefix('p')) {
        let mut seconds = 0i64;
        let mut number = String::new();
        let mut in_time = false;
        for c in rest.chars() {
            match c.to_ascii_uppercase() {
                'T' => in_time = true,
                digit if digit.is_ascii_digit() => number.push(digit),
                unit => {
                    let n: i64 = number.parse().ok()?;
                    number.clear();
                    seconds += n * match (unit, in_time) {
                        ('D', false) => 86_400,
                        ('H', true) => 3_600,
                        ('M', true) => 60,
                        ('S', true) => 1,
                        _ => return None,
                    };
                }
            }
        }
        return (number.is_empty() && seconds > 0).then(|| TimeDelta::seconds(seconds));
    }
    let (days, clock) = match text.split_once(',') {
        Some((days, clock)) => {
            let days: i64 = days.split_whitespace().next()?.parse().ok()?;
            (days, clock.trim())
        }
        None => (0, text),
    };
    let parts: Vec<i64> = clock
        .split(':')
        .map(|part| part.parse::<f64>().ok().map(|v| v as i64))
        .collect::<Option<_>>()?;
    let [hours, minutes, seconds] = parts[..] else {
        return None;
    };
    let total = days * 86_400 + hours * 3_600 + minutes * 60 + seconds;
    (total > 0).then(|| TimeDelta::seconds(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_read_in_both_notations() {
        for (text, seconds) in [
            ("PT1M", 60),
            ("PT5M", 300),
            ("PT1H", 3600),
            ("P1D", 86_400),
            ("PT1H30M", 5400),
            ("0:01:00", 60),
            ("1:00:00", 3600),
            ("1 day, 0:00:00", 86_400),
        ] {
            assert_eq!(
                parse_interval(text),
                Some(TimeDelta::seconds(seconds)),
                "{text}"
            );
        }
        for text in ["", "PT", "P1X", "soon", "0:00:00"] {
            assert_eq!(parse_interval(text), None, "{text}");
        }
    }

    #[test]
    fn only_connected_device_points_with_a_value_are_kept() {
        let response = serde_json::json!({
            "cost": 0,
            "interval": "PT1M",
            "value": [
                {"name": {"value": "connectedDeviceCount"}, "timeseries": [{"data": [
                    {"timeStamp": "2026-03-02T08:01:00Z", "average": 4.0},
                    {"timeStamp": "2026-03-02T08:00:00Z", "average": 3.0, "maximum": 5.0},
                    {"timeStamp": "2026-03-02T08:02:00Z"},
                    {"average": 2.0}
                ]}]},
                {"name": {"value": "d2c.telemetry.ingress.success"}, "timeseries": []}
            ]
        });
        let (points, warnings) = points(&response).expect("a response");
        assert_eq!(points.len(), 2);
        assert_eq!(points[0].maximum, Some(5.0));
        assert_eq!(points[1].average, Some(4.0));
        assert!(points.iter().all(|p| p.interval == TimeDelta::minutes(1)));
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].contains("d2c.telemetry.ingress.success"));
        assert!(warnings[1].starts_with("1 metric point without"));
    }

    #[test]
    fn not_a_response_is_refused_with_a_reason() {
        assert!(points(&serde_json::json!([1])).is_err());
        assert!(
            points(&serde_json::json!({"cost": 0}))
                .unwrap_err()
                .contains("\"value\"")
        );
    }
}
