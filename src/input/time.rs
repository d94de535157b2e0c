//! Timestamps as exports write them: RFC 3339 with 0-9 fraction digits (resource logs,
//! Log Analytics), and the portal's locale forms (`3/2/2026, 9:10:04.000 AM`,
//! `02/03/2026 10:10:04.000`), whose day/month order is decided per file.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};

/// Parses an ISO 8601 / RFC 3339 time. A time without an offset is taken as UTC, which
/// is what every Azure carrier means.
pub fn parse_rfc3339(text: &str) -> Option<DateTime<Utc>> {
    parse_zoned(text).or_else(|| parse_naive_iso(text).map(|time| time.and_utc()))
}

/// An ISO 8601 time that states its offset (`Z`, `+01:00`).
pub fn parse_zoned(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    parse_azure_utc(text).or_else(|| parse_any_rfc3339(text))
}

/// chrono's RFC 3339 parser: any offset, `t` or a space between date and time, leap
/// seconds, any number of fraction digits.
pub fn parse_any_rfc3339(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|time| time.with_timezone(&Utc))
}

/// The one form every Azure carrier writes, `2026-03-02T09:10:04Z` with up to nine
/// fraction digits, read digit by digit: chrono's general RFC 3339 parser is far slower
/// (docs/performance.md). `None` for anything else (other separators, an
/// offset, a leap second, more digits), which chrono's parser then reads; what this
/// reads, it reads as chrono does (a property test holds it to that).
pub fn parse_azure_utc(text: &str) -> Option<DateTime<Utc>> {
    let bytes = text.as_bytes();
    let (stamp, fraction) = match bytes {
        [stamp @ .., b'Z'] if stamp.len() == 19 => (stamp, &[][..]),
        [stamp @ .., b'Z'] if stamp.len() > 20 => stamp.split_at(19),
        _ => return None,
    };
    let separators = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if separators.iter().any(|&(at, byte)| stamp[at] != byte) {
        return None;
    }
    let number = |digits: &[u8]| {
        digits.iter().try_fold(0u32, |value, &digit| {
            digit
                .is_ascii_digit()
                .then(|| value * 10 + u32::from(digit - b'0'))
        })
    };
    let nanoseconds = match fraction {
        [] => 0,
        [b'.', digits @ ..] if digits.len() <= 9 => {
            number(digits)? * 10u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    let second = number(&stamp[17..19])?;
    if second > 59 {
        return None;
    }
    let year = i32::try_from(number(&stamp[..4])?).ok()?;
    let date = NaiveDate::from_ymd_opt(year, number(&stamp[5..7])?, number(&stamp[8..10])?)?;
    let time = NaiveTime::from_hms_nano_opt(
        number(&stamp[11..13])?,
        number(&stamp[14..16])?,
        second,
        nanoseconds,
    )?;
    Some(date.and_time(time).and_utc())
}

/// An ISO 8601 time without an offset, its year in four digits as RFC 3339 writes it.
/// chrono's `%Y` alone also takes `-262143` or `+262142`, which no export writes and which
/// overflow as soon as an offset or a duration is added to them.
pub fn parse_naive_iso(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    let year = text.as_bytes().get(..5)?;
    if !(year[..4].iter().all(u8::is_ascii_digit) && year[4] == b'-') {
        return None;
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
}

/// Which date component comes first in a portal timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    DayFirst,
    MonthFirst,
}

impl DateOrder {
    pub fn name(self) -> &'static str {
        match self {
            DateOrder::DayFirst => "day-first (dmy)",
            DateOrder::MonthFirst => "month-first (mdy)",
        }
    }
}

/// A portal timestamp split into its parts, before the day/month order is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocaleTime {
    first: u32,
    second: u32,
    year: i32,
    time: NaiveTime,
    /// Written in the en-US form `M/D/YYYY, h:mm:ss AM`.
    us_style: bool,
}

impl LocaleTime {
    /// Splits `3/2/2026, 9:10:04.000 AM`, `02/03/2026 10:10:04.000` or `02.03.2026
    /// 10:10:04,000`. Returns `None` for anything else.
    pub fn parse(text: &str) -> Option<LocaleTime> {
        let text = text.trim();
        let (date, rest) = text.split_once([' ', ','])?;
        let comma = text.as_bytes().get(date.len()) == Some(&b',');
        let mut parts = date.split(['/', '.', '-']);
        let first: u32 = parts.next()?.parse().ok()?;
        let second: u32 = parts.next()?.parse().ok()?;
        let year_text = parts.next()?;
        if parts.next().is_some() || year_text.len() != 4 {
            return None;
        }
        let year: i32 = year_text.parse().ok()?;
        let rest = rest.trim();
        let (clock, meridiem) = match rest.rsplit_once(' ') {
            Some((clock, word))
                if word.eq_ignore_ascii_case("AM") || word.eq_ignore_ascii_case("PM") =>
            {
                (clock.trim(), Some(word.eq_ignore_ascii_case("PM")))
            }
            _ => (rest, None),
        };
        let clock = clock.replace(',', ".");
        let mut time = NaiveTime::parse_from_str(&clock, "%H:%M:%S%.f")
            .or_else(|_| NaiveTime::parse_from_str(&clock, "%H:%M"))
            .ok()?;
        if let Some(pm) = meridiem {
            let hour = chrono::Timelike::hour(&time);
            if !(1..=12).contains(&hour) {
                return None;
            }
            let hour24 = match (hour, pm) {
                (12, false) => 0,
                (12, true) => 12,
                (h, true) => h + 12,
                (h, false) => h,
            };
            time = chrono::Timelike::with_hour(&time, hour24)?;
        }
        let us_style = comma && meridiem.is_some() && rest.ends_with('M');
        Some(LocaleTime {
            first,
            second,
            year,
            time,
            us_style,
        })
    }

