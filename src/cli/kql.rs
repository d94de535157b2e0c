//! The flags of `kql`: which source, which tier, and the filters and thresholds that
//! `analyze` takes, resolved into [`KqlOptions`].

use super::thresholds::ThresholdArgs;
use super::values::{parse_duration, parse_time, parse_until};
use crate::kql::{KqlOptions, Source};
use chrono::{DateTime, TimeDelta, Utc};
use clap::Args;

#[derive(Debug, Args)]
pub struct KqlArgs {
    /// Where the logs are: `la` (Log Analytics, AzureDiagnostics), `adx:TABLE` (Azure
    /// Data Explorer, records expanded into their raw field names) or `adx-raw:TABLE`
    /// (raw `{"records":[...]}` bodies in a `records` column).
    #[arg(long, value_name = "SOURCE", default_value = "la", value_parser = Source::parse)]
    pub source: Source,

    /// Put each identity's records in order with operators open-source engines lack
    /// (sort, prev, row_number) rather than by sorting lists of them: the same findings,
    /// cheaper on a large workspace.
    #[arg(long)]
    pub full: bool,

    /// Print an Azure Data Explorer stored-function definition (`.create-or-alter
    /// function`) of this name instead of a query.
    #[arg(long, value_name = "NAME", value_parser = function_name)]
    pub function: Option<String>,

    /// Only identities whose id (or device/module) matches this glob. Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub device: Vec<String>,

    /// Only records at or after this time: RFC 3339, a date, or a duration ago (2h).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub since: Option<DateTime<Utc>>,

    /// Only records before this time: RFC 3339, a duration ago (30m), or a date, which
    /// ends with its day (`--since 2026-03-02 --until 2026-03-02` is that day).
    #[arg(long, value_name = "TIME", value_parser = parse_until)]
    pub until: Option<DateTime<Utc>>,

    /// Only records of this last span before the query runs, e.g. 1d (`ago()` in the
    /// query, so a stored function keeps looking at the latest span).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, conflicts_with = "since")]
    pub last: Option<TimeDelta>,

    #[command(flatten)]
    pub thresholds: ThresholdArgs,
}

impl KqlArgs {
    /// # Errors
    ///
    /// `--function` with Log Analytics, which stores functions as saved searches, not
    /// through a command in the query.
    pub fn into_options(self) -> Result<KqlOptions, String> {
        if self.function.is_some() && self.source == Source::LogAnalytics {
            return Err(
                "--function writes an Azure Data Explorer command (--source adx:TABLE or \
                 adx-raw:TABLE); in Log Analytics, save the query itself as a function \
                 (az monitor log-analytics workspace saved-search create --func-alias NAME)"
                    .to_string(),
            );
        }
        Ok(KqlOptions {
            source: self.source,
            full: self.full,
            thresholds: self.thresholds.into_thresholds(),
            devices: self.device,
            since: self.since,
            until: self.until,
            last: self.last,
            function: self.function,
        })
    }
}

fn function_name(text: &str) -> Result<String, String> {
    let mut chars = text.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        Ok(text.to_string())
    } else {
        Err(format!(
            "{text:?} is not a function name (a letter or `_`, then letters, digits, `_`)"
        ))
    }
}
