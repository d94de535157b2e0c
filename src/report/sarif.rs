//! `--format sarif`: SARIF 2.1.0, for GitHub code scanning and other static-analysis
//! dashboards. One run; one rule per distinct finding rule (a code's explanation from
//! the code table, or a fixed text per insight kind); one result per finding, most
//! severe first, at most [`MAX_RESULTS`] (GitHub keeps no more per run; a cut run says so
//! in `properties`).
//!
//! Locations: a finding's input is the artifact, as given on the command line,
//! percent-encoded as a relative URI. Line-oriented inputs give `region.startLine`;
//! document inputs (records, arrays, tables) only have a record number, which is no line,
//! so the region is left out and the record goes in the location's `properties.record`.
//! Fleet findings have no location of their own, but code scanning rejects results
//! without one, so they point at the first input, without a region.

use super::RenderOptions;
use crate::analysis::report::Report;
use crate::escape::uri_path;
use crate::model::{Finding, Location, Rule, Severity};
use crate::rules;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Results per run, at most.
pub const MAX_RESULTS: usize = 5000;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The key of [`Finding::fingerprint`] in `partialFingerprints`; the version changes if
/// the fingerprint's recipe ever does.
const FINGERPRINT_KEY: &str = "iothubTriage/v1";

pub fn render(report: &Report, _options: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &sarif(report))?;
    writeln!(out)
}

fn sarif(report: &Report) -> Value {
    let shown = capped(&report.findings);
    let mut rule_ids: BTreeMap<&Rule, usize> = BTreeMap::new();
    for finding in shown {
        rule_ids.insert(&finding.rule, 0);
    }
    for (index, slot) in rule_ids.values_mut().enumerate() {
        *slot = index;
    }
    let rules: Vec<Value> = rule_ids.keys().map(|id| rule(id)).collect();
    let fallback = report.inputs.first().map(|input| input.source.as_str());
    let results: Vec<Value> = shown
        .iter()
        .map(|finding| {
            let index = rule_ids.get(&finding.rule).copied().unwrap_or(0);
            result(finding, index, fallback)
        })
        .collect();

    let mut run = json!({
        "tool": {
            "driver": {
                "name": "iothub-triage",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }
        },
        "results": results,
    });
    if shown.len() < report.findings.len() {
        run["properties"] = json!({
            "truncated": true,
            "findingsTotal": report.findings.len(),
            "resultsShown": shown.len(),
        });
    }
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [run],
    })
}

