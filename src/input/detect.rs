//! Which export shape is this? Decided from the first bytes of the content, never from
//! the file name.

use super::carriers::Carrier;
use serde::de::IgnoredAny;

/// The parser a detected shape goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    JsonLines,
    JsonDocuments,
    Csv,
    /// Event Hubs Capture or routing Avro (`Obj\x01`).
    Avro,
    /// Connection-state events (Event Grid, CloudEvents, routed, `monitor-events`).
    StateEvents,
    /// A `connectedDeviceCount` metrics response.
    Metrics,
    /// Nothing but whitespace.
    Empty,
    /// A report this tool writes (what it is, in words): reading it back as a log would
    /// count its findings as records, or fail on it.
    Report(&'static str),
}

/// Why the content is not a log export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAnExport(pub String);

/// Picks the reader from the start of the content (BOM already removed).
pub fn detect(prefix: &[u8]) -> Result<Reader, NotAnExport> {
    // UTF-32's little-endian BOM starts with UTF-16's: it is told apart first.
    if prefix.starts_with(&[0xFF, 0xFE, 0, 0]) || prefix.starts_with(&[0, 0, 0xFE, 0xFF]) {
        return Err(NotAnExport("the file is UTF-32 encoded; convert it to UTF-8 (for example with iconv -f UTF-32 -t UTF-8)".into()));
    }
    if prefix.starts_with(&[0xFF, 0xFE]) || prefix.starts_with(&[0xFE, 0xFF]) {
        return Err(NotAnExport("the file is UTF-16 encoded; convert it to UTF-8 (for example with iconv -f UTF-16 -t UTF-8)".into()));
    }
    if prefix.starts_with(super::avro::MAGIC) {
        return Ok(Reader::Avro);
    }
    let start = prefix.trim_ascii_start();
    if start.is_empty() {
        return Ok(Reader::Empty);
    }
    if start.contains(&0) {
        return Err(NotAnExport("it holds binary data, not a log export".into()));
    }
    if let Some(report) = report(start) {
        return Ok(Reader::Report(report));
    }
    let carrier = || match super::carriers::carrier(start) {
        Some(Carrier::StateEvents) => Some(Reader::StateEvents),
        Some(Carrier::Metrics) => Some(Reader::Metrics),
        None => None,
    };
    match start[0] {
        b'[' => Ok(carrier().unwrap_or(Reader::JsonDocuments)),
        b'{' => Ok(carrier().unwrap_or_else(|| object_reader(start))),
        _ => csv_header(start),
    }
}

/// The reports `analyze` writes that could be taken for a log by their names (`.json`,
/// `.csv`): by what they start with, which no export does.
pub fn report(start: &[u8]) -> Option<&'static str> {
    if start.is_empty() {
        return None;
    }
    let window = &start[..start.len().min(512)];
    let has = |needle: &[u8]| window.windows(needle.len()).any(|w| w == needle);
    if start[0] == b'{' && first_key_is(start, &["schema_version"]) && has(b"\"summary\"") {
        return Some("a JSON report");
    }
    if start[0] == b'{' && first_key_is(start, &["$schema"]) && has(b"sarif") {
        return Some("a SARIF report");
    }
    if start.starts_with(b"{\"type\":\"finding\"") || start.starts_with(b"{\"type\":\"summary\"") {
        return Some("an NDJSON report");
    }
    if start.starts_with(b"device_id,module_id,severity,code,") {
        return Some("a CSV report");
    }
    None
}

/// JSON Lines when the first line is a whole value (or a broken line, which line mode
/// reports and skips); documents when it is a wrapper or a value spanning lines.
fn object_reader(start: &[u8]) -> Reader {
    if first_key_is(start, &["records", "tables"]) {
        return Reader::JsonDocuments;
    }
    let Some(end) = start.iter().position(|&b| b == b'\n') else {
        // One line, possibly longer than what was looked at: line mode reads it whole.
        return Reader::JsonLines;
    };
    let first_line = start[..end].trim_ascii();
    match first_value(first_line) {
        Some(Ok(())) => Reader::JsonLines,
        // The first line stops inside a value: a document spread over lines, unless the
        // next line is a whole record (then the first line is a record cut off).
        // A line that stops inside a string cannot go on: JSON strings hold no raw newline.
        Some(Err(err)) if err.is_eof() && ends_inside_string(first_line) => Reader::JsonLines,
        Some(Err(err)) if err.is_eof() => {
            let next = start[end + 1..]
                .split(|&b| b == b'\n')
                .map(<[u8]>::trim_ascii)
                .find(|l| !l.is_empty());
            let whole_record = |line: &[u8]| {
                line.starts_with(b"{") && serde_json::from_slice::<IgnoredAny>(line).is_ok()
            };
            if next.is_some_and(whole_record) {
                Reader::JsonLines
            } else {
                Reader::JsonDocuments
            }
        }
        _ => Reader::JsonLines,
    }
}

