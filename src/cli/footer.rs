//! What the HTML report's footer says about the run: the version, the command line,
//! when, and the `kql` command line that asks the same where the logs are. Made here,
//! where the command line's flags are known.
//!
//! The time is `SOURCE_DATE_EPOCH` (seconds since 1970, the reproducible-builds
//! convention) when that is set, so that the same logs give the same bytes; an
//! unreadable value leaves the time out rather than guess.

use super::Cli;
use crate::report::html::Footer;
use chrono::{DateTime, Utc};

/// The footer of this process's run.
pub fn html_footer() -> Footer {
    let mut args: Vec<String> = std::env::args().collect();
    // The program's own path says where it was installed, not what was asked.
    if let Some(program) = args.first_mut() {
        *program = "iothub-triage".to_string();
    }
    Footer {
        version: env!("CARGO_PKG_VERSION").to_string(),
        kql: kql_equivalent(&args),
        command_line: args,
        generated: run_time(
            std::env::var("SOURCE_DATE_EPOCH").ok().as_deref(),
            Utc::now(),
        ),
    }
}

fn run_time(source_date_epoch: Option<&str>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match source_date_epoch {
        None => Some(now),
        Some(seconds) => seconds
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|s| DateTime::from_timestamp(s, 0)),
    }
}

/// The `iothub-triage kql` command line with the flags of an `analyze` command line that
/// `kql` takes too (device globs, time window, thresholds); `None` when `args` is not
/// an `analyze` command line.
pub fn kql_equivalent(args: &[String]) -> Option<Vec<String>> {
    let cli = Cli::definition();
    let analyze = cli.find_subcommand("analyze")?;
    let kql = cli.find_subcommand("kql")?;
    let start = args.iter().skip(1).position(|arg| arg == "analyze")? + 2;
    let takes_value = |long: Option<&str>, short: Option<char>| {
        analyze.get_arguments().any(|arg| {
            (long.is_some() && arg.get_long() == long
                || short.is_some() && arg.get_short() == short)
                && arg.get_action().takes_values()
        })
    };
    let mut equivalent = vec!["iothub-triage".to_string(), "kql".to_string()];
    let mut rest = args[start..].iter();
    while let Some(arg) = rest.next() {
        if arg == "--" {
            break;
        }
        let Some(flag) = arg.strip_prefix("--") else {
            // A short flag with its value apart (`-o FILE`), or an input path.
            let mut chars = arg.chars();
            if let (Some('-'), Some(short), None) = (chars.next(), chars.next(), chars.next())
                && takes_value(None, Some(short))
            {
                rest.next();
            }
            continue;
        };
        let (name, inline) = match flag.split_once('=') {
            Some((name, value)) => (name, Some(value.to_string())),
            None => (flag, None),
        };
        let value = match inline {
            Some(value) => Some(value),
            None if takes_value(Some(name), None) => rest.next().cloned(),
            None => None,
        };
        if kql.get_arguments().any(|arg| arg.get_long() == Some(name)) {
            equivalent.push(format!("--{name}"));
            equivalent.extend(value);
        }
    }
    Some(equivalent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn the_kql_equivalent_keeps_the_flags_kql_takes_and_drops_the_rest() {
        let line = args(
            "iothub-triage analyze logs/ --format html -o sarif=r.sarif -j 2 --device pump-* \
             --since=2026-03-02 --flap-rapid-window 5m --strict --top 10 more.json",
        );
        let line: Vec<String> = line.into_iter().filter(|a| !a.is_empty()).collect();
        assert_eq!(
            kql_equivalent(&line).unwrap().join(" "),
            "iothub-triage kql --device pump-* --since 2026-03-02 --flap-rapid-window 5m"
        );
        assert_eq!(kql_equivalent(&args("iothub-triage codes")), None);
    }

    #[test]
    fn the_time_of_the_run_is_source_date_epoch_when_set() {
        let now = DateTime::from_timestamp(2_000_000_000, 0).unwrap();
        assert_eq!(run_time(None, now), Some(now));
        assert_eq!(
            run_time(Some("1772409600"), now),
            DateTime::from_timestamp(1_772_409_600, 0)
        );
        assert_eq!(run_time(Some("yesterday"), now), None);
    }
}