/// The findings that become results: the most severe first, as the list is sorted.
fn capped(findings: &[Finding]) -> &[Finding] {
    &findings[..findings.len().min(MAX_RESULTS)]
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// A rule's description: from the code table for a code (the bare id for a code it does
/// not know), from the kind's texts for an insight.
fn rule(rule: &Rule) -> Value {
    let id = rule.to_string();
    match rule {
        Rule::Code(code) => match rules::explain(code) {
            Some(explained) => {
                let info = explained.info;
                let mut described = json!({
                    "id": id,
                    "name": info.name,
                    "shortDescription": { "text": format!("{code} {}", info.name) },
                    "fullDescription": { "text": info.root_cause },
                    "help": { "text": info.resolution },
                    "defaultConfiguration": { "level": level(info.severity) },
                    "properties": { "tags": ["iot-hub", info.class.as_str()] },
                });
                if !info.doc.is_empty() {
                    described["helpUri"] = json!(info.doc);
                }
                described
            }
            None => json!({ "id": id, "shortDescription": { "text": id } }),
        },
        Rule::Insight(kind) => {
            let text = kind.text();
            json!({
                "id": id,
                "name": text.name,
                "shortDescription": { "text": text.title },
                "help": { "text": text.help },
                "properties": { "tags": ["iot-hub", "insight"] },
            })
        }
    }
}

fn result(finding: &Finding, rule_index: usize, fallback: Option<&str>) -> Value {
    let mut properties = Map::new();
    properties.insert("severity".into(), json!(finding.severity));
    if let Some(device) = &finding.device {
        properties.insert("device".into(), json!(device));
    }
    let mut result = json!({
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": level(finding.severity),
        "message": { "text": message(finding) },
        "partialFingerprints": { FINGERPRINT_KEY: finding.fingerprint },
        "properties": properties,
    });
    let location = match (&finding.location, fallback) {
        (Some(location), _) => Some(physical(location)),
        (None, Some(source)) => Some(json!({
            "physicalLocation": { "artifactLocation": { "uri": uri_path(source) } }
        })),
        (None, None) => None,
    };
    if let Some(location) = location {
        result["locations"] = json!([location]);
    }
    result
}

/// The title and what to do, as sentences: code titles end with a full stop, insight
/// titles do not.
fn message(finding: &Finding) -> String {
    let stop = if finding.title.ends_with('.') {
        ""
    } else {
        "."
    };
    format!("{}{stop} {}", finding.title, finding.action)
}

fn physical(location: &Location) -> Value {
    let mut physical = json!({ "artifactLocation": { "uri": uri_path(&location.source) } });
    // SARIF lines start at 1.
    if let Some(line) = location.line.filter(|&line| line >= 1) {
        physical["region"] = json!({ "startLine": line });
    }
    let mut value = json!({ "physicalLocation": physical });
    if let Some(record) = location.record {
        value["properties"] = json!({ "record": record });
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::samples;

    fn rendered(report: &Report) -> String {
        samples::rendered(render, report, &RenderOptions::default())
    }

    /// The output with the crate version replaced, so releases do not churn snapshots.
    fn snapshot_text(report: &Report) -> String {
        rendered(report).replace(
            &format!(r#""version": "{}""#, env!("CARGO_PKG_VERSION")),
            r#""version": "[version]""#,
        )
    }

    fn parsed(report: &Report) -> Value {
        serde_json::from_str(&rendered(report)).expect("the output is JSON")
    }

    #[test]
    fn snapshot_pt1h() {
        let report = samples::analyze("fixtures/shapes/PT1H.json");
        insta::assert_snapshot!(snapshot_text(&report));
    }

    #[test]
    fn snapshot_hub_incident() {
        let report = samples::analyze("fixtures/insights/hub-incident.json");
        insta::assert_snapshot!(snapshot_text(&report));
    }

    #[test]
    fn every_result_names_a_rule_of_the_run_and_has_a_location() {
        let report = samples::analyze("fixtures/insights/hub-incident.json");
        let sarif = parsed(&report);
        assert_eq!(sarif["version"], "2.1.0");
        let run = &sarif["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
        let results = run["results"].as_array().expect("results");
        assert_eq!(results.len(), report.findings.len());
        for result in results {
            let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
            assert_eq!(rules[index]["id"], result["ruleId"]);
            assert!(
                result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].is_string(),
                "code scanning needs a location: {result}"
            );
        }
        assert_eq!(run["properties"], Value::Null, "not truncated");
    }

    #[test]
    fn record_numbered_inputs_have_no_region_but_keep_the_record() {
        let location = Location {
            source: "exports/records.json".into(),
            line: None,
            record: Some(7),
        };
        let value = physical(&location);
        assert_eq!(value["physicalLocation"]["region"], Value::Null);
        assert_eq!(value["properties"]["record"], 7);
        let lined = physical(&Location {
            line: Some(3),
            record: None,
            ..location
        });
        assert_eq!(lined["physicalLocation"]["region"]["startLine"], 3);
    }

    #[test]
    fn every_insight_kind_and_table_code_gives_a_described_rule() {
        for kind in crate::model::InsightKind::ALL {
            let rule = rule(&Rule::Insight(kind));
            assert_eq!(rule["name"], kind.as_str());
            assert!(rule["help"]["text"].is_string());
        }
        let rule = rule(&Rule::Code("404104".into()));
        assert_eq!(rule["name"], "DeviceConnectionClosedRemotely");
        assert!(
            rule["helpUri"]
                .as_str()
                .is_some_and(|u| u.starts_with("https://"))
        );
    }

    #[test]
    fn results_are_capped_with_the_most_severe_kept() {
        let mut report = samples::analyze("fixtures/shapes/PT1H.json");
        let mut template = report.findings.clone();
        template.truncate(6);
        assert!(template.len() >= 2, "the sample has findings to repeat");
        let last = template.len() - 1;
        for (n, finding) in template.iter_mut().enumerate() {
            finding.severity = if n == last {
                Severity::Info
            } else {
                Severity::High
            };
        }
        let infos = (MAX_RESULTS + 1000) / template.len();
        report.findings = (0..MAX_RESULTS + 1000)
            .map(|n| {
                let mut finding = template[n % template.len()].clone();
                finding.fingerprint = format!("{n:016x}");
                finding
            })
            .collect();
        report
            .findings
            .sort_by_key(|f| std::cmp::Reverse(f.severity));
        let sarif = parsed(&report);
        let run = &sarif["runs"][0];
        let results = run["results"].as_array().expect("results");
        assert_eq!(results.len(), MAX_RESULTS);
        assert_eq!(run["properties"]["truncated"], true);
        assert_eq!(run["properties"]["findingsTotal"], MAX_RESULTS + 1000);
        assert_eq!(run["properties"]["resultsShown"], MAX_RESULTS);
        // The info findings go first when the list is cut.
        let notes = results.iter().filter(|r| r["level"] == "note").count();
        assert_eq!(notes, infos.saturating_sub(1000));
        assert_eq!(results[0]["level"], "error");
    }

    #[test]
    fn a_hostile_device_id_stays_inside_its_json_strings() {
        let report = samples::hostile();
        let sarif = parsed(&report);
        let result = &sarif["runs"][0]["results"][0];
        assert_eq!(result["properties"]["device"], samples::HOSTILE_ID);
        assert!(
            result["message"]["text"]
                .as_str()
                .is_some_and(|text| text.starts_with(samples::HOSTILE_ID))
        );
        assert_eq!(
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "logs/hostile.json"
        );
    }
}
