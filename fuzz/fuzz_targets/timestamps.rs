//! Timestamps: the fuzz bytes, as text (invalid UTF-8 replaced), go straight to every
//! time parser a reader uses: RFC 3339 with or without an offset (`parse_rfc3339`,
//! `parse_zoned`, `parse_naive_iso`; the quick way through Azure's own form must read
//! what it reads as chrono does), the portal's locale times (`LocaleTime`, resolved both
//! ways) and the UTC offsets of `--tz` and of ` [UTC+hh:mm]` headers (`parse_offset`).

#![no_main]

use iothub_triage::input::fuzzing::{
    LocaleTime, parse_any_rfc3339, parse_azure_utc, parse_naive_iso, parse_zoned,
};
use iothub_triage::input::{DateOrder, parse_offset, parse_rfc3339};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let zoned = parse_zoned(&text);
    if let Some(quick) = parse_azure_utc(&text) {
        assert_eq!(Some(quick), parse_any_rfc3339(&text), "read the quick way");
    }
    let any = parse_rfc3339(&text);
    if zoned.is_some() {
        assert_eq!(any, zoned, "a zoned time read two ways");
    } else {
        assert_eq!(any, parse_naive_iso(&text).map(|naive| naive.and_utc()));
    }
    if let Some(seconds) = parse_offset(&text) {
        assert!(seconds.abs() < 15 * 3600, "offset {seconds} s out of range");
    }
    if let Some(locale) = LocaleTime::parse(&text) {
        let (day_first, month_first) = (
            locale.resolve(DateOrder::DayFirst),
            locale.resolve(DateOrder::MonthFirst),
        );
        if locale.is_ambiguous() {
            assert!(locale.implied_order().is_none());
            if let (Some(a), Some(b)) = (day_first, month_first) {
                assert_ne!(a, b, "called ambiguous but reads the same both ways");
            }
        }
    }
});
