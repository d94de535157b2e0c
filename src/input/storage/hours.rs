//! The time a storage folder holds, read from its name: diagnostic settings write each
//! hour's records to `.../y=YYYY/m=MM/d=DD/h=HH/m=00/PT1H.json`, so a folder down to
//! `y=`, `m=`, `d=` or `h=` spans a year, a month, a day or an hour, and a folder
//! outside `--since`/`--until` need not be listed at all.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};

/// The records wanted: at or after `since`, before `until`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// How a folder's span lies against the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// Nothing in it is wanted: not listed.
    Outside,
    /// All of it is wanted: listed flat, without walking its subfolders.
    Inside,
    /// Some of it, or it has no time in its name yet: walked folder by folder.
    Partial,
}

impl Window {
    pub fn is_open(&self) -> bool {
        self.since.is_none() && self.until.is_none()
    }

    /// Where a folder stands, from the `y=/m=/d=/h=` segments of its path.
    pub fn relation(&self, folder: &str) -> Relation {
        let Some((start, end)) = span(folder) else {
            return if self.is_open() {
                Relation::Inside
            } else {
                Relation::Partial
            };
        };
        let before = self.until.is_some_and(|until| start >= until);
        let after = self.since.is_some_and(|since| end <= since);
        if before || after {
            Relation::Outside
        } else if self.since.is_none_or(|since| since <= start)
            && self.until.is_none_or(|until| end <= until)
        {
            Relation::Inside
        } else {
            Relation::Partial
        }
    }
}

/// The span `[start, end)` of a folder whose path holds `y=YYYY` and then, in order, any
/// of `m=MM`, `d=DD`, `h=HH` (the names are read in any case); `None` without a year or
/// with a value that is no date.
pub fn span(folder: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let mut segments = folder.split('/').filter(|segment| !segment.is_empty());
    let year = segments.by_ref().find_map(|segment| value(segment, 'y'))?;
    let year = i32::try_from(year).ok()?;
    let mut parts: Vec<u32> = Vec::with_capacity(3);
    for (segment, key) in segments.zip(['m', 'd', 'h']) {
        match value(segment, key) {
            Some(number) => parts.push(number),
            None => break,
        }
    }
    let start_of = |year: i32, month: u32, day: u32, hour: u32| {
        NaiveDate::from_ymd_opt(year, month, day)
            .and_then(|date| date.and_hms_opt(hour, 0, 0))
            .map(|time| Utc.from_utc_datetime(&time))
    };
    match parts.as_slice() {
        [] => Some((start_of(year, 1, 1, 0)?, start_of(year + 1, 1, 1, 0)?)),
        [month] => {
            let start = start_of(year, *month, 1, 0)?;
            let (next_year, next_month) = if *month == 12 {
                (year + 1, 1)
            } else {
                (year, month + 1)
            };
            Some((start, start_of(next_year, next_month, 1, 0)?))
        }
        [month, day] => {
            let start = start_of(year, *month, *day, 0)?;
            Some((start, start + chrono::Duration::days(1)))
        }
        [month, day, hour, ..] => {
            let start = start_of(year, *month, *day, *hour)?;
            (start.year() == year).then_some((start, start + chrono::Duration::hours(1)))
        }
    }
}

/// The number in a `key=NN` segment.
fn value(segment: &str, key: char) -> Option<u32> {
    let (name, number) = segment.split_once('=')?;
    let mut name = name.chars();
    let matches =
        name.next().is_some_and(|c| c.eq_ignore_ascii_case(&key)) && name.next().is_none();
    if !matches
        || number.is_empty()
        || number.len() > 4
        || !number.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    number.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().expect("a time")
    }

    const HUB: &str =
        "resourceId=/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.DEVICES/IOTHUBS/HUB";

    #[test]
    fn folders_span_what_their_names_say() {
        let cases = [
            ("y=2026/", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),
            (
                "y=2026/m=12/",
                "2026-12-01T00:00:00Z",
                "2027-01-01T00:00:00Z",
            ),
            (
                "y=2024/m=02/d=29/",
                "2024-02-29T00:00:00Z",
                "2024-03-01T00:00:00Z",
            ),
            (
                "Y=2026/M=03/D=02/H=23/",
                "2026-03-02T23:00:00Z",
                "2026-03-03T00:00:00Z",
            ),
            (
                "y=2026/m=03/d=02/h=09/m=00/",
                "2026-03-02T09:00:00Z",
                "2026-03-02T10:00:00Z",
            ),
        ];
        for (folder, start, end) in cases {
            assert_eq!(
                span(&format!("{HUB}/{folder}")),
                Some((at(start), at(end))),
                "{folder}"
            );
        }
        for folder in [
            HUB,
            "y=2026x/",
            "y=2026/m=13/",
            "y=2026/m=02/d=30/",
            "y=2026/m=02/d=3/h=24/",
            "m=03/",
        ] {
            assert_eq!(span(folder), None, "{folder}");
        }
        // A folder between the levels stops the reading there.
        assert_eq!(
            span("y=2026/extra/m=03/"),
            Some((at("2026-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z")))
        );
    }

    #[test]
    fn the_window_prunes_outside_lists_inside_flat_and_walks_the_rest() {
        let window = Window {
            since: Some(at("2026-03-02T09:30:00Z")),
            until: Some(at("2026-03-02T12:00:00Z")),
        };
        let cases = [
            (HUB, Relation::Partial),
            ("y=2025/", Relation::Outside),
            ("y=2026/", Relation::Partial),
            ("y=2026/m=02/", Relation::Outside),
            ("y=2026/m=03/d=02/", Relation::Partial),
            ("y=2026/m=03/d=03/", Relation::Outside),
            ("y=2026/m=03/d=02/h=08/", Relation::Outside),
            ("y=2026/m=03/d=02/h=09/", Relation::Partial),
            ("y=2026/m=03/d=02/h=10/", Relation::Inside),
            ("y=2026/m=03/d=02/h=11/m=00/", Relation::Inside),
            ("y=2026/m=03/d=02/h=12/", Relation::Outside),
        ];
        for (folder, relation) in cases {
            assert_eq!(window.relation(folder), relation, "{folder}");
        }
        let open = Window::default();
        assert_eq!(open.relation(HUB), Relation::Inside);
        let since = Window {
            since: Some(at("2026-03-02T00:00:00Z")),
            until: None,
        };
        assert_eq!(since.relation("y=2026/m=03/d=02/"), Relation::Inside);
        assert_eq!(since.relation("y=2026/m=03/d=01/"), Relation::Outside);
        assert_eq!(since.relation("y=2027/"), Relation::Inside);
    }
}
