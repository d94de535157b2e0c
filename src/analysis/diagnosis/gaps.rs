//! Where a device's story is incomplete: resource logs may lose records and start in the
//! middle of a session, so a report says where the timeline cannot be the whole truth.

use super::insight::rfc3339;
use crate::analysis::event::Event;
use crate::model::Operation;

/// Notes in plain words, in a fixed order.
pub fn find(events: &[Event]) -> Vec<String> {
    let mut gaps = Vec::new();
    let mut states = events.iter().filter(|e| e.operation != Operation::Other);
    if let Some(first) = states.next()
        && first.operation == Operation::Disconnect
    {
        gaps.push(format!(
            "starts with a disconnect at {}: the connect before it is not in the log",
            rfc3339(first.time)
        ));
    }

    // Two successful connects with no disconnect between them: one went missing.
    let mut connected = false;
    let mut doubles = Vec::new();
    for event in events {
        if event.operation == Operation::Disconnect {
            connected = false;
        } else if event.is_successful_connect() {
            if connected {
                doubles.push(event.time);
            }
            connected = true;
        }
    }
    if let Some(&first) = doubles.first() {
        gaps.push(match doubles.len() {
            1 => format!(
                "2 connects without a disconnect between them (at {}): a disconnect is missing \
                 from the log",
                rfc3339(first)
            ),
            n => format!(
                "{n} times 2 connects without a disconnect between them (first at {}): \
                 disconnects are missing from the log",
                rfc3339(first)
            ),
        });
    }
    gaps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::diagnosis::testing::*;

    #[test]
    fn incomplete_stories_are_noted_and_complete_ones_are_not() {
        let cases: Vec<(&str, Vec<Event>, Vec<&str>)> = vec![
            (
                "complete",
                vec![
                    ev("09:00:00", Connect, None, None),
                    ev("09:10:00", Disconnect, Some(404_104), None),
                    ev("09:10:20", Connect, Some(409_002), None),
                    ev("09:10:30", Connect, None, None),
                ],
                vec![],
            ),
            (
                "starts with a disconnect",
                vec![ev("09:10:04", Disconnect, Some(404_104), None)],
                vec![
                    "starts with a disconnect at 2026-03-02T09:10:04Z: the connect before it is \
                     not in the log",
                ],
            ),
            (
                "a missing disconnect",
                vec![
                    ev("09:00:00", Connect, None, None),
                    ev("09:30:00", Connect, None, None),
                ],
                vec![
                    "2 connects without a disconnect between them (at 2026-03-02T09:30:00Z): a \
                     disconnect is missing from the log",
                ],
            ),
            (
                "several missing disconnects",
                vec![
                    ev("09:00:00", Connect, None, None),
                    ev("09:30:00", Connect, None, None),
                    ev("10:00:00", Connect, None, None),
                ],
                vec![
                    "2 times 2 connects without a disconnect between them (first at \
                     2026-03-02T09:30:00Z): disconnects are missing from the log",
                ],
            ),
        ];
        for (case, events, expected) in cases {
            assert_eq!(find(&timeline(events)), expected, "{case}");
        }
    }
}