/// Whether a line of JSON ends inside a string (an odd number of unescaped quotes).
fn ends_inside_string(line: &[u8]) -> bool {
    let (mut inside, mut escaped) = (false, false);
    for &byte in line {
        match byte {
            _ if escaped => escaped = false,
            b'\\' if inside => escaped = true,
            b'"' => inside = !inside,
            _ => {}
        }
    }
    inside
}

/// Whether the line starts with one whole JSON value; `None` for an empty line.
fn first_value(line: &[u8]) -> Option<Result<(), serde_json::Error>> {
    serde_json::Deserializer::from_slice(line)
        .into_iter::<IgnoredAny>()
        .next()
        .map(|value| value.map(|_| ()))
}

fn first_key_is(start: &[u8], keys: &[&str]) -> bool {
    let after_brace = start[1..].trim_ascii_start();
    let Some(rest) = after_brace.strip_prefix(b"\"") else {
        return false;
    };
    keys.iter().any(|key| {
        rest.len() > key.len()
            && rest[..key.len()].eq_ignore_ascii_case(key.as_bytes())
            && rest[key.len()] == b'"'
    })
}

/// What `az` writes with `-o table` and `-o tsv`, which cut, align or leave unnamed the
/// values a log needs.
const USE_JSON: &str = "export with `-o json` instead (`az monitor log-analytics query ... -o json`), which this tool reads";

