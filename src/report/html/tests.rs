//! The HTML report: a snapshot of a small report, its structure read back with an HTML
//! parser, the escaping of hostile ids, determinism and the size bound.

use super::*;
use crate::analysis::{
    Analyzer, Connected, DeviceKey, MARKS_KEPT, Mark, SESSIONS_KEPT, Stories, Story,
};
use crate::input::{self, Source};
use crate::report::samples;
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

/// The report of a fixture and the stories of its worst devices, as `analyze` makes them.
fn analyze(path: &str) -> (Report, Stories) {
    let mut analyzer = Analyzer::new(Default::default(), Default::default());
    let index = analyzer.begin_input(path.to_string());
    let units = input::expand(&[Source::new(path)], &Default::default(), &mut |_| {})
        .expect("the fixture exists");
    for unit in &units {
        let shape = input::read(unit, index, &Default::default(), &mut analyzer)
            .expect("the fixture is readable");
        analyzer.end_input(index, shape);
    }
    let mut report = analyzer.finish_with_stories(DEVICES_DETAILED);
    let stories = std::mem::take(&mut report.stories);
    (report, stories)
}

fn rendered(report: &Report, stories: &Stories) -> String {
    let footer = footer();
    let mut out = Vec::new();
    render_page(
        report,
        &Page {
            stories,
            footer: &footer,
        },
        &mut out,
    )
    .expect("writes to a Vec");
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
    let (report, stories) = analyze("fixtures/insights/hub-incident.json");
    // The style and the script are files of their own; their hashes change with them.
    let page = rendered(&report, &stories)
        .replace(STYLE, "/* report.css */")
        .replace(SCRIPT, "/* report.js */")
        .replace(&sha256_source(STYLE), "sha256-(report.css)")
        .replace(&sha256_source(SCRIPT), "sha256-(report.js)");
    insta::assert_snapshot!(page);
}

#[test]
fn the_same_report_gives_the_same_bytes() {
    let (report, stories) = analyze("fixtures/fleet/site-outage.json");
    assert_eq!(rendered(&report, &stories), rendered(&report, &stories));
}

#[test]
fn the_page_allows_only_its_own_style_and_script() {
    let (report, stories) = analyze("fixtures/insights/hub-incident.json");
    let document = Html::parse_document(&rendered(&report, &stories));
    let csp = select(&document, "meta[http-equiv=\"Content-Security-Policy\"]");
    assert_eq!(csp.len(), 1);
    let policy = csp[0].value().attr("content").expect("a policy");
    assert!(policy.starts_with("default-src 'none'; "), "{policy}");
    assert!(!policy.contains("unsafe"), "{policy}");
    let scripts = select(&document, "script");
    assert_eq!(scripts.len(), 2, "the data and the code");
    assert_eq!(scripts[0].value().attr("type"), Some("application/json"));
    let code = scripts[1].text().collect::<String>();
    assert_eq!(code, SCRIPT);
    assert!(policy.contains(&format!("script-src '{}'", sha256_source(&code))));
    let style = select(&document, "style")[0].text().collect::<String>();
    assert!(policy.contains(&format!("style-src '{}'", sha256_source(&style))));
    assert!(
        select(&document, "[style], link, img, iframe, object, embed").is_empty(),
        "no inline style attributes (the policy would block them), nothing loaded"
    );
}

