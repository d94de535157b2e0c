//! Periodic drops: connections that end after about the same time, again and again,
//! without `401003` (that would be token renewal). Something on the path closes them on
//! a timer, and the period names it:
//! - about an hour on a module identity: edgeHub closes idle module connections to the
//!   cloud after `CloudConnectionIdleTimeoutSecs` (3600 s);
//! - 1.5 times the SDK's MQTT keep-alive: the hub closed the connection because no ping
//!   arrived (Node 180 s, Java 230 s, C 240 s, .NET 300 s, Python 60 s);
//! - shorter than the hub's longest idle close (1767 s): a NAT, firewall or proxy idle
//!   timeout shorter than the keep-alive;
//! - longer: a proxy or load balancer with a connection lifetime, or a scheduled job.
//!
//! The connection's length is measured from its connect to its drop; on an export without
//! connects, from the previous drop (a reconnect follows a drop within seconds).

use super::insight::{Evidence, Insight, code_counts, duration_words, sample_times};
use super::thresholds::Thresholds;
use crate::analysis::event::{Event, elapsed};
use crate::model::{InsightKind, Severity};
use crate::rules::sdk::{self, HUB_IDLE_CLOSE_MAX_SECONDS};
use chrono::{DateTime, TimeDelta, Utc};

/// edgeHub's default idle timeout for module connections to the cloud.
pub const EDGE_IDLE_SECONDS: i64 = 3600;

/// Most connections must last about the median: this share of them, in per cent.
pub const STEADY_PERCENT: usize = 75;

/// Shorter connections are flapping, not a timer.
pub const SHORTEST: TimeDelta = TimeDelta::seconds(30);

/// What a device's diagnosis tells this detector.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub connects_logged: bool,
    /// A module identity (IoT Edge, module clients).
    pub module: bool,
    pub sdk_version: Option<&'a str>,
}

/// The insight, and per event whether it explains it.
#[derive(Debug)]
pub struct Periodic {
    pub insight: Option<Insight>,
    pub drops: Vec<bool>,
}

/// `explained` marks the events another insight explains.
pub fn detect(
    events: &[Event],
    explained: &[bool],
    context: Context<'_>,
    t: &Thresholds,
) -> Periodic {
    let mut drops = vec![false; events.len()];
    // Too few drops for a period: most devices.
    let unexplained_drops = events
        .iter()
        .zip(explained)
        .filter(|(e, explained)| !**explained && e.is_drop())
        .count();
    if unexplained_drops < t.periodic_min_drops as usize {
        return Periodic {
            insight: None,
            drops,
        };
    }
    let connections = connections(events, explained, context.connects_logged);
    let insight = insight(events, &connections, context, t);
    if let Some(insight) = &insight {
        let period = TimeDelta::seconds(insight.evidence.period_seconds.unwrap_or(0));
        for &(length, index) in &connections {
            if fits(length, period)
                && let Some(flag) = drops.get_mut(index)
            {
                *flag = true;
            }
        }
    }
    Periodic { insight, drops }
}

/// Each lost connection's length and the index of the drop that ended it.
fn connections(
    events: &[Event],
    explained: &[bool],
    connects_logged: bool,
) -> Vec<(TimeDelta, usize)> {
    let mut found = Vec::new();
    let mut since: Option<DateTime<Utc>> = None;
    let mut last_drop: Option<DateTime<Utc>> = None;
    for (index, event) in events.iter().enumerate() {
        if explained.get(index) == Some(&true) {
            continue;
        }
        if event.is_successful_connect() {
            since.get_or_insert(event.time);
        } else if event.is_drop() {
            let start = if connects_logged { since } else { last_drop };
            if last_drop.is_none_or(|last| elapsed(event.time, last) > TimeDelta::seconds(5))
                && let Some(start) = start
            {
                found.push((elapsed(event.time, start), index));
            }
            since = None;
            last_drop = Some(event.time);
        }
    }
    found
}

fn fits(length: TimeDelta, period: TimeDelta) -> bool {
    (length - period).abs() <= (period / 10).max(TimeDelta::seconds(15))
}

