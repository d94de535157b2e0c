//! A seeded, deterministic synthetic fleet: realistic `Connections` exports with known
//! scenarios, for tests and benchmarks.
//!
//! [`write_fleet`] deals each device a [`Scenario`], then writes the log hour by hour:
//! every device plays the episodes that start in that hour, the hour's events are
//! sorted by time then device id, rendered, and written. Memory is one hour of events
//! plus a few words per device, so gigabyte files stream. Each device draws from its
//! own random stream (see `rng.rs`), so the output depends only on the spec: the same
//! bytes on every machine and with every dependency version.
//!
//! An errors-only fleet plays exactly the same and leaves out, as it writes, every
//! record that is not of level `Error`. IoT Edge devices log for their module identities
//! too; the truth names those as `device/module`.

mod device;
mod hub;
mod mix;
mod record;
mod rng;
#[cfg(test)]
mod scenario_tests;
mod schedule;
mod shapes;
mod spec;

pub use mix::Mix;
pub use spec::{FleetSpec, Scenario, default_start};

use crate::model::Shape;
use chrono::{DateTime, TimeDelta, Utc};
use device::Profile;
use hub::{HOUR, Hub};
use record::{Event, Renderer, Row};
use rng::Rng;
use schedule::DeviceGen;
use serde::Serialize;
use std::io::{self, BufWriter, Write};

/// What was written: each identity's scenario, the hub incidents, the site outages and
/// reconnect storms, the record count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Truth {
    /// Sorted by id. Module identities of IoT Edge devices are `device/module`
    /// entries with the device's scenario.
    pub devices: Vec<(String, Scenario)>,
    /// From the first to the last victim disconnect of each incident.
    pub incidents: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    /// The site outages (`site_outage` devices): at most one per log.
    pub outages: Vec<OutageTruth>,
    /// The reconnect storms (`reconnect_storm` devices): at most one per log.
    pub storms: Vec<StormTruth>,
    /// Records written: with `errors_only`, the `Error` records only.
    pub records: u64,
    /// Whether only `Error` records were written; the devices and incidents above are
    /// the whole truth either way.
    pub errors_only: bool,
}

/// A site outage as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutageTruth {
    /// The first drop of the sites' devices.
    pub start: DateTime<Utc>,
    /// The last drop of the sites' devices.
    pub end: DateTime<Utc>,
    /// The identities that dropped.
    pub identities: u32,
    /// Of them, those that never came back.
    pub never_back: u32,
    /// The masked address ranges that went down.
    pub ranges: Vec<&'static str>,
}

/// A reconnect storm as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StormTruth {
    /// The first drop of the mass disconnect that set it off.
    pub start: DateTime<Utc>,
    /// The last drop of that mass disconnect.
    pub end: DateTime<Utc>,
    /// The identities that dropped, then were refused until they got in.
    pub identities: u32,
    /// The last connect the hub refused (429001 or 403002).
    pub throttled_until: Option<DateTime<Utc>>,
}

/// Writes the fleet `spec` describes to `out` in `shape`, and says what it wrote.
pub fn write_fleet(spec: &FleetSpec, shape: Shape, out: &mut dyn Write) -> io::Result<Truth> {
    let mut fleet = Fleet::new(spec)?;
    let mut out = BufWriter::with_capacity(1 << 16, out);
    let records = shapes::write(shape, &mut |sink| fleet.run(sink), &mut out)?;
    out.flush()?;
    Ok(fleet.truth(records))
}

struct Fleet {
    start: DateTime<Utc>,
    hours: u32,
    profiles: Vec<Profile>,
    scenarios: Vec<Scenario>,
    devices: Vec<DeviceGen>,
    hub: Hub,
    /// Each device's position in id order, to sort events without comparing strings.
    rank: Vec<u32>,
    errors_only: bool,
}

impl Fleet {
    fn new(spec: &FleetSpec) -> io::Result<Fleet> {
        let too_many = || io::Error::new(io::ErrorKind::InvalidInput, "too many devices");
        u32::try_from(spec.devices).map_err(|_| too_many())?;
        // Whole seconds, as the hub logs them.
        let start =
            spec.start - TimeDelta::nanoseconds(i64::from(spec.start.timestamp_subsec_nanos()));
        // The hub's stream is numbered past every device's.
        let mut hub_rng = Rng::stream(spec.seed, u64::MAX);
        let scenarios = spec::deal(spec, &mut hub_rng);
        let mut hub = Hub::new(
            i64::from(spec.hours) * HOUR,
            spec.has_incidents(),
            &mut hub_rng,
        );
        // The fleet-level events draw from a stream of their own, numbered just below
        // the hub's, so that fleets without them keep every number they had.
        hub.plan_fleet_events(&scenarios, &mut Rng::stream(spec.seed, u64::MAX - 1));
        let sites = hub.outage.as_ref().map_or(Vec::new(), |o| o.sites.clone());
        let mut profiles = Vec::with_capacity(spec.devices);
        let mut devices = Vec::with_capacity(spec.devices);
        for (index, &scenario) in scenarios.iter().enumerate() {
            let mut rng = Rng::stream(spec.seed, index as u64);
            let profile = Profile::new(index, scenario, &mut rng, &sites);
            let device = u32::try_from(index).map_err(|_| too_many())?;
            devices.push(DeviceGen::new(device, &profile, scenario, rng, &hub));
            profiles.push(profile);
        }
        let mut by_id: Vec<usize> = (0..profiles.len()).collect();
        by_id.sort_by(|a, b| profiles[*a].id.cmp(&profiles[*b].id));
        let mut rank = vec![0u32; profiles.len()];
        for (position, index) in by_id.into_iter().enumerate() {
            rank[index] = u32::try_from(position).map_err(|_| too_many())?;
        }
        Ok(Fleet {
            start,
            hours: spec.hours,
            profiles,
            scenarios,
            devices,
            hub,
            rank,
            errors_only: spec.errors_only,
        })
    }

