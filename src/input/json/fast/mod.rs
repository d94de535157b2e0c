//! The quick way through a record as Azure writes it: one flat JSON object of strings
//! (and nulls, numbers, booleans it does not need), whose `properties` string holds
//! another flat object, read where it lies, escaped, without unescaping it first.
//!
//! It reads a subset of JSON and declines (`None`) anything outside it: nested values,
//! `\u` escapes, escapes in a value it keeps, more than one value on a line, bytes that
//! are not UTF-8, anything malformed. The serde reader then reads the line, so whatever
//! this reader accepts it must read exactly as the serde reader does; the tests below and
//! the property tests hold it to that. Declining costs a second parse, never an answer.

use super::fold::BlockResult;
use super::seeds::read_line_with_serde;
use super::walker::Walker;
use crate::input::fields::{Field, KeyKind};
use crate::input::raw::{DeviceFields, Outcome, Properties, RawRecord};
use crate::model::Position;
use std::borrow::Cow;

/// Reads one record line, or declines.
pub(super) fn read_record(line: &[u8]) -> Option<RawRecord<'_>> {
    let text = simdutf8::basic::from_utf8(line).ok()?;
    let mut cursor = Cursor {
        text,
        at: 0,
        controls: has_control(line),
    };
    let mut raw = RawRecord::default();
    // What the last non-empty `properties` held; the record's own fields win over it.
    let mut inner: Option<DeviceFields<'_>> = None;
    cursor.skip_whitespace();
    cursor.expect(b'{')?;
    cursor.skip_whitespace();
    if !cursor.eat(b'}') {
        loop {
            let key = cursor.key()?;
            cursor.skip_whitespace();
            cursor.expect(b':')?;
            cursor.skip_whitespace();
            match key {
                KeyKind::Field(Field::Properties) => match cursor.peek()? {
                    b'"' => {
                        if let Some(fields) = cursor.properties()? {
                            inner = Some(fields);
                        }
                    }
                    b'n' => cursor.literal("null")?,
                    _ => return None,
                },
                KeyKind::Field(field) => match cursor.peek()? {
                    b'"' => raw.set(field, Cow::Borrowed(cursor.plain_string()?)),
                    b'n' => cursor.literal("null")?,
                    // The operations-monitoring schema writes its code as a bare number.
                    b'0'..=b'9' if field == Field::StatusType => {
                        raw.set(field, Cow::Borrowed(cursor.plain_integer()?));
                    }
                    _ => return None,
                },
                // A wrapper, not a record: the serde reader walks it.
                KeyKind::Records | KeyKind::Tables => return None,
                // `error` beside a response's tables is read as a JSON value, surrogates
                // checked: rare in a record, left to serde.
                KeyKind::Error => return None,
                KeyKind::Other => cursor.skip_scalar()?,
            }
            cursor.skip_whitespace();
            if cursor.eat(b',') {
                cursor.skip_whitespace();
                continue;
            }
            cursor.expect(b'}')?;
            break;
        }
    }
    cursor.skip_whitespace();
    if cursor.at < text.len() {
        return None;
    }
    if let Some(inner) = inner {
        raw.fill_device_fields(inner);
        raw.properties = Some(Properties::Parsed);
    }
    Some(raw)
}

/// Outcomes with their places, in order.
pub type Placed = Vec<(Position, Outcome)>;

/// What each reader makes of one JSON Lines line, when this one reads it at all: the
/// outcomes (with their places) this reader gives, then those the serde reader gives.
/// The tests and the fuzz target that hold this reader to serde compare the two.
pub fn both_ways(line: &[u8]) -> Option<(Placed, Placed)> {
    let mut raw = read_record(line)?;
    let mut quick = BlockResult::default();
    let mut walker = Walker::new(0, &mut quick);
    walker.line = Some(1);
    walker.emit(&mut raw, false);
    let mut serde = BlockResult::default();
    let mut walker = Walker::new(0, &mut serde);
    walker.line = Some(1);
    read_line_with_serde(&mut walker, line, 1);
    Some((quick.outcomes, serde.outcomes))
}

