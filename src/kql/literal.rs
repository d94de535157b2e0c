//! KQL literals: strings, timespans and datetimes written so that any text (a device id
//! from the command line, a code table entry) stays data and never becomes query text.

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};

/// A double-quoted KQL string literal. Kusto's double-quoted strings take C-style
/// backslash escapes: the quote and the backslash escaped, control characters written as
/// escapes, so the literal always stays on one line.
pub fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // Other control characters have no place in a query: left out.
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A timespan literal in whole seconds (`90s`), or milliseconds below a second.
pub fn timespan(delta: TimeDelta) -> String {
    let millis = delta.num_milliseconds();
    if millis % 1000 == 0 {
        format!("{}s", millis / 1000)
    } else {
        format!("{millis}ms")
    }
}

/// A datetime literal.
pub fn datetime(time: &DateTime<Utc>) -> String {
    format!(
        "datetime({})",
        time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_quotes_backslashes_and_line_breaks() {
        let cases = [
            ("plain", "\"plain\""),
            ("say \"hi\"", "\"say \\\"hi\\\"\""),
            ("C:\\dir", "\"C:\\\\dir\""),
            ("a\nb\tc\r", "\"a\\nb\\tc\\r\""),
            ("bell\u{7}", "\"bell\""),
            ("it's", "\"it's\""),
        ];
        for (text, literal) in cases {
            assert_eq!(string(text), literal, "{text:?}");
        }
    }

    #[test]
    fn timespans_are_seconds_unless_fractional() {
        assert_eq!(timespan(TimeDelta::minutes(2)), "120s");
        assert_eq!(timespan(TimeDelta::milliseconds(1500)), "1500ms");
    }
}
