//! The code table as a KQL `datatable`, generated from [`rules::CODES`] so that the
//! query and the tool never disagree about a code's name, class, severity or advice.

use super::literal::string;
use crate::rules::{self, CodeInfo, sdk};

/// `let Codes = datatable(...) [...];`: one row per code of the tool's table.
pub fn datatable() -> String {
    let mut out = String::from(
        "let CodeTable = datatable(Code:string, Name:string, Class:string, Severity:string, \
         Cause:string, Resolution:string, Link:string) [\n",
    );
    let rows: Vec<String> = rules::CODES.iter().map(row).collect();
    out.push_str(&rows.join(",\n"));
    out.push_str("\n];\n");
    out
}

/// `let SdkFamilies = datatable(...) [...];`: each SDK family's version prefixes and
/// default keep-alive, generated from [`sdk::FAMILIES`]; `Rank` is the order they are
/// tried in.
pub fn families() -> String {
    let mut out = String::from(
        "let SdkFamilies = datatable(Family:string, Prefix:string, KeepAlive:long, Rank:long) [\n",
    );
    let rows: Vec<String> = sdk::FAMILIES
        .iter()
        .enumerate()
        .flat_map(|(rank, family)| {
            family.prefixes.iter().map(move |prefix| {
                format!(
                    "  {}, {}, {}, {rank}",
                    string(family.name),
                    string(prefix),
                    family.keep_alive_seconds
                )
            })
        })
        .collect();
    out.push_str(&rows.join(",\n"));
    out.push_str("\n];\n");
    out
}

fn row(info: &CodeInfo) -> String {
    format!(
        "  {}, {}, {}, {}, {}, {}, {}",
        string(&info.code.to_string()),
        string(info.name),
        string(info.class.as_str()),
        string(info.severity.as_str()),
        string(info.root_cause),
        string(info.resolution),
        string(info.doc),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_of_the_table_is_a_row() {
        let table = datatable();
        let rows = table.lines().filter(|l| l.starts_with("  \"")).count();
        assert_eq!(rows, rules::CODES.len());
        assert!(table.contains("\"404104\", \"DeviceConnectionClosedRemotely\""));
    }
}