/// A place in the line.
struct Cursor<'a> {
    text: &'a str,
    at: usize,
    /// Whether the line holds control characters at all: in most lines none, and then
    /// no string needs checking for them.
    controls: bool,
}

impl<'a> Cursor<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    /// Whether the bytes from `start` to `end` hold a control character, which JSON
    /// does not allow in a string.
    fn has_control(&self, start: usize, end: usize) -> bool {
        self.controls && has_control(&self.bytes()[start..end])
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        self.at += usize::from(found);
        found
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        self.eat(byte).then_some(())
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn literal(&mut self, word: &str) -> Option<()> {
        let end = self.at + word.len();
        (self.bytes().get(self.at..end)? == word.as_bytes()).then(|| self.at = end)
    }

    /// A key of the record: one Azure writes is recognised as it is compared, any other
    /// read as a string and looked up.
    fn key(&mut self) -> Option<KeyKind> {
        if let Some([b'"', rest @ ..]) = self.bytes().get(self.at..)
            && let Some((length, kind)) = known_key(rest, OUTER_KEYS)
        {
            self.at += 1 + length;
            return Some(kind);
        }
        self.plain_string().map(KeyKind::of)
    }

    /// A string without escapes, as a slice of the line.
    fn plain_string(&mut self) -> Option<&'a str> {
        self.expect(b'"')?;
        let start = self.at;
        let end = start + quote_or_backslash(&self.bytes()[start..])?;
        if self.bytes()[end] != b'"' || self.has_control(start, end) {
            return None;
        }
        self.at = end + 1;
        self.text.get(start..end)
    }

    /// A whole number without sign, fraction or exponent, small enough for a `u64`:
    /// serde gives such a number back as the same digits, any other as other text.
    fn plain_integer(&mut self) -> Option<&'a str> {
        let start = self.at;
        let length = number_length(&self.bytes()[start..])?;
        let digits = self.text.get(start..start + length)?;
        if length > 19 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        self.at += length;
        Some(digits)
    }

    /// Any string, checked and passed over.
    fn skip_string(&mut self) -> Option<()> {
        self.expect(b'"')?;
        loop {
            let start = self.at;
            let end = start + quote_or_backslash(&self.bytes()[start..])?;
            if self.has_control(start, end) {
                return None;
            }
            self.at = end + 1;
            if self.bytes()[end] == b'"' {
                return Some(());
            }
            match self.peek()? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.at += 1,
                // Four hex digits, whatever they make: serde passes over a value it
                // ignores without checking its surrogates either.
                b'u' => {
                    let digits = self.bytes().get(self.at + 1..self.at + 5)?;
                    if !digits.iter().all(u8::is_ascii_hexdigit) {
                        return None;
                    }
                    self.at += 5;
                }
                _ => return None,
            }
        }
    }

    /// A string, a number, a boolean or null, passed over.
    fn skip_scalar(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.skip_string(),
            b'n' => self.literal("null"),
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            _ => {
                self.at += number_length(&self.bytes()[self.at..])?;
                Some(())
            }
        }
    }

    /// The `properties` string, read as the JSON it holds: its device fields (an empty
    /// record for `null`), or `None` for the empty string, which counts as absent.
    fn properties(&mut self) -> Option<Option<DeviceFields<'a>>> {
        self.expect(b'"')?;
        if self.eat(b'"') {
            return Some(None);
        }
        let mut inner = Escaped { outer: self };
        let fields = inner.document()?;
        self.expect(b'"')?;
        Some(Some(fields))
    }
}

/// JSON inside a JSON string, read in its escaped form: `\"` is a quote, `\\` a
/// backslash. Only what cannot end the outer string is ever read.
struct Escaped<'c, 'a> {
    outer: &'c mut Cursor<'a>,
}