fn insight(
    events: &[Event],
    connections: &[(TimeDelta, usize)],
    context: Context<'_>,
    t: &Thresholds,
) -> Option<Insight> {
    if connections.len() < t.periodic_min_drops as usize {
        return None;
    }
    let mut lengths: Vec<TimeDelta> = connections.iter().map(|(l, _)| *l).collect();
    lengths.sort_unstable();
    let period = *lengths.get(lengths.len() / 2)?;
    if period < SHORTEST {
        return None;
    }
    let steady: Vec<usize> = connections
        .iter()
        .filter(|(length, _)| fits(*length, period))
        .map(|(_, index)| *index)
        .collect();
    if steady.len() < t.periodic_min_drops as usize
        || steady.len() * 100 < connections.len() * STEADY_PERCENT
    {
        return None;
    }
    let drops: Vec<&Event> = steady.iter().filter_map(|&i| events.get(i)).collect();
    // A 401003 among them is the token's clock, which renewal tells.
    if drops.iter().any(|e| e.code == Some(401_003)) {
        return None;
    }
    let seconds = period.num_seconds();
    let family = context.sdk_version.and_then(sdk::family);
    let (cause, action, severity) = cause(seconds, context.module, family);
    let times: Vec<DateTime<Utc>> = drops.iter().map(|e| e.time).collect();
    let (start, end) = (*times.first()?, *times.last()?);
    Some(Insight {
        kind: InsightKind::PeriodicDrop,
        severity,
        summary: format!(
            "Periodic drop: {} connections ended after about {} each ({}): {cause}",
            drops.len(),
            duration_words(TimeDelta::seconds(seconds)),
            code_words(&drops)
        ),
        action,
        start,
        end,
        first_event: drops.first().map(|e| e.sequence),
        location: None,
        evidence: Evidence {
            count: Some(drops.len() as u64),
            codes: code_counts(drops.iter().filter_map(|e| e.code)),
            times: sample_times(&times),
            period_seconds: Some(seconds),
            ..Evidence::default()
        },
    })
}

fn code_words(drops: &[&Event]) -> String {
    let codes = code_counts(drops.iter().filter_map(|e| e.code));
    match codes.first() {
        Some(top) => format!("mostly {}", top.code),
        None => "clean disconnects".to_string(),
    }
}