    /// Generates and renders the log hour by hour, handing each row to `sink`.
    fn run(&mut self, sink: &mut dyn FnMut(&Row<'_>) -> io::Result<()>) -> io::Result<u64> {
        let mut renderer = Renderer::new(self.start);
        let mut hour_events: Vec<Event> = Vec::new();
        let mut records = 0;
        for hour in 0..i64::from(self.hours) {
            let until = (hour + 1) * HOUR;
            hour_events.clear();
            for device in &mut self.devices {
                device.advance(until, &mut self.hub);
                device.drain_before(until, &mut hour_events);
            }
            // Stable: a device's events in the same second keep the order they happened in.
            let rank = &self.rank;
            hour_events.sort_by_key(|e| (e.at, rank[e.device as usize]));
            for event in &hour_events {
                // Only disconnects with a code and refused connects are logged at level Error.
                if self.errors_only && !event.kind.is_error() {
                    continue;
                }
                let row = renderer.render(event, &self.profiles[event.device as usize])?;
                sink(&row)?;
                records += 1;
            }
        }
        Ok(records)
    }

    fn truth(&self, records: u64) -> Truth {
        let mut devices: Vec<(String, Scenario)> = Vec::with_capacity(self.profiles.len());
        for (profile, scenario) in self.profiles.iter().zip(&self.scenarios) {
            devices.push((profile.id.clone(), *scenario));
            for module in profile.modules {
                devices.push((format!("{}/{module}", profile.id), *scenario));
            }
        }
        devices.sort_unstable();
        let at = |seconds: i64| self.start + TimeDelta::seconds(seconds);
        Truth {
            devices,
            incidents: (self.hub.incidents.iter().zip(&self.hub.spans))
                .filter_map(|(_, span)| span.map(|(first, last)| (at(first), at(last))))
                .collect(),
            outages: (self.hub.outage.iter())
                .filter_map(|o| {
                    let (first, last) = o.span?;
                    Some(OutageTruth {
                        start: at(first),
                        end: at(last),
                        identities: o.dropped,
                        never_back: o.never_back.len() as u32,
                        ranges: o.sites.clone(),
                    })
                })
                .collect(),
            storms: (self.hub.storm.iter())
                .filter_map(|s| {
                    let (first, last) = s.span?;
                    Some(StormTruth {
                        start: at(first),
                        end: at(last),
                        identities: s.dropped,
                        throttled_until: s.throttled_until.map(at),
                    })
                })
                .collect(),
            records,
            errors_only: self.errors_only,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(spec: &FleetSpec, shape: Shape) -> (Vec<u8>, Truth) {
        let mut out = Vec::new();
        match write_fleet(spec, shape, &mut out) {
            Ok(truth) => (out, truth),
            Err(err) => panic!("{shape:?}: {err}"),
        }
    }

    fn text(bytes: &[u8]) -> &str {
        std::str::from_utf8(bytes).unwrap_or_default()
    }

    /// FNV-1a, 64 bits: a fingerprint of generated bytes that needs no dependency.
    fn fingerprint(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
            (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
        })
    }

    /// The default mix is what existing tests and benchmark figures were made with: its
    /// output must not move when scenarios or options are added.
    #[test]
    fn the_default_mix_writes_the_same_bytes_as_before() {
        let cases = [
            (
                FleetSpec::new(7, 300, 24),
                Shape::JsonLines,
                8_036_832,
                0x6221_a6f6_2223_8a1d,
            ),
            (
                FleetSpec::new(9, 25, 3),
                Shape::Csv,
                113_678,
                0xbb0b_4c61_abef_20f5,
            ),
            (
                FleetSpec::new(3, 60, 6),
                Shape::AzCli,
                864_181,
                0xcde2_65c2_2200_5a94,
            ),
            (
                FleetSpec::new(42, 1000, 2),
                Shape::Records,
                2_678_270,
                0x2db3_d3f0_1f62_b8c6,
            ),
        ];
        for (spec, shape, length, hash) in cases {
            let (bytes, _) = written(&spec, shape);
            assert_eq!(
                (bytes.len(), fingerprint(&bytes)),
                (length, hash),
                "{spec:?} {shape:?}"
            );
        }
    }

    #[test]
    fn the_same_spec_gives_the_same_bytes_and_another_seed_does_not() {
        let spec = FleetSpec::new(42, 40, 6);
        let (first, _) = written(&spec, Shape::JsonLines);
        let (second, _) = written(&spec, Shape::JsonLines);
        assert!(!first.is_empty());
        assert_eq!(first, second);
        let (other, _) = written(&FleetSpec::new(43, 40, 6), Shape::JsonLines);
        assert_ne!(first, other);
    }

    #[test]
    fn a_sixty_device_day_has_every_scenario_of_the_mix_and_counts_its_lines() {
        let (bytes, truth) = written(&FleetSpec::new(7, 60, 24), Shape::JsonLines);
        let mix = Mix::default();
        for scenario in Scenario::ALL.into_iter().filter(|s| mix.share(*s) > 0) {
            assert!(
                truth.devices.iter().any(|(_, s)| *s == scenario),
                "{scenario:?}"
            );
        }
        assert_eq!(truth.devices.len(), 60);
        assert!(truth.devices.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(truth.records, text(&bytes).lines().count() as u64);
        assert_eq!(truth.incidents.len(), 1);
        let (from, to) = truth.incidents[0];
        assert!(from <= to && to - from <= TimeDelta::minutes(3));
    }

    #[test]
    fn lines_are_records_with_a_properties_document_in_time_order() {
        let (bytes, _) = written(&FleetSpec::new(1, 30, 4), Shape::JsonLines);
        let mut last_time = String::new();
        for line in text(&bytes).lines() {
            let record: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
            assert_eq!(record["category"], "Connections", "{line}");
            let time = record["time"].as_str().unwrap_or_default().to_string();
            assert!(time.ends_with('Z') && time >= last_time, "{line}");
            last_time = time;
            let properties = record["properties"].as_str().unwrap_or_default();
            let properties: serde_json::Value =
                serde_json::from_str(properties).unwrap_or_default();
            assert!(properties["deviceId"].is_string(), "{line}");
        }
    }

    #[test]
    fn every_shape_is_written_and_json_shapes_parse_whole() {
        let spec = FleetSpec::new(9, 25, 3);
        let (lines, expected) = written(&spec, Shape::JsonLines);
        assert!(expected.records > 0);
        assert_eq!(text(&lines).lines().count() as u64, expected.records);
        for shape in [
            Shape::Records,
            Shape::JsonArray,
            Shape::Tables,
            Shape::AzCli,
        ] {
            let (bytes, truth) = written(&spec, shape);
            assert_eq!(truth, expected, "{shape:?}");
            let records = match shape {
                Shape::Records => text(&bytes)
                    .lines()
                    .map(|body| {
                        serde_json::from_str::<serde_json::Value>(body)
                            .map(|v| v["records"].clone())
                    })
                    .map(|records| records.map(|r| r.as_array().map_or(0, Vec::len)))
                    .sum::<Result<usize, _>>(),
                Shape::Tables => serde_json::from_slice::<serde_json::Value>(&bytes)
                    .map(|v| v["tables"][0]["rows"].as_array().map_or(0, Vec::len)),
                _ => serde_json::from_slice::<Vec<serde_json::Value>>(&bytes).map(|v| v.len()),
            };
            assert_eq!(
                records.map_err(|e| e.to_string()),
                Ok(expected.records as usize),
                "{shape:?}"
            );
        }
        let (bytes, _) = written(&spec, Shape::Csv);
        let mut reader =
            csv::Reader::from_reader(bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes));
        let header = reader
            .headers()
            .map(|h| h.get(1).unwrap_or_default().to_string());
        assert_eq!(
            header.map_err(|e| e.to_string()),
            Ok("TimeGenerated [UTC]".to_string())
        );
        assert_eq!(reader.records().flatten().count() as u64, expected.records);
    }

    #[test]
    fn az_cli_values_are_all_strings_and_table_name_comes_first() {
        let (bytes, _) = written(&FleetSpec::new(2, 3, 2), Shape::AzCli);
        let body = text(&bytes);
        assert!(
            body.starts_with("[\n  {\n    \"TableName\": \"PrimaryResult\",\n    \"TenantId\"")
        );
        assert!(body.contains("\"DurationMs\": \"None\""));
        let rows: Vec<serde_json::Map<String, serde_json::Value>> =
            serde_json::from_slice(&bytes).unwrap_or_default();
        assert!(!rows.is_empty());
        assert!(
            rows.iter()
                .all(|row| row.values().all(serde_json::Value::is_string))
        );
    }

    #[test]
    fn an_empty_fleet_still_writes_valid_documents() {
        for shape in [Shape::JsonArray, Shape::Tables, Shape::AzCli] {
            let (bytes, truth) = written(&FleetSpec::new(1, 0, 24), shape);
            assert_eq!(truth.records, 0);
            assert!(
                serde_json::from_slice::<serde_json::Value>(&bytes).is_ok(),
                "{shape:?}"
            );
        }
    }
}
