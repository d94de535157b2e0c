//! The HTML report: a snapshot of a small report, its structure read back with an HTML
//! parser, the escaping of hostile ids, determinism and the size bound.

use super::*;
use crate::analysis::Stories;
use crate::report::options::samples;
use scraper::{Html, Selector};

fn footer() -> Footer {
    Footer {
        version: "0.1.0".to_string(),
        command_line: ["iothub-triage", "analyze", "--format", "html", "logs/"]
            .map(String::from)
            .to_vec(),
        generated: DateTime::from_timestamp(1_772_409_600, 0),
        kql: Some(["iothub-triage", "kql"].map(String::from).to_vec()),
    }
}

fn rendered(report: &Report, stories: &Stories) -> String {
    let footer = footer();
    let mut out = Vec::new();
    render(report, &Page { stories, footer: &footer }, &mut out).expect("writes to a Vec");
    String::from_utf8(out).expect("UTF-8")
}

fn select<'a>(document: &'a Html, selector: &str) -> Vec<scraper::ElementRef<'a>> {
    document
        .select(&Selector::parse(selector).expect("a valid selector"))
        .collect()
}

#[test]
fn base64_encodes_as_rfc_4648_says() {
    for (bytes, expected) in [
        (&b""[..], ""),
        (b"f", "Zg=="),
        (b"fo", "Zm8="),
        (b"foo", "Zm9v"),
        (b"foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(base64(bytes), expected);
    }
}

#[test]
fn snapshot_hub_incident() {
    let report = samples::analyze("fixtures/insights/hub-incident.json");
    insta::assert_snapshot!(rendered(&report, &Stories::default()));
}
