//! The rows of a `tables` table: as the walker streams them (each a `Value`, mapped by
//! the table's columns), and read straight from their text when the splitter hands a row
//! over on its own, which gives the same outcome without building a `Value`.

use super::walker::Walker;
use crate::input::fields::Field;
use crate::input::raw::{Outcome, RawRecord};
use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;

/// The `rows` array of a table, each row mapped by the table's columns as it is read.
pub(super) struct RowsSeed<'w, 's, 'f> {
    pub(super) walker: &'w mut Walker<'s>,
    pub(super) fields: &'f [Option<Field>],
}

impl<'de> DeserializeSeed<'de> for RowsSeed<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RowsSeed<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of rows")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(row) = seq.next_element::<Value>()? {
            emit_row(self.walker, self.fields, row);
        }
        Ok(())
    }
}

pub(super) fn emit_row(walker: &mut Walker<'_>, fields: &[Option<Field>], row: Value) {
    let position = walker.position(true);
    let outcome = match row {
        Value::Array(values) if values.len() == fields.len() => {
            let mut raw = RawRecord::default();
            for (field, value) in fields.iter().zip(values) {
                if let Some(field) = field {
                    raw.set_json(*field, value);
                }
            }
            raw.finish()
        }
        Value::Array(values) => Outcome::Skipped(format!(
            "row has {} values but the table declares {} columns",
            values.len(),
            fields.len()
        )),
        _ => Outcome::Skipped("row is not an array".to_string()),
    };
    walker.sink.outcome(position, outcome);
}

/// A row read straight from its text by [`RowSeed`]: the fields of the known columns,
/// and how many values the row has; `None` when the row is not an array.
type Row<'a> = Option<(RawRecord<'a>, usize)>;

/// Emits a row as [`emit_row`] does, from the row read straight from its text.
pub(super) fn emit_row_cells(walker: &mut Walker<'_>, fields: &[Option<Field>], row: Row<'_>) {
    let position = walker.position(true);
    let outcome = match row {
        Some((mut raw, count)) if count == fields.len() => raw.finish(),
        Some((_, count)) => Outcome::Skipped(format!(
            "row has {count} values but the table declares {} columns",
            fields.len()
        )),
        None => Outcome::Skipped("row is not an array".to_string()),
    };
    walker.sink.outcome(position, outcome);
}

/// Reads a row without building a `Value`: the cells of known columns go into the record
/// as [`RawRecord::set_json`] takes them (strings borrowed where they can be), the other
/// cells are checked as a `Value` would check them and dropped.
pub(super) struct RowSeed<'f> {
    pub(super) fields: &'f [Option<Field>],
}

impl<'de> DeserializeSeed<'de> for RowSeed<'_> {
    type Value = Row<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Row<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_> {
    type Value = Row<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a row")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Row<'de>, A::Error> {
        let mut raw = RawRecord::default();
        let mut count = 0;
        while seq
            .next_element_seed(CellSeed {
                field: self.fields.get(count).copied().flatten(),
                raw: &mut raw,
            })?
            .is_some()
        {
            count += 1;
        }
        Ok(Some((raw, count)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Row<'de>, A::Error> {
        while map.next_entry::<Checked, Checked>()?.is_some() {}
        Ok(None)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Row<'de>, E> {
        Ok(None)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Row<'de>, E> {
        Ok(None)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Row<'de>, E> {
        Ok(None)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Row<'de>, E> {
        Ok(None)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Row<'de>, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Row<'de>, E> {
        Ok(None)
    }
}

/// One cell of a row, into its field when its column has one.
struct CellSeed<'r, 'a> {
    field: Option<Field>,
    raw: &'r mut RawRecord<'a>,
}

impl CellSeed<'_, '_> {
    fn text(self, text: String) {
        if let Some(field) = self.field {
            self.raw.set(field, Cow::Owned(text));
        }
    }
}

impl<'de: 'a, 'a> DeserializeSeed<'de> for CellSeed<'_, 'a> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for CellSeed<'_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<(), E> {
        if let Some(field) = self.field {
            self.raw.set(field, Cow::Borrowed(v));
        }
        Ok(())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.text(v.to_string());
        Ok(())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<(), E> {
        self.text(v);
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.text(v.to_string());
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.text(v.to_string());
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        // As a `Value` holds it, so written the same way.
        if let Some(number) = serde_json::Number::from_f64(v) {
            self.text(number.to_string());
        }
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.text(v.to_string());
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        match self.field {
            Some(field) => {
                let value = Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                self.raw.set_json(field, value);
            }
            None => while seq.next_element::<Checked>()?.is_some() {},
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        match self.field {
            Some(field) => {
                let value = Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
                self.raw.set_json(field, value);
            }
            None => while map.next_entry::<Checked, Checked>()?.is_some() {},
        }
        Ok(())
    }
}

/// Any JSON value, checked as a `Value` checks it (strings must be UTF-8, which
/// `IgnoredAny` does not ask) and dropped.
struct Checked;

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Checked, D::Error> {
        deserializer.deserialize_any(Checked)
    }
}

impl<'de> Visitor<'de> for Checked {
    type Value = Checked;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        while map.next_entry::<Checked, Checked>()?.is_some() {}
        Ok(Checked)
    }
}
