//! Reading connection-state events from a stream of JSON values: arrays element by
//! element, each value bounded by the record-size limit, a break ending the input.

use super::{Held, Parsed, parse_object};
use crate::input::fields::clip;
use crate::input::{Outcome, Shape, Sink};
use crate::model::Position;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::cell::Cell;
use std::fmt;
use std::io::{self, BufRead, Read};

/// Reads an input of connection-state events: JSON values one after another (an array
/// of events, an event alone, JSON Lines of events, `monitor-events` output), each
/// element numbered as a record. A value longer than `max_record_size` bytes, or
/// malformed JSON, ends the input: what came before is kept and the break is reported.
pub fn read(
    reader: &mut dyn BufRead,
    input: usize,
    sink: &mut dyn Sink,
    max_record_size: u64,
) -> io::Result<Shape> {
    let mut held = Held::default();
    let mut reading = Reading {
        input,
        record: 0,
        held: &mut held,
    };
    read_values(reader, max_record_size, &mut reading)?;
    held.deliver(input, sink);
    Ok(Shape::StateEvents)
}

struct Reading<'a> {
    input: usize,
    record: u64,
    held: &'a mut Held,
}

impl Reading<'_> {
    fn next_position(&mut self) -> Position {
        self.record += 1;
        Position::record(self.input, self.record)
    }

    fn take(&mut self, value: &Value) {
        let position = self.next_position();
        let parsed = match value {
            Value::Object(object) => parse_object(object).unwrap_or_else(|| {
                Parsed::Skipped(
                    "not a connection-state event (no eventType, type with specversion, or opType)"
                        .to_string(),
                )
            }),
            _ => Parsed::Skipped("not a JSON object".to_string()),
        };
        self.held.push(position, parsed);
    }

    fn broke(&mut self, message: String) {
        let position = self.next_position();
        self.held.push_outcome(position, Outcome::Skipped(message));
    }
}

/// Counts what serde reads: bytes since the value began (to bound it) and lines.
struct Counted<'a, R> {
    inner: R,
    used: &'a Cell<u64>,
    lines: &'a Cell<u64>,
    limit: u64,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let room = self.limit.saturating_sub(self.used.get());
        if room == 0 {
            return Err(io::Error::other(TOO_LONG));
        }
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let read = self.inner.read(&mut buf[..want])?;
        self.used.set(self.used.get() + read as u64);
        let newlines = memchr::memchr_iter(b'\n', &buf[..read]).count();
        self.lines.set(self.lines.get() + newlines as u64);
        Ok(read)
    }
}

const TOO_LONG: &str = "a value longer than --max-record-size";

/// Reads the top-level values one after another, arrays element by element.
fn read_values(
    reader: &mut dyn BufRead,
    max_record_size: u64,
    reading: &mut Reading<'_>,
) -> io::Result<()> {
    let used = Cell::new(0);
    let lines = Cell::new(0);
    loop {
        // Skip whitespace between values (serde reads each value with its own deserializer).
        loop {
            let buffer = reader.fill_buf()?;
            if buffer.is_empty() {
                return Ok(());
            }
            let blank = buffer
                .iter()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
            lines.set(lines.get() + memchr::memchr_iter(b'\n', &buffer[..blank]).count() as u64);
            let whole = blank == buffer.len();
            reader.consume(blank);
            if !whole {
                break;
            }
        }
        let start_line = lines.get() + 1;
        used.set(0);
        let counted = Counted {
            inner: &mut *reader,
            used: &used,
            lines: &lines,
            limit: max_record_size,
        };
        let mut deserializer = serde_json::Deserializer::from_reader(counted);
        let result = Top {
            reading: &mut *reading,
            used: &used,
        }
        .deserialize(&mut deserializer);
        if let Err(err) = result {
            let message = if err.is_io() && err.to_string().contains(TOO_LONG) {
                format!("{TOO_LONG} at line {start_line}: the rest of the input is not read")
            } else {
                let line = start_line + (err.line() as u64).saturating_sub(1);
                format!(
                    "{} at line {line}: the rest of the input is not read",
                    message_of(&err)
                )
            };
            reading.broke(message);
            return Ok(());
        }
    }
}

/// serde_json's message without its place, which is counted from the value's start.
fn message_of(err: &serde_json::Error) -> String {
    let text = err.to_string();
    clip(text.split(" at line ").next().unwrap_or(&text))
}

/// One top-level value: an array's elements are taken one at a time.
struct Top<'a, 'b> {
    reading: &'a mut Reading<'b>,
    used: &'a Cell<u64>,
}

impl<'de> DeserializeSeed<'de> for Top<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Top<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an event object or an array of them")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        loop {
            self.used.set(0);
            match seq.next_element::<Value>()? {
                Some(value) => self.reading.take(&value),
                None => return Ok(()),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let value = Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        self.reading.take(&value);
        Ok(())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.reading.take(&Value::Null);
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.reading.take(&Value::Null);
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.reading.take(&Value::Null);
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.reading.take(&Value::Null);
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.reading.take(&Value::Null);
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.reading.take(&Value::Null);
        Ok(())
    }
}