impl<'a> Escaped<'_, 'a> {
    /// The whole document: an object or `null`, then nothing but whitespace up to the
    /// end of the outer string.
    fn document(&mut self) -> Option<DeviceFields<'a>> {
        self.skip_whitespace();
        let fields = if self.outer.peek()? == b'n' {
            self.outer.literal("null")?;
            DeviceFields::default()
        } else {
            self.object()?
        };
        self.skip_whitespace();
        (self.outer.peek()? == b'"').then_some(fields)
    }

    fn object(&mut self) -> Option<DeviceFields<'a>> {
        let mut fields = DeviceFields::default();
        self.outer.expect(b'{')?;
        self.skip_whitespace();
        if self.outer.eat(b'}') {
            return Some(fields);
        }
        loop {
            let key = self.key()?;
            self.skip_whitespace();
            self.outer.expect(b':')?;
            self.skip_whitespace();
            match key {
                KeyKind::Field(field) if field.is_device_field() => {
                    if self.outer.peek()? == b'n' {
                        self.outer.literal("null")?;
                    } else {
                        match self.string()? {
                            (value, true) => fields.set(field, Cow::Borrowed(value)),
                            (_, false) => return None,
                        }
                    }
                }
                _ => self.skip_scalar()?,
            }
            self.skip_whitespace();
            if self.outer.eat(b',') {
                self.skip_whitespace();
                continue;
            }
            self.outer.expect(b'}')?;
            return Some(fields);
        }
    }

    /// Inner whitespace: spaces, or `\t`, `\n`, `\r` written as escapes.
    fn skip_whitespace(&mut self) {
        let bytes = self.outer.bytes();
        loop {
            match bytes.get(self.outer.at..self.outer.at + 2) {
                Some([b' ', _]) => self.outer.at += 1,
                Some([b'\\', b't' | b'n' | b'r']) => self.outer.at += 2,
                _ => return,
            }
        }
    }

    /// An inner key, plain: one Azure writes is recognised as it is compared, any other
    /// read as a string and looked up.
    fn key(&mut self) -> Option<KeyKind> {
        let bytes = self.outer.bytes();
        if bytes.get(self.outer.at..self.outer.at + 2)? == b"\\\"" {
            let rest = &bytes[self.outer.at + 2..];
            if let Some((length, kind)) = known_key(rest, INNER_KEYS) {
                self.outer.at += 2 + length;
                return Some(kind);
            }
        }
        match self.string()? {
            (key, true) => Some(KeyKind::of(key)),
            (_, false) => None,
        }
    }

    /// An inner string (`\"...\"`): its text as written in the line, and whether it is
    /// plain, holding no escape of its own (so that the text is its value).
    fn string(&mut self) -> Option<(&'a str, bool)> {
        let bytes = self.outer.bytes();
        if bytes.get(self.outer.at..self.outer.at + 2)? != b"\\\"" {
            return None;
        }
        self.outer.at += 2;
        let start = self.outer.at;
        let mut plain = true;
        loop {
            let at = self.outer.at;
            // A bare quote would end the outer string in the middle of the inner one.
            let end = at + quote_or_backslash(&bytes[at..])?;
            if bytes[end] == b'"' || self.outer.has_control(at, end) {
                return None;
            }
            self.outer.at = end + 2;
            match *bytes.get(end + 1)? {
                b'"' => return Some((self.outer.text.get(start..end)?, plain)),
                // `\/` is a plain `/` once the outer string is read.
                b'/' => plain = false,
                // An escape of the inner string: `\\` and then the escaped character,
                // itself escaped when it is a quote or a backslash.
                b'\\' => {
                    plain = false;
                    match *bytes.get(end + 2)? {
                        b'\\' if matches!(bytes.get(end + 3), Some(b'"' | b'\\')) => {
                            self.outer.at = end + 4;
                        }
                        b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.outer.at = end + 3,
                        _ => return None,
                    }
                }
                // Anything else is a control character inside the inner string, or `\u`.
                _ => return None,
            }
        }
    }

    fn skip_scalar(&mut self) -> Option<()> {
        match self.outer.peek()? {
            b'\\' => self.string().map(drop),
            b'n' => self.outer.literal("null"),
            b't' => self.outer.literal("true"),
            b'f' => self.outer.literal("false"),
            _ => {
                self.outer.at += number_length(&self.outer.bytes()[self.outer.at..])?;
                Some(())
            }
        }
    }
}

