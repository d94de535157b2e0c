//! The serde walker: walks JSON values as they stream past, hands each record to the sink
//! and remembers what shape it saw. It reads every carrier alike: a line, an element cut
//! out by the splitter, or the rest of a document where the splitter stopped; records,
//! `records` wrappers, arrays and `tables` responses, whose rows are read in `rows`.

use super::rows::{RowsSeed, emit_row};
use crate::input::fields::{Field, KeyKind, clip};
use crate::input::raw::{Key, Outcome, RawRecord};
use crate::input::{Shape, Sink};
use crate::model::Position;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt;

/// Walks JSON values, hands each record to the sink and remembers what shape it saw.
pub(super) struct Walker<'s> {
    pub(super) input: usize,
    pub(super) sink: &'s mut dyn Sink,
    /// The current line (JSON Lines) and the running record number inside a document.
    pub(super) line: Option<u64>,
    pub(super) records: u64,
    /// Documents number their records; JSON Lines use the line unless inside a wrapper.
    pub(super) numbered: bool,
    pub(super) shape: Option<Shape>,
    /// Whether az CLI rows were seen, whatever the shape.
    pub(super) az_cli: bool,
}

impl<'s> Walker<'s> {
    pub(super) fn new(input: usize, sink: &'s mut dyn Sink) -> Self {
        Walker {
            input,
            sink,
            line: None,
            records: 0,
            numbered: false,
            shape: None,
            az_cli: false,
        }
    }

    pub(super) fn saw(&mut self, shape: Shape) {
        self.az_cli |= shape == Shape::AzCli;
        // The first wrapper seen names the input; an array whose rows carry `TableName`
        // is the az CLI's.
        if self.shape.is_none() || (self.shape == Some(Shape::JsonArray) && shape == Shape::AzCli) {
            self.shape = Some(shape);
        }
    }

    pub(super) fn position(&mut self, wrapped: bool) -> Position {
        self.records += 1;
        let record = (self.numbered || wrapped).then_some(self.records);
        Position {
            input: self.input,
            line: self.line,
            record,
        }
    }

    pub(super) fn emit(&mut self, raw: &mut RawRecord<'_>, wrapped: bool) {
        let position = self.position(wrapped);
        if raw.table_name.is_some() {
            self.saw(Shape::AzCli);
            raw.clear_python_nones();
        }
        let outcome = raw.finish();
        self.sink.outcome(position, outcome);
    }

    fn emit_not_object(&mut self, what: &str, wrapped: bool) {
        let position = self.position(wrapped);
        self.sink.outcome(
            position,
            Outcome::Skipped(format!("{what} is not a record object")),
        );
    }
}

/// Any JSON value at the top of a document or line, or an element of a top-level array.
pub(super) struct ValueSeed<'w, 's> {
    pub(super) walker: &'w mut Walker<'s>,
    pub(super) depth: u8,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a record object, a records wrapper, a tables response or an array of them")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.depth > 0 {
            self.walker.emit_not_object("an array", false);
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(());
        }
        self.walker.saw(Shape::JsonArray);
        while seq
            .next_element_seed(ValueSeed {
                walker: &mut *self.walker,
                depth: self.depth + 1,
            })?
            .is_some()
        {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // Read as a record while looking out for the keys of a wrapper; the fields read
        // before such a key are dropped with the record that was not one.
        let mut raw = RawRecord::default();
        let mut wrapper = false;
        let mut error = None;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            match KeyKind::of(&key) {
                KeyKind::Records if self.depth < 2 => {
                    wrapper = true;
                    self.walker.saw(Shape::Records);
                    map.next_value_seed(RecordsSeed {
                        walker: &mut *self.walker,
                    })?;
                }
                KeyKind::Tables if self.depth == 0 => {
                    wrapper = true;
                    self.walker.saw(Shape::Tables);
                    map.next_value_seed(TablesSeed {
                        walker: &mut *self.walker,
                    })?;
                }
                KeyKind::Error => error = Some(map.next_value::<Value>()?),
                KeyKind::Field(field) => raw.read_value(field, &mut map)?,
                KeyKind::Records | KeyKind::Tables | KeyKind::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if wrapper {
            if let Some(error) = error {
                self.walker.warn_partial(&error);
            }
        } else {
            let wrapped = self.depth > 0 && !self.walker.numbered;
            self.walker.emit(&mut raw, wrapped);
        }
        Ok(())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.walker.emit_not_object("a string", self.depth > 0);
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.walker.emit_not_object("a number", self.depth > 0);
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.walker.emit_not_object("a number", self.depth > 0);
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.walker.emit_not_object("a number", self.depth > 0);
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.walker.emit_not_object("a boolean", self.depth > 0);
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.walker.emit_not_object("null", self.depth > 0);
        Ok(())
    }
}

impl Walker<'_> {
    /// The query API returns HTTP 200 with an `error` beside the tables when results
    /// are partial (`PartialError`): the data is usable but may be truncated.
    pub(super) fn warn_partial(&mut self, error: &Value) {
        let code = error.get("code").and_then(Value::as_str).unwrap_or("error");
        let message = error.get("message").and_then(Value::as_str).unwrap_or("");
        self.sink.warning(
            self.input,
            format!(
                "the query response reports {code}: {}; results may be incomplete",
                clip(message)
            ),
        );
    }
}

/// The array of a `{"records":[...]}` wrapper.
struct RecordsSeed<'w, 's> {
    walker: &'w mut Walker<'s>,
}

impl<'de> DeserializeSeed<'de> for RecordsSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RecordsSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        // Elements are records (or, unusually, further values, which are reported).
        while seq
            .next_element_seed(ValueSeed {
                walker: &mut *self.walker,
                depth: 2,
            })?
            .is_some()
        {}
        Ok(())
    }
}

/// The `tables` array of a Log Analytics query response.
struct TablesSeed<'w, 's> {
    walker: &'w mut Walker<'s>,
}

impl<'de> DeserializeSeed<'de> for TablesSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for TablesSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of tables")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(TableSeed {
                walker: &mut *self.walker,
            })?
            .is_some()
        {}
        Ok(())
    }
}

/// One table: `columns` give the field of each position, then `rows` are streamed.
struct TableSeed<'w, 's> {
    walker: &'w mut Walker<'s>,
}

#[derive(serde::Deserialize)]
struct Column {
    name: String,
}

impl<'de> DeserializeSeed<'de> for TableSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TableSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a table with columns and rows")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut columns: Option<Vec<Option<Field>>> = None;
        // Rows that arrive before their columns (not seen in practice) wait for them.
        let mut early_rows: Vec<Value> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if key.eq_ignore_ascii_case("columns") {
                let list: Vec<Column> = map.next_value()?;
                columns = Some(list.iter().map(|c| Field::from_key(&c.name)).collect());
            } else if key.eq_ignore_ascii_case("rows") {
                match &columns {
                    Some(fields) => map.next_value_seed(RowsSeed {
                        walker: &mut *self.walker,
                        fields,
                    })?,
                    None => early_rows = map.next_value()?,
                }
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        let fields = columns.unwrap_or_default();
        for row in early_rows {
            emit_row(self.walker, &fields, row);
        }
        Ok(())
    }
}