/// The likely cause of a period, what to do, and how bad it is.
fn cause(
    seconds: i64,
    module: bool,
    family: Option<&sdk::SdkFamily>,
) -> (String, String, Severity) {
    if module && (seconds - EDGE_IDLE_SECONDS).abs() <= EDGE_IDLE_SECONDS / 20 {
        return (
            "edgeHub closes a module's idle cloud connection after an hour \
             (CloudConnectionIdleTimeoutSecs, 3600 s)"
                .to_string(),
            "Expected on IoT Edge when a module is idle; if the reconnects matter, set \
             edgeHub's CloseCloudConnectionOnIdleTimeout to false or raise \
             CloudConnectionIdleTimeoutSecs"
                .to_string(),
            Severity::Low,
        );
    }
    if let Some(family) = family {
        let hub_close = i64::from(family.keep_alive_seconds) * 3 / 2;
        if (seconds - hub_close).abs() <= (hub_close / 10).max(15) {
            return (
                format!(
                    "the hub closed each after 1.5 times the {}'s keep-alive ({} s) without a \
                     ping: the pings do not get through",
                    family.name, family.keep_alive_seconds
                ),
                "Check that the device sends MQTT pings (a blocked thread, a stalled network \
                 stack, a proxy that swallows them) and update the SDK"
                    .to_string(),
                Severity::Medium,
            );
        }
    }
    if seconds <= i64::from(HUB_IDLE_CLOSE_MAX_SECONDS) {
        let keep_alive = family.map_or(String::new(), |f| {
            format!(" (the {} default is {} s)", f.name, f.keep_alive_seconds)
        });
        return (
            format!(
                "a NAT, firewall or proxy idle timeout of about {seconds} s, shorter than the \
                 keep-alive"
            ),
            format!(
                "Set the MQTT keep-alive below {seconds} s{keep_alive}, or raise the idle \
                 timeout of the NAT, firewall or proxy on the device's path"
            ),
            Severity::Medium,
        );
    }
    (
        "something on the path closes it on a timer (a proxy or load balancer with a \
         connection lifetime, a scheduled job)"
            .to_string(),
        "Look for a proxy, load balancer or job on the device's path whose period matches"
            .to_string(),
        Severity::Medium,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::diagnosis::testing::*;

    const FULL: Context<'static> = Context {
        connects_logged: true,
        module: false,
        sdk_version: None,
    };

    /// Connections of `length` seconds (plus a little jitter), each dropped with `code`
    /// and reconnected 3 s later.
    fn cycles(length: i64, count: i64, code: Option<u32>) -> Vec<Event> {
        let mut events = Vec::new();
        let mut time = at("01:00:00");
        for n in 0..count {
            events.push(event(time, Connect, None, None));
            time += TimeDelta::seconds(length + n % 3);
            events.push(event(time, Disconnect, code, None));
            time += TimeDelta::seconds(3);
        }
        timeline(events)
    }

    fn periodic(events: &[Event], context: Context<'_>) -> Option<Insight> {
        detect(
            events,
            &vec![false; events.len()],
            context,
            &Thresholds::default(),
        )
        .insight
    }

    #[test]
    fn drops_every_four_minutes_point_at_an_idle_timeout_on_the_path() {
        let events = cycles(240, 20, Some(404_104));
        let insight = periodic(&events, FULL).expect("periodic");
        assert_eq!(insight.severity, Severity::Medium);
        assert_eq!(insight.evidence.period_seconds, Some(241));
        assert!(
            insight
                .summary
                .contains("NAT, firewall or proxy idle timeout"),
            "{}",
            insight.summary
        );
        // On an errors-only export, the same drops show the same period.
        let errors: Vec<Event> = events.iter().filter(|e| e.is_error()).copied().collect();
        let context = Context {
            connects_logged: false,
            ..FULL
        };
        let insight = periodic(&errors, context).expect("periodic on errors only");
        assert!((insight.evidence.period_seconds.unwrap_or(0) - 244).abs() <= 2);
    }

    #[test]
    fn an_edge_module_dropped_every_hour_is_the_edgehub_idle_timeout() {
        let context = Context {
            module: true,
            ..FULL
        };
        let insight = periodic(&cycles(3600, 6, None), context).expect("periodic");
        assert_eq!(insight.severity, Severity::Low);
        assert!(insight.summary.contains("CloudConnectionIdleTimeoutSecs"));
    }

    #[test]
    fn a_period_of_one_and_a_half_keep_alives_means_the_pings_are_lost() {
        let context = Context {
            sdk_version: Some(".NET/1.42.0"),
            ..FULL
        };
        let insight = periodic(&cycles(450, 8, Some(404_104)), context).expect("periodic");
        assert!(
            insight
                .summary
                .contains("1.5 times the .NET SDK's keep-alive (300 s)"),
            "{}",
            insight.summary
        );
    }

    #[test]
    fn look_alikes_of_a_periodic_drop_are_not_one() {
        let mut irregular = Vec::new();
        let mut time = at("01:00:00");
        for length in [200, 900, 60, 1500, 400, 2400, 90, 700] {
            irregular.push(event(time, Connect, None, None));
            time += TimeDelta::seconds(length);
            irregular.push(event(time, Disconnect, Some(404_104), None));
            time += TimeDelta::seconds(5);
        }
        let cases = [
            ("three are not a period", cycles(240, 3, Some(404_104))),
            (
                "401003 is the token's clock",
                cycles(3600, 6, Some(401_003)),
            ),
            ("irregular lengths", timeline(irregular)),
            (
                "a reconnect loop every few seconds",
                cycles(10, 30, Some(404_104)),
            ),
        ];
        for (case, events) in cases {
            assert_eq!(periodic(&events, FULL), None, "{case}");
        }
    }
}