/// Keys as Azure writes them, each with the quote that ends it, and what it is (as
/// [`KeyKind::of`] says: a test holds the tables to it).
type KnownKeys = [(&'static [u8], KeyKind)];

/// The keys of a record, in the order Azure writes them.
const OUTER_KEYS: &KnownKeys = &[
    (b"time\"", KeyKind::Field(Field::Time)),
    (b"resourceId\"", KeyKind::Field(Field::ResourceId)),
    (b"operationName\"", KeyKind::Field(Field::Operation)),
    (b"category\"", KeyKind::Field(Field::Category)),
    (b"level\"", KeyKind::Field(Field::Level)),
    (b"resultType\"", KeyKind::Field(Field::ResultType)),
    (b"resultDescription\"", KeyKind::Other),
    (b"durationMs\"", KeyKind::Other),
    (b"properties\"", KeyKind::Field(Field::Properties)),
    (b"location\"", KeyKind::Other),
    // The operations-monitoring schema (2016-2017): device fields at the top, the code
    // in `statusType`. Last, so that they cost today's records nothing.
    (b"deviceId\"", KeyKind::Field(Field::DeviceId)),
    (b"protocol\"", KeyKind::Field(Field::Protocol)),
    (b"authType\"", KeyKind::Other),
    (b"statusCode\"", KeyKind::Other),
    (b"statusType\"", KeyKind::Field(Field::StatusType)),
    (b"statusDescription\"", KeyKind::Other),
];

/// The keys of `properties`, each ending with an escaped quote.
const INNER_KEYS: &KnownKeys = &[
    (b"deviceId\\\"", KeyKind::Field(Field::DeviceId)),
    (b"moduleId\\\"", KeyKind::Field(Field::ModuleId)),
    (b"sdkVersion\\\"", KeyKind::Field(Field::SdkVersion)),
    (b"protocol\\\"", KeyKind::Field(Field::Protocol)),
    (b"authType\\\"", KeyKind::Other),
    (b"maskedIpAddress\\\"", KeyKind::Field(Field::MaskedIp)),
    (b"statusCode\\\"", KeyKind::Other),
    (b"errorMessage\\\"", KeyKind::Other),
];

/// The known key `rest` starts with (after its opening quote): its length with its
/// closing quote, and what it is.
fn known_key(rest: &[u8], keys: &KnownKeys) -> Option<(usize, KeyKind)> {
    let first = *rest.first()?;
    keys.iter()
        .find(|(key, _)| key[0] == first && rest.starts_with(key))
        .map(|&(key, kind)| (key.len(), kind))
}

/// The first quote or backslash. Most strings here are short: the SSE2 searcher, which
/// every x86-64 processor has, is set up for them at less cost than the dispatching
/// `memchr2`.
#[cfg(target_arch = "x86_64")]
fn quote_or_backslash(bytes: &[u8]) -> Option<usize> {
    use memchr::arch::x86_64::sse2::memchr::Two;
    match Two::new(b'"', b'\\') {
        Some(searcher) => searcher.find(bytes),
        None => memchr::memchr2(b'"', b'\\', bytes),
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn quote_or_backslash(bytes: &[u8]) -> Option<usize> {
    memchr::memchr2(b'"', b'\\', bytes)
}

/// Written to be vectorised: a whole line is checked at once.
fn has_control(bytes: &[u8]) -> bool {
    bytes
        .chunks(64)
        // A fold with `|`, not `||` or `any`: no early exit within a chunk, so that each
        // 64-byte chunk is compared whole (vectorised) rather than byte by byte. With an
        // early exit the quick reader costs half as much again.
        .any(|chunk| {
            #[allow(
                clippy::unnecessary_fold,
                clippy::needless_bitwise_bool,
                reason = "no early exit within a chunk"
            )]
            chunk.iter().fold(false, |found, &b| found | (b < 0x20))
        })
}

/// The length of the JSON number at the start of `bytes`:
/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn number_length(bytes: &[u8]) -> Option<usize> {
    let digits = |from: usize| {
        bytes[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mut at = usize::from(bytes.first() == Some(&b'-'));
    match bytes.get(at)? {
        b'0' => at += 1,
        b'1'..=b'9' => at += digits(at),
        _ => return None,
    }
    if bytes.get(at) == Some(&b'.') {
        let fraction = digits(at + 1);
        if fraction == 0 {
            return None;
        }
        at += 1 + fraction;
    }
    if matches!(bytes.get(at), Some(b'e' | b'E')) {
        at += 1;
        if matches!(bytes.get(at), Some(b'+' | b'-')) {
            at += 1;
        }
        let exponent = digits(at);
        if exponent == 0 {
            return None;
        }
        at += exponent;
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads a line both ways; they must agree when the quick way reads it at all.
    fn agree(line: &str) -> Option<Outcome> {
        let (mut quick, serde) = both_ways(line.as_bytes())?;
        assert_eq!(quick, serde, "{line}");
        assert_eq!(quick.len(), 1, "{line}");
        Some(quick.remove(0).1)
    }

    #[test]
    fn known_keys_are_what_the_lookup_says() {
        for (key, kind) in OUTER_KEYS {
            let text = std::str::from_utf8(&key[..key.len() - 1]).expect("ASCII");
            assert_eq!(KeyKind::of(text), *kind, "{text}");
        }
        for (key, kind) in INNER_KEYS {
            let text = std::str::from_utf8(&key[..key.len() - 2]).expect("ASCII");
            assert_eq!(KeyKind::of(text), *kind, "{text}");
            assert!(!kind_is_outer_only(*kind), "{text}");
        }
    }

    /// Only device fields are taken from `properties`.
    fn kind_is_outer_only(kind: KeyKind) -> bool {
        matches!(kind, KeyKind::Field(field) if !field.is_device_field())
    }

    /// Bytes that matter to either reader.
    const EDITS: &[u8] = b"\"{}[],: \t\n\\/nulltrefas0123456789-+.eExuAdD\x01\x7f\xc3\xbc\xff";

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]

        /// Random edits of a real record (of today's schema, or of the 2016-2017
        /// operations-monitoring one), wherever they fall: whatever the quick way reads,
        /// it reads as serde does.
        #[test]
        fn edited_records_are_read_alike_or_declined(
            sample in proptest::sample::select(&[SAMPLE, OLD_SAMPLE, OLD_SAMPLE_NUMBER][..]),
            edits in proptest::collection::vec((0usize..1000, 0usize..EDITS.len(), 0u8..3), 1..4)
        ) {
            let mut line = sample.as_bytes().to_vec();
            for (at, byte, kind) in edits {
                let at = at % (line.len() + 1);
                let byte = EDITS[byte];
                match kind {
                    0 => line.insert(at, byte),
                    1 if at < line.len() => line[at] = byte,
                    _ if at < line.len() => { line.remove(at); }
                    _ => line.push(byte),
                }
            }
            if let Some((quick, serde)) = both_ways(&line) {
                proptest::prop_assert_eq!(quick, serde, "{}", String::from_utf8_lossy(&line));
            }
        }
    }

    const SAMPLE: &str = r#"{"time":"2026-03-02T09:10:04Z","resourceId":"/SUBSCRIPTIONS/5F1C/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.DEVICES/IOTHUBS/HUB","operationName":"deviceDisconnect","category":"Connections","level":"Error","resultType":"401003","resultDescription":"IotHubUnauthorized","properties":"{\"deviceId\":\"pump-0042\",\"sdkVersion\":\".NET/1.42.0 (.NET 6.0.25; Linux; X64)\",\"protocol\":\"Mqtt\",\"authType\":\"{\\\"scope\\\":\\\"device\\\",\\\"type\\\":\\\"sas\\\",\\\"acceptingIpFilterRule\\\":null}\",\"maskedIpAddress\":\"203.0.113.XXX\",\"statusCode\":\"401\",\"errorMessage\":\"see \\\"cause\\\" at https:\\/\\/aka.ms\\/iothub401003\"}","location":"westeurope"}"#;

    /// The operations-monitoring schema: no `properties`, the code in `statusType`.
    const OLD_SAMPLE: &str = r#"{"durationMs":1234,"authType":"{\"scope\":\"device\",\"type\":\"sas\",\"issuer\":\"iothub\"}","protocol":"Amqp","time":"2017-03-02T09:10:04Z","operationName":"deviceDisconnect","category":"Connections","level":"Error","statusCode":"401","statusType":"401003","statusDescription":"IotHubUnauthorized","deviceId":"pump-0042"}"#;
    /// The same, with the code as a bare number, as the schema's documentation shows it.
    const OLD_SAMPLE_NUMBER: &str = r#"{"time":"2017-03-02T09:10:05Z","operationName":"deviceDisconnect","category":"Connections","level":"Error","deviceId":"pump-0042","protocol":"Mqtt","statusCode":404,"statusType":404104,"statusDescription":"DeviceConnectionClosedRemotely","durationMs":0}"#;

    #[test]
    fn the_operations_monitoring_schema_is_read_the_quick_way_with_its_code() {
        for (line, code) in [(OLD_SAMPLE, "401003"), (OLD_SAMPLE_NUMBER, "404104")] {
            let Some(Outcome::Record(record)) = agree(line) else {
                panic!("read the quick way as a record: {line}")
            };
            assert_eq!(record.device_id, "pump-0042");
            assert_eq!(record.code.as_deref(), Some(code));
        }
        // `resultType` wins over `statusType`; a blank one does not count.
        for (line, code) in [
            (
                r#"{"time":"2017-03-02T09:10:05Z","operationName":"deviceDisconnect","deviceId":"d","resultType":"409002","statusType":"404104"}"#,
                "409002",
            ),
            (
                r#"{"time":"2017-03-02T09:10:05Z","operationName":"deviceDisconnect","deviceId":"d","statusType":404104,"resultType":"409002"}"#,
                "409002",
            ),
            (
                r#"{"time":"2017-03-02T09:10:05Z","operationName":"deviceDisconnect","deviceId":"d","resultType":"","statusType":0}"#,
                "0",
            ),
        ] {
            let Some(Outcome::Record(record)) = agree(line) else {
                panic!("read the quick way as a record: {line}")
            };
            assert_eq!(record.code.as_deref(), Some(code), "{line}");
        }
        // Numbers serde would give back as other text are left to it.
        for line in [
            r#"{"time":"2017-03-02T09:10:05Z","statusType":4.04104e5}"#,
            r#"{"time":"2017-03-02T09:10:05Z","statusType":-404104}"#,
            r#"{"time":"2017-03-02T09:10:05Z","statusType":123456789012345678901}"#,
        ] {
            assert_eq!(read_record(line.as_bytes()), None, "read: {line}");
        }
    }

    #[test]
    fn the_documented_record_is_read_the_quick_way_as_serde_reads_it() {
        let Some(Outcome::Record(record)) = agree(SAMPLE) else {
            panic!("read the quick way as a record")
        };
        assert_eq!(record.device_id, "pump-0042");
        assert_eq!(record.code.as_deref(), Some("401003"));
        assert_eq!(record.protocol.as_deref(), Some("Mqtt"));
        assert_eq!(record.masked_ip.as_deref(), Some("203.0.113.XXX"));
    }

    #[test]
    fn variations_serde_accepts_are_read_alike() {
        for line in [
            r"{}",
            r#" { "time" : "2026-03-02T09:10:04Z" , "operationName":"deviceConnect","properties":"{\"deviceId\":\"a\"}" } "#,
            // The record's own device id wins over the one in properties.
            r#"{"time":"2026-03-02T09:10:04Z","deviceId":"outer","operationName":"deviceConnect","properties":"{\"deviceId\":\"inner\",\"protocol\":\"Amqp\"}"}"#,
            // Empty strings and nulls count as absent; the last non-empty properties wins.
            r#"{"time":"2026-03-02T09:10:04Z","operationName":"deviceConnect","deviceId":"","properties":"{\"deviceId\":\"one\"}","properties":"","properties":null}"#,
            r#"{"time":"2026-03-02T09:10:04Z","operationName":"deviceConnect","properties":"{\"deviceId\":\"one\"}","properties":"{\"deviceId\":\"two\"}"}"#,
            r#"{"time":"2026-03-02T09:10:04Z","operationName":"deviceConnect","properties":"null"}"#,
            r#"{"time":"2026-03-02T09:10:04Z","operationName":"deviceConnect","properties":"{}"}"#,
            r#"{"time":"2026-03-02T09:10:04Z","operationName":"deviceConnect","properties":"\n{ \"deviceId\" : \"a\" ,\t\"n\": -1.5e+3, \"t\": true, \"f\": false }\r"}"#,
            r#"{"time":"2026-03-02T09:10:04Z","operationName":"deviceConnect","durationMs":12,"x":-0.5,"y":1E9,"properties":"{\"DEVICEID\":\"a\",\"module_id\":\"m\"}"}"#,
            r#"{"time":"2026-03-02T09:10:04Z","operationName":"deviceConnect","note":"tab\tand \"quotes\" \/ \\","properties":"{\"deviceId\":\"a\"}"}"#,
            r#"{"time":"2026-03-02T09:10:04Z","operationName":"deviceConnect","resultDescription":"it\u0027s \u00E9, \ud800 alone","properties":"{\"deviceId\":\"a\"}"}"#,
            r#"{"Category":"Other","Time":"yesterday"}"#,
            r#"{"time":"2026-03-02T09:10:04Z","operationName":"deviceConnect","properties":"{\"time\":\"inner\",\"properties\":\"x\",\"deviceId\":\"a\"}"}"#,
            r#"{"time":"2026-03-02T09:10:04Z","operationName":"deviceConnect","properties":"{\"deviceId\":\"ü-🚀\"}"}"#,
        ] {
            assert!(agree(line).is_some(), "declined: {line}");
        }
    }

    #[test]
    fn what_it_does_not_know_is_left_to_serde() {
        for line in [
            r#"{"records":[]}"#,
            r#"{"tables":[]}"#,
            r#"{"time":"2026-03-02T09:10:04Z","deviceId":"a\u0041"}"#,
            r#"{"time":"2026-03-02T09:10:04Z","note":"\u00G1"}"#,
            r#"{"time":"2026-03-02T09:10:04Z","error":"\ud800"}"#,
            r#"{"time":"2026-03-02T09:10:04Z","properties":"{\"authType\":\"\\u0041\"}"}"#,
            r#"{"time":"2026-03-02T09:10:04Z","deviceId":"esc\"aped"}"#,
            r#"{"time":"2026-03-02T09:10:04Z","resultType":404104}"#,
            r#"{"time":"2026-03-02T09:10:04Z","identity":{"a":1}}"#,
            r#"{"time":"2026-03-02T09:10:04Z","properties":{"deviceId":"a"}}"#,
            r#"{"time":"2026-03-02T09:10:04Z","properties":"{\"deviceId\":\"a\\\"b\"}"}"#,
            r#"{"time":"2026-03-02T09:10:04Z","properties":"{\"deviceId\":\"a\"} x"}"#,
            r#"{"time":"2026-03-02T09:10:04Z","properties":"[1]"}"#,
            r#"{"time":"2026-03-02T09:10:04Z","properties":"7"}"#,
            r#"{"time":"2026-03-02T09:10:04Z","properties":"{\"deviceId\":7}"}"#,
            r#"{"a":1}{"b":2}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":"x","#,
            r#"{"a":"x",}"#,
            r#"{"a" "x"}"#,
            "{\"a\":\"tab\there\"}",
            r#"[{"a":"x"}]"#,
        ] {
            assert_eq!(read_record(line.as_bytes()), None, "read: {line}");
        }
        assert_eq!(read_record(b"{\"deviceId\":\"\xff\"}"), None);
    }

    #[test]
    fn numbers_follow_the_json_grammar() {
        for (text, length) in [
            ("0", Some(1)),
            ("-12.5e-3,", Some(8)),
            ("10E+2}", Some(5)),
            ("-", None),
            ("01", Some(1)),
            ("1.", None),
            ("1e", None),
            (".5", None),
        ] {
            assert_eq!(number_length(text.as_bytes()), length, "{text}");
        }
    }
}
