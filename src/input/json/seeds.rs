//! The serde seeds of the walker: they walk JSON values as they stream past and hand each
//! record to the [`Walker`]. They read every carrier alike: a line, an element cut
//! out by the splitter, or the rest of a document where the splitter stopped; records,
//! `records` wrappers, arrays and `tables` responses, whose rows are read in `rows`.

use super::describe_in_line;
use super::rows::{RowsSeed, emit_row};
use super::walker::Walker;
use crate::input::Shape;
use crate::input::fields::{Field, KeyKind};
use crate::input::raw::{Key, Outcome, RawRecord};
use crate::model::Position;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt;

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

/// Reads one line's values with serde: the reference reader, which takes any JSON.
pub(super) fn read_line_with_serde(walker: &mut Walker<'_>, text: &[u8], number: u64) {
    let mut de = serde_json::Deserializer::from_slice(text);
    loop {
        if let Err(err) = (ValueSeed {
            walker: &mut *walker,
            depth: 0,
        })
        .deserialize(&mut de)
        {
            let position = Position::line(walker.input, number);
            let message = format!("invalid JSON: {}", describe_in_line(&err));
            walker.sink.outcome(position, Outcome::Skipped(message));
            break;
        }
        if de.end().is_ok() {
            break;
        }
    }
}