#[test]
fn the_structure_is_accessible_and_matches_the_data() {
    let (report, stories) = analyze("fixtures/insights/hub-incident.json");
    let document = Html::parse_document(&rendered(&report, &stories));
    assert_eq!(select(&document, "h1").len(), 1);
    assert!(select(&document, "h2").len() >= 5);
    for table in select(&document, "table") {
        let captions = table
            .children()
            .filter_map(scraper::ElementRef::wrap)
            .filter(|child| child.value().name() == "caption")
            .count();
        assert_eq!(captions, 1, "every table has a caption");
    }
    for header in select(&document, "thead th") {
        assert_eq!(header.value().attr("scope"), Some("col"));
    }
    let bodies = select(&document, "#devices > tbody");
    assert_eq!(bodies.len(), report.devices.len().min(DEVICES_LISTED));
    assert_eq!(
        select(&document, "#devices tr.story details svg.timeline").len(),
        stories.len()
    );
    // Every severity badge says its severity in words, not only in colour.
    for badge in select(&document, ".sev") {
        let word = badge.text().collect::<String>();
        assert!(
            ["critical", "high", "medium", "low", "info", "none"].contains(&word.as_str()),
            "{word}"
        );
    }
    let data = select(&document, "script#device-data")[0]
        .text()
        .collect::<String>();
    let data: serde_json::Value = serde_json::from_str(&data).expect("the data is JSON");
    let rows = data["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), bodies.len());
    assert_eq!(rows[0]["id"], report.devices[0].identity());
    // The curve marks the incident, and its buckets carry their values.
    assert!(!select(&document, "#curve-heading ~ figure .incident title").is_empty());
    assert!(select(&document, "rect.hit title").len() >= 10);
    // Every code that occurs is explained once.
    for code in &report.summary.codes {
        assert_eq!(
            select(&document, &format!("#code-{}", code.code)).len(),
            1,
            "{}",
            code.code
        );
    }
}

#[test]
fn a_hostile_device_id_stays_text() {
    let report = samples::hostile();
    let stories: Stories = report
        .devices
        .iter()
        .map(|d| {
            let key = DeviceKey {
                device_id: d.device_id.clone(),
                module_id: d.module_id.clone(),
            };
            (key, Story::default())
        })
        .collect();
    let page = rendered(&report, &stories);
    assert!(!page.contains("<script>&"), "the id is escaped");
    let document = Html::parse_document(&page);
    assert_eq!(select(&document, "script").len(), 2);
    let cell = select(&document, "#devices th.id")[0]
        .text()
        .collect::<String>();
    assert_eq!(
        cell,
        samples::HOSTILE_ID.replace('\n', "\\n"),
        "shown as it is, the newline as an escape"
    );
    let data = select(&document, "script#device-data")[0]
        .text()
        .collect::<String>();
    let data: serde_json::Value = serde_json::from_str(&data).expect("the data is JSON");
    assert_eq!(data["rows"][0]["id"], samples::HOSTILE_ID);
}

#[test]
fn data_that_would_close_its_script_element_is_escaped() {
    let mut report = samples::hostile();
    report.devices[0].device_id = "</script><script>alert(1)</script>".to_string();
    let page = rendered(&report, &Stories::default());
    assert_eq!(page.matches("</script>").count(), 2, "only the page's own");
    assert_eq!(page.matches("<script").count(), 2);
}

/// The worst case of a large fleet: 100,000 identities with ids as long as the page
/// shows, made of characters that escape the longest, and the detailed ones with as
/// many sessions and marks as a story keeps.
#[test]
fn a_huge_fleet_stays_under_twenty_megabytes() {
    let (mut report, _) = analyze("fixtures/insights/hub-incident.json");
    let template = report.devices[0].clone();
    let long = "<".repeat(TEXT_CHARS);
    report.devices = (0..100_000)
        .map(|n| {
            let mut device = template.clone();
            device.device_id = format!("{n}{long}");
            device
        })
        .collect();
    report.summary.devices_shown = 100_000;
    let time = template.first_seen;
    let story = Story {
        sessions: vec![
            Connected {
                from: Some(time),
                to: Some(time),
                ended_by: Some(404_104),
            };
            SESSIONS_KEPT
        ],
        sessions_omitted: 1000,
        marks: vec![
            Mark {
                time,
                code: Some(404_104),
                drop: true,
            };
            MARKS_KEPT
        ],
        marks_omitted: 1000,
    };
    let stories: Stories = report
        .devices
        .iter()
        .take(DEVICES_DETAILED)
        .map(|d| {
            let key = DeviceKey {
                device_id: d.device_id.clone(),
                module_id: None,
            };
            (key, story.clone())
        })
        .collect();
    let page = rendered(&report, &stories);
    assert!(page.len() < 20_000_000, "{} bytes", page.len());
    assert!(page.contains("the other 99000 are counted above"));
}