/// A CSV export is recognised by a time column in its header.
fn csv_header(start: &[u8]) -> Result<Reader, NotAnExport> {
    let end = start
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(start.len());
    let header = String::from_utf8_lossy(&start[..end]);
    let second = start[(end + 1).min(start.len())..]
        .split(|&b| b == b'\n')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    // `az -o table`: a header, then a rule of dashes under each column.
    if second.contains(&b'-')
        && second.iter().all(|&b| b == b'-' || b == b' ')
        && second.windows(2).any(|w| w == b"  ")
    {
        return Err(NotAnExport(format!(
            "this is `az ... -o table` output, whose columns are cut and aligned for the eye; {USE_JSON}"
        )));
    }
    // `az -o tsv`: values separated by tabs, no header; one of them a time.
    let cells: Vec<&str> = header.trim_end_matches('\r').split('\t').collect();
    let is_time = |cell: &&str| {
        let cell = cell.as_bytes();
        cell.len() >= 19
            && cell[..4].iter().all(u8::is_ascii_digit)
            && cell[4] == b'-'
            && cell[7] == b'-'
            && cell[10] == b'T'
    };
    if cells.len() >= 3 && cells.iter().any(is_time) {
        return Err(NotAnExport(format!(
            "this looks like `az ... -o tsv` output: values separated by tabs without a header naming the columns; {USE_JSON}"
        )));
    }
    let lower = header.to_ascii_lowercase();
    if lower.contains("timegenerated")
        || lower
            .split([',', ';', '\t'])
            .any(|c| c.trim_matches(['"', ' ', '\r']) == "time")
    {
        return Ok(Reader::Csv);
    }
    let shown: String = header
        .chars()
        .take(40)
        .filter(|c| !c.is_control())
        .collect();
    Err(NotAnExport(format!(
        "not a known export shape: expected JSON (JSON Lines, records, tables or an array) or a CSV with a TimeGenerated column, found {shown:?}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reason detection gives for `text`, or what it chose.
    fn refusal(text: &[u8]) -> String {
        match detect(text) {
            Err(NotAnExport(reason)) => reason,
            Ok(reader) => format!("read as {reader:?}"),
        }
    }

    #[test]
    fn az_table_and_tsv_output_are_named_with_the_way_out() {
        let table = b"TimeGenerated                 Category     OperationName\n\
            ----------------------------  -----------  -------------\n\
            2026-03-02T08:00:05.000Z      Connections  deviceConnect\n";
        let reason = refusal(table);
        assert!(
            reason.starts_with("this is `az ... -o table` output"),
            "{reason}"
        );
        assert!(reason.contains("`-o json`"), "{reason}");
        let tsv = b"0b7c9e1d\t2026-03-02T08:00:05.000Z\tConnections\tdeviceConnect\n";
        let reason = refusal(tsv);
        assert!(
            reason.starts_with("this looks like `az ... -o tsv` output"),
            "{reason}"
        );
        // A spreadsheet's tab-separated export has its header: it is read.
        let excel = b"TimeGenerated [UTC]\tCategory\tOperationName\n02.03.2026 08:00:05\tConnections\tdeviceConnect\n";
        assert_eq!(detect(excel), Ok(Reader::Csv));
    }

    #[test]
    fn event_grid_events_and_avro_files_go_to_their_readers() {
        let event = br#"[{"id":"1","subject":"devices/pump-1","eventType":"Microsoft.Devices.DeviceConnected","eventTime":"2026-03-02T08:00:05Z","data":{}}]"#;
        assert_eq!(detect(event), Ok(Reader::StateEvents));
        let cloud = br#"{"specversion":"1.0","type":"Microsoft.Devices.DeviceDisconnected","source":"/x","id":"1","data":{}}"#;
        assert_eq!(detect(cloud), Ok(Reader::StateEvents));
        assert_eq!(
            detect(b"Obj\x01\x04\x14avro.codec\x08null"),
            Ok(Reader::Avro)
        );
        // A diagnostic record carrying such words inside its properties string is a log.
        let record = br#"{"time":"2026-03-02T08:00:05Z","properties":"{\"eventType\":\"x\",\"eventTime\":\"y\"}"}"#;
        assert_eq!(detect(record), Ok(Reader::JsonLines));
    }

    #[test]
    fn shapes_are_told_apart_by_content() {
        let cases: [(&[u8], Reader); 10] = [
            (
                b"{\"time\":\"2026-03-02T08:00:05Z\"}\n{\"time\":\"x\"}\n",
                Reader::JsonLines,
            ),
            (
                b"{\"time\":\"2026-03-02T08:00:05Z\"}{\"time\":\"x\"}",
                Reader::JsonLines,
            ),
            (b"{\n  \"records\": [\n", Reader::JsonDocuments),
            (b"{\"records\":[{\"time\":1}]}\n", Reader::JsonDocuments),
            (
                b"{\"tables\":[{\"name\":\"PrimaryResult\"",
                Reader::JsonDocuments,
            ),
            (
                b"{\n  \"time\": \"2026-03-02T08:00:05Z\",\n",
                Reader::JsonDocuments,
            ),
            (
                b"[\n  {\n    \"TableName\": \"PrimaryResult\",",
                Reader::JsonDocuments,
            ),
            (
                b"TenantId,\"TimeGenerated [UTC]\",ResourceId\n",
                Reader::Csv,
            ),
            (b"  \n\t ", Reader::Empty),
            (
                b"{\"time\":\"2026-03-\n{\"time\":\"2026-03-02T08:00:05Z\"}\n",
                Reader::JsonLines,
            ),
        ];
        for (content, reader) in cases {
            assert_eq!(
                detect(content),
                Ok(reader),
                "{}",
                String::from_utf8_lossy(content)
            );
        }
    }

    #[test]
    fn avro_state_events_and_metrics_are_told_apart_by_content() {
        let cases: [(&[u8], Reader); 6] = [
            (b"Obj\x01\x04\x14avro.codec\x08null\0\0", Reader::Avro),
            (
                b"[\n  {\n    \"id\": \"3b0f\",\n    \"eventType\": \"Microsoft.Devices.DeviceConnected\",",
                Reader::StateEvents,
            ),
            (
                b"{\"id\":\"1\",\"source\":\"/x\",\"type\":\"Microsoft.Devices.DeviceDisconnected\"",
                Reader::StateEvents,
            ),
            (b"{\n  \"event\": {\n    \"origin\": \"meter-9\",", Reader::StateEvents),
            (
                b"{\n  \"cost\": 59,\n  \"interval\": \"0:01:00\",",
                Reader::Metrics,
            ),
            // A resource log that happens to hold such words stays a log.
            (
                b"{\"time\":\"2026-03-02T08:00:05Z\",\"operationName\":\"deviceConnect\",\"eventType\":\"x\"}\n",
                Reader::JsonLines,
            ),
        ];
        for (content, reader) in cases {
            assert_eq!(
                detect(content),
                Ok(reader),
                "{}",
                String::from_utf8_lossy(content)
            );
        }
        use crate::model::Shape;
        assert_eq!(Shape::Avro.name(), "avro");
        assert_eq!(Shape::StateEvents.name(), "state-events");
        assert_eq!(Shape::Metrics.name(), "metrics");
    }

    #[test]
    fn the_tools_own_reports_are_told_from_logs() {
        for (start, what) in [
            (
                &b"{\n  \"schema_version\": 1,\n  \"summary\": {"[..],
                "a JSON report",
            ),
            (
                b"{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",",
                "a SARIF report",
            ),
            (
                b"{\"type\":\"finding\",\"device\":\"a\"}\n",
                "an NDJSON report",
            ),
            (b"device_id,module_id,severity,code,name\n", "a CSV report"),
        ] {
            assert_eq!(detect(start), Ok(Reader::Report(what)), "{what}");
        }
        // A log record with a key of the same name is still a log.
        assert_eq!(
            detect(b"{\"schema_version\":1,\"time\":\"2026-03-02T08:00:05Z\"}\n"),
            Ok(Reader::JsonLines)
        );
    }

    #[test]
    fn other_content_is_refused_with_a_reason() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert!(detect(png).unwrap_err().0.contains("binary"));
        assert!(detect(b"\xFF\xFE{\0").unwrap_err().0.contains("UTF-16"));
        assert!(
            detect(b"\xFF\xFE\0\0{\0\0\0")
                .unwrap_err()
                .0
                .contains("UTF-32")
        );
        assert!(
            detect(b"\0\0\xFE\xFF\0\0\0{")
                .unwrap_err()
                .0
                .contains("UTF-32")
        );
        assert!(
            detect(b"hello world\nthis is text\n")
                .unwrap_err()
                .0
                .contains("not a known export shape")
        );
    }
}
