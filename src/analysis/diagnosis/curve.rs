//! The connected-devices curve rebuilt from the log, like the portal's "Connected
//! devices" metric: a device is connected from a successful connect until its next drop.
//! A device whose first connect or drop is a disconnect was connected before the log
//! started, so it counts from the start of the log (a refused connect first does not:
//! the device was trying to get in). All state changes are sorted once and swept.
//!
//! A drop on the curve: a run of consecutive "falling" buckets, where a bucket falls when
//! it ends lower than the previous one ended, or dips inside itself by the drop size
//! (devices that fell and came back within one bucket). The run is a drop when its lowest
//! point is at least 3 devices and at least 10 % below the count before the run. A slow
//! decline over many consecutive buckets therefore reads as one long drop.

use super::insight::serialize_time;
use crate::analysis::event::Event;
use crate::model::Operation;
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

/// Smallest fall, in devices, that makes a drop.
const DROP_DEVICES: u64 = 3;
/// Smallest fall, in percent of the count before it, that makes a drop.
const DROP_PERCENT: u64 = 10;

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Curve {
    /// Chronological, one per bucket.
    pub points: Vec<CurvePoint>,
    /// Chronological.
    pub drops: Vec<CurveDrop>,
    /// The fleet's hub incidents and mass disconnects, to mark on the curve;
    /// chronological.
    pub marks: Vec<CurveMark>,
    /// The hub's own `connectedDeviceCount` metric, when it was given as an input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric: Option<crate::analysis::metric::Metric>,
}

/// A fleet event over the curve's span.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurveMark {
    pub kind: crate::model::InsightKind,
    #[serde(serialize_with = "serialize_time")]
    pub start: DateTime<Utc>,
    #[serde(serialize_with = "serialize_time")]
    pub end: DateTime<Utc>,
    /// Identities hit.
    pub devices: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurvePoint {
    /// Start of the bucket.
    #[serde(serialize_with = "serialize_time")]
    pub time: DateTime<Utc>,
    /// Connected devices at the end of the bucket.
    pub connected: u64,
    /// Lowest and highest count within the bucket, its starting value included.
    pub min: u64,
    pub max: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurveDrop {
    #[serde(serialize_with = "serialize_time")]
    pub start: DateTime<Utc>,
    #[serde(serialize_with = "serialize_time")]
    pub end: DateTime<Utc>,
    /// Connected devices before the drop.
    pub from: u64,
    /// Lowest count during it.
    pub to: u64,
}

/// One connect or drop that changes a device's state, as one number that sorts as the
/// changes are ordered: its time (seconds since the log's start, then nanoseconds, up
/// to 2 for a leap second), then its arrival, then whether the device connects. Sorting
/// numbers, not tuples of times, is most of what makes the curve cheap on a large fleet.
type Change = u128;

fn change(time: DateTime<Utc>, start: DateTime<Utc>, sequence: u32, connects: bool) -> Change {
    // Times are at or after the log's start, and at most ten thousand years later (39
    // bits of seconds); nanoseconds take 31 bits, arrivals 32.
    let seconds = u128::try_from(time.timestamp() - start.timestamp()).unwrap_or(0);
    let nanoseconds = u128::from(time.timestamp_subsec_nanos());
    (seconds << 64) | (nanoseconds << 33) | (u128::from(sequence) << 1) | u128::from(connects)
}

fn connects(change: Change) -> bool {
    change & 1 == 1
}

/// Rebuilds the curve over `[first event, last event]` in at most `buckets` equal
/// buckets of at least 1 s. Each device's events are sorted by [`Event::order_key`].
pub fn connected_curve(devices: &[&[Event]], buckets: usize) -> Curve {
    let first = devices
        .iter()
        .filter_map(|e| e.first())
        .map(|e| e.time)
        .min();
    let last = devices
        .iter()
        .filter_map(|e| e.last())
        .map(|e| e.time)
        .max();
    let (Some(start), Some(end)) = (first, last) else {
        return Curve::default();
    };

    let span = (end - start).num_milliseconds().max(0);
    let requested = i64::try_from(buckets.max(1)).unwrap_or(i64::MAX);
    let seconds = ceil_div(span, requested.saturating_mul(1000)).max(1);
    let length = TimeDelta::seconds(seconds);
    let count = usize::try_from(ceil_div(span, seconds * 1000))
        .unwrap_or(1)
        .max(1);
    // The bucket of a time; the log's last event lands at the very end, and the last
    // bucket takes it.
    let bucket_of = |time: DateTime<Utc>| {
        let index = (time - start).num_milliseconds().max(0) / (seconds * 1000);
        usize::try_from(index).unwrap_or(usize::MAX).min(count - 1)
    };

    // State changes are counted per bucket first, then written once each where they
    // stay, bucket after bucket: no list grows and moves, and only a bucket's own need
    // sorting, in cache.
    let mut starts = vec![0usize; count + 1];
    let initial = state_changes(devices, |time, _, _| starts[bucket_of(time) + 1] += 1);
    for bucket in 1..=count {
        starts[bucket] += starts[bucket - 1];
    }
    // Zeros: fresh memory the system already zeroed, touched once, when written.
    let mut changes: Vec<Change> = vec![0; starts[count]];
    let mut next = starts.clone();
    state_changes(devices, |time, sequence, connects| {
        let slot = &mut next[bucket_of(time)];
        changes[*slot] = change(time, start, sequence, connects);
        *slot += 1;
    });
    for bucket in starts.windows(2) {
        // Arrivals are unique, so no two changes are equal: an unstable sort gives the
        // one order.
        changes[bucket[0]..bucket[1]].sort_unstable();
    }
    let buckets = starts
        .windows(2)
        .map(|bucket| &changes[bucket[0]..bucket[1]]);
    let points = sweep(initial, buckets, start, length);
    let drops = drops(initial, &points, length, end);
    Curve {
        points,
        drops,
        marks: Vec::new(),
        metric: None,
    }
}

/// Calls `visit` with the time, arrival and direction (true: connects) of every connect
/// or drop that changes a device's state, device after device; returns how many devices
/// were connected when the log started.
fn state_changes(devices: &[&[Event]], mut visit: impl FnMut(DateTime<Utc>, u32, bool)) -> u64 {
    let mut initial = 0u64;
    for events in devices {
        // Unknown until the device's first connect or drop.
        let mut connected: Option<bool> = None;
        for event in *events {
            let connects = if event.is_successful_connect() {
                true
            } else if event.is_drop() {
                false
            } else {
                continue;
            };
            // A disconnect first: connected before the log. A refused connect first says
            // the opposite, so only a disconnect counts from the start.
            let was = connected.unwrap_or_else(|| {
                let before = event.operation == Operation::Disconnect;
                initial += u64::from(before);
                before
            });
            if was != connects {
                visit(event.time, event.sequence, connects);
            }
            connected = Some(connects);
        }
    }
    initial
}

/// The count at the end of each bucket, and its lowest and highest within the bucket,
/// from the changes of each bucket in order.
fn sweep<'a>(
    initial: u64,
    buckets: impl ExactSizeIterator<Item = &'a [Change]>,
    start: DateTime<Utc>,
    length: TimeDelta,
) -> Vec<CurvePoint> {
    let mut current = initial;
    let mut points = Vec::with_capacity(buckets.len());
    let mut bucket_start = start;
    for changes in buckets {
        let (mut min, mut max) = (current, current);
        for &change in changes {
            current = if connects(change) {
                current + 1
            } else {
                current.saturating_sub(1)
            };
            min = min.min(current);
            max = max.max(current);
        }
        points.push(CurvePoint {
            time: bucket_start,
            connected: current,
            min,
            max,
        });
        bucket_start += length;
    }
    points
}