    /// The order this value alone proves, if any.
    pub fn implied_order(&self) -> Option<DateOrder> {
        if self.first > 12 {
            Some(DateOrder::DayFirst)
        } else if self.second > 12 || self.us_style {
            Some(DateOrder::MonthFirst)
        } else {
            None
        }
    }

    /// True when reading it either way gives different dates.
    pub fn is_ambiguous(&self) -> bool {
        self.implied_order().is_none() && self.first != self.second
    }

    /// The wall-clock time under the given order.
    pub fn resolve(&self, order: DateOrder) -> Option<NaiveDateTime> {
        let (day, month) = match order {
            DateOrder::DayFirst => (self.first, self.second),
            DateOrder::MonthFirst => (self.second, self.first),
        };
        NaiveDate::from_ymd_opt(self.year, month, day).map(|date| date.and_time(self.time))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").expect("test time")
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20000))]

        /// Times of the Azure form and near misses (other digits, separators, lengths):
        /// whatever the quick reader reads, chrono reads the same.
        #[test]
        fn azure_times_are_read_as_chrono_reads_them(
            text in "[0-9]{4}[-/][0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,11})?[Zz+]?"
        ) {
            if let Some(quick) = parse_azure_utc(&text) {
                proptest::prop_assert_eq!(Some(quick), parse_any_rfc3339(&text));
            }
        }

        /// Valid times of the Azure form are all read the quick way.
        #[test]
        fn valid_azure_times_are_read_the_quick_way(
            seconds in 0i64..253_402_300_800,
            nanoseconds in 0u32..1_000_000_000,
            digits in 0usize..=9,
        ) {
            let time = DateTime::from_timestamp(seconds, nanoseconds).expect("in range");
            let fraction = format!("{nanoseconds:09}");
            let text = match digits {
                0 => time.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                n => format!("{}.{}Z", time.format("%Y-%m-%dT%H:%M:%S"), &fraction[..n]),
            };
            let quick = parse_azure_utc(&text);
            proptest::prop_assert!(quick.is_some(), "{}", text);
            proptest::prop_assert_eq!(quick, parse_any_rfc3339(&text));
        }
    }

    #[test]
    fn rfc3339_accepts_any_fraction_and_offsets() {
        let cases = [
            ("2026-03-02T09:10:04Z", "2026-03-02 09:10:04"),
            (
                "2026-03-02T09:10:04.1234567Z",
                "2026-03-02 09:10:04.1234567",
            ),
            ("2026-03-02T10:10:04+01:00", "2026-03-02 09:10:04"),
            ("2026-03-02T09:10:04", "2026-03-02 09:10:04"),
            ("2026-03-02 09:10:04.5", "2026-03-02 09:10:04.5"),
        ];
        for (text, expected) in cases {
            assert_eq!(
                parse_rfc3339(text).map(|t| t.naive_utc()),
                Some(at(expected)),
                "{text}"
            );
        }
        assert_eq!(parse_rfc3339("3/2/2026, 9:10:04.000 AM"), None);
        assert_eq!(parse_azure_utc("2026-03-02T09:10:04.Z"), None);
        assert_eq!(parse_zoned("2026-03-02T09:10:04.Z"), None);
        for far in [
            "-262143-01-01T00:00:00",
            "+262142-12-31T23:59:59",
            "+2026-03-02 09:10:04",
        ] {
            assert_eq!(parse_rfc3339(far), None, "{far}");
        }
    }

    #[test]
    fn us_portal_times_are_month_first_with_a_12_hour_clock() {
        let cases = [
            ("3/2/2026, 9:10:04.000 AM", "2026-03-02 09:10:04"),
            ("3/2/2026, 12:00:00.000 AM", "2026-03-02 00:00:00"),
            ("12/5/2022, 5:22:23.884 PM", "2022-12-05 17:22:23.884"),
        ];
        for (text, expected) in cases {
            let value = LocaleTime::parse(text).expect(text);
            assert_eq!(value.implied_order(), Some(DateOrder::MonthFirst), "{text}");
            assert_eq!(
                value.resolve(DateOrder::MonthFirst),
                Some(at(expected)),
                "{text}"
            );
        }
    }

    #[test]
    fn day_first_times_prove_their_order_only_past_the_twelfth() {
        let late = LocaleTime::parse("16/07/2026 20:26:12.030").expect("parses");
        assert_eq!(late.implied_order(), Some(DateOrder::DayFirst));
        assert_eq!(
            late.resolve(DateOrder::DayFirst),
            Some(at("2026-07-16 20:26:12.030"))
        );
        let early = LocaleTime::parse("02/03/2026 10:10:04.000").expect("parses");
        assert!(early.is_ambiguous());
        assert_eq!(
            early.resolve(DateOrder::DayFirst),
            Some(at("2026-03-02 10:10:04"))
        );
        assert_eq!(
            early.resolve(DateOrder::MonthFirst),
            Some(at("2026-02-03 10:10:04"))
        );
        let same = LocaleTime::parse("03/03/2026 10:10:04,000").expect("parses");
        assert!(!same.is_ambiguous());
    }

    #[test]
    fn other_text_is_not_a_portal_time() {
        for text in [
            "",
            "yesterday",
            "2026-03-02T09:10:04Z",
            "3/2/26 9:10",
            "3/2/2026, 13:00:00 PM",
            "31/2/2026 10:00",
        ] {
            let parsed = LocaleTime::parse(text);
            let resolved = parsed.and_then(|t| t.resolve(DateOrder::DayFirst));
            assert!(resolved.is_none(), "{text} gave {parsed:?}");
        }
    }
}