fn is_drop(from: u64, to: u64) -> bool {
    let fall = from.saturating_sub(to);
    fall >= DROP_DEVICES && fall * 100 >= from * DROP_PERCENT
}

fn drops(
    initial: u64,
    points: &[CurvePoint],
    length: TimeDelta,
    end: DateTime<Utc>,
) -> Vec<CurveDrop> {
    let mut found = Vec::new();
    let mut previous = initial;
    let mut run: Option<CurveDrop> = None;
    for point in points {
        let falling = point.connected < previous || is_drop(previous, point.min);
        if falling {
            let bucket_end = (point.time + length).min(end);
            let current = run.get_or_insert(CurveDrop {
                start: point.time,
                end: bucket_end,
                from: previous,
                to: point.min,
            });
            current.end = bucket_end;
            current.to = current.to.min(point.min);
        } else if let Some(done) = run.take() {
            found.extend(Some(done).filter(|d| is_drop(d.from, d.to)));
        }
        previous = point.connected;
    }
    found.extend(run.filter(|d| is_drop(d.from, d.to)));
    found
}

/// `a / b` rounded up, for `a >= 0` and `b > 0`.
fn ceil_div(a: i64, b: i64) -> i64 {
    a / b + i64::from(a % b != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::diagnosis::testing::*;

    fn curve(devices: &[Vec<Event>], buckets: usize) -> Curve {
        let view: Vec<&[Event]> = devices.iter().map(Vec::as_slice).collect();
        connected_curve(&view, buckets)
    }

    fn connected(curve: &Curve) -> Vec<(u64, u64, u64)> {
        curve
            .points
            .iter()
            .map(|p| (p.connected, p.min, p.max))
            .collect()
    }

    #[test]
    fn changes_sort_as_their_times_then_arrivals() {
        let time = |text: &str| {
            DateTime::parse_from_rfc3339(text)
                .expect("test time")
                .with_timezone(&Utc)
        };
        let start = time("0001-01-01T00:00:00Z");
        let moments = [
            (time("0001-01-01T00:00:00Z"), 7),
            (time("2026-03-02T09:00:00.0000001Z"), 1),
            (time("2026-03-02T09:00:00.0000001Z"), 2),
            (time("2026-03-02T09:00:00.5Z"), 0),
            // A leap second sorts after the second it extends, before the next one.
            (time("2026-12-31T23:59:59Z"), 9),
            (time("2026-12-31T23:59:60.5Z"), 3),
            (time("2027-01-01T00:00:00Z"), 4),
            (time("9999-12-31T23:59:59.999999999Z"), u32::MAX),
        ];
        let mut expected = moments.to_vec();
        expected.sort();
        let mut changes: Vec<Change> = moments
            .iter()
            .enumerate()
            .map(|(n, &(at, sequence))| change(at, start, sequence, n % 2 == 0))
            .collect();
        changes.sort_unstable();
        let sorted: Vec<(DateTime<Utc>, u32)> = changes
            .iter()
            .map(|&c| {
                let (at, sequence) = moments
                    .iter()
                    .copied()
                    .find(|&(at, sequence)| c >> 1 == change(at, start, sequence, false) >> 1)
                    .expect("a change of the moments");
                (at, sequence)
            })
            .collect();
        assert_eq!(sorted, expected);
        assert!(connects(change(start, start, 0, true)));
        assert!(!connects(change(start, start, u32::MAX, false)));
    }

    #[test]
    fn no_events_make_an_empty_curve() {
        assert_eq!(curve(&[], 10), Curve::default());
        assert_eq!(curve(&[vec![]], 10), Curve::default());
    }

    #[test]
    fn the_curve_follows_connects_and_drops_per_bucket() {
        let devices = [
            timeline(vec![
                ev("09:00:00", Connect, None, None),
                ev("09:05:30", Disconnect, Some(404_104), None),
            ]),
            timeline(vec![ev("09:01:30", Connect, None, None)]),
            // A drop first: connected before the log started.
            timeline(vec![
                ev("09:03:00", Disconnect, Some(404_104), None),
                ev("09:09:00", Connect, None, None),
                ev("09:10:00", Connect, None, None),
            ]),
        ];
        let curve = curve(&devices, 10);
        let times: Vec<_> = curve.points.iter().map(|p| p.time).collect();
        assert_eq!(times.first(), Some(&at("09:00:00")));
        assert_eq!(times.last(), Some(&at("09:09:00")));
        assert_eq!(
            connected(&curve),
            [
                (2, 1, 2),
                (3, 2, 3),
                (3, 3, 3),
                (2, 2, 3),
                (2, 2, 2),
                (1, 1, 2),
                (1, 1, 1),
                (1, 1, 1),
                (1, 1, 1),
                // A second connect without a disconnect does not count twice.
                (2, 1, 2),
            ]
        );
        assert_eq!(curve.drops, []);
    }

    #[test]
    fn only_a_disconnect_first_counts_the_device_connected_from_the_start() {
        let cases = [
            (Disconnect, Some(404_104), 1),
            (Connect, Some(401_003), 0),
            (Connect, None, 0),
        ];
        for (operation, code, before) in cases {
            let devices = [
                // Another device opens the log an hour earlier, without a state of its own.
                vec![ev("08:00:00", crate::model::Operation::Other, None, None)],
                timeline(vec![
                    ev("09:00:00", operation, code, None),
                    ev("09:10:00", Connect, None, None),
                ]),
            ];
            let first = curve(&devices, 7).points.first().map(|p| p.connected);
            assert_eq!(first, Some(before), "{operation:?} {code:?}");
        }
    }

    #[test]
    fn buckets_are_at_least_one_second() {
        let devices = [timeline(vec![
            ev("09:00:00", Connect, None, None),
            ev("09:00:05", Disconnect, None, None),
        ])];
        assert_eq!(curve(&devices, 100).points.len(), 5);
        assert_eq!(curve(&devices, 0).points.len(), 1);
    }

    #[test]
    fn a_fleet_falling_together_is_a_drop_even_when_it_recovers_within_the_bucket() {
        let mut devices = Vec::new();
        for n in 0..20 {
            let mut events = vec![ev("01:00:00", Connect, None, None)];
            if n < 10 {
                events.push(ev("02:14:00", Disconnect, Some(500_008), None));
                events.push(ev("02:16:00", Connect, None, None));
            }
            events.push(ev("04:00:00", Connect, None, None));
            devices.push(timeline(events));
        }
        let found = curve(&devices, 6).drops;
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].from, found[0].to), (20, 10));
        assert!(found[0].start <= at("02:14:00") && at("02:14:00") < found[0].end);
    }

    #[test]
    fn small_dips_are_not_drops() {
        let mut devices = Vec::new();
        for n in 0..40 {
            let mut events = vec![ev("01:00:00", Connect, None, None)];
            if n < 2 {
                events.push(ev("02:14:00", Disconnect, Some(404_104), None));
            }
            // 3 of 40 is below 10 %.
            if n == 2 {
                events.push(ev("03:14:00", Disconnect, Some(404_104), None));
            }
            events.push(ev("04:00:00", Disconnect, None, None));
            devices.push(timeline(events));
        }
        let found = curve(&devices, 12).drops;
        // Only the end of the log, where everyone disconnects, is a drop.
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].to, 0);
        assert_eq!(found[0].end, at("04:00:00"));
    }
}
