//! A serde `Serializer` that writes exactly what `serde_json::to_writer_pretty` writes
//! (two-space indent), into a `Vec<u8>`, starting at any depth.
//!
//! serde_json's own serializer spends most of a report's rendering scanning every key
//! and string a byte at a time for escapes, and makes each write through `io::Write`.
//! This one follows serde_json's serializer call for call (the same states, the same
//! pretty formatter's depth and "has a value" flag), but escapes strings with
//! [`super::escape`] and writes a line break and its indent as one fixed-size copy.
//!
//! sonic-rs (a SIMD serializer derived from serde_json's, with the same output) was
//! measured first: it gives the same bytes but saves less, because most of a report's
//! strings are short keys, ids and times, where its per-string setup outweighs the
//! faster scan; and it brings a score of crates with it.

/// The `Serializer` methods of every integer type, each writing the value with the
/// serializer's own `integer` (a map key's quotes it).
macro_rules! integer_methods {
    ($($method:ident($type:ty)),* $(,)?) => {
        $(
            fn $method(self, value: $type) -> Result<(), Error> {
                self.integer(value);
                Ok(())
            }
        )*
    };
}

mod compound;
mod key;
#[cfg(test)]
mod tests;

use super::escape::write_str;
use compound::Compound;
use serde::ser::{self, Serialize};
use std::fmt;

/// `value` as pretty JSON, `depth` levels into a document (the indent of its inner
/// lines), appended to `out`.
pub fn write<T: ?Sized + Serialize>(
    out: &mut Vec<u8>,
    value: &T,
    depth: usize,
) -> Result<(), Error> {
    value.serialize(&mut Pretty {
        out,
        depth,
        has_value: false,
    })
}

/// Why a value could not be written: a map key that is not a string or a number, or
/// an error of the value's own `Serialize`.
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(message: T) -> Error {
        Error(message.to_string())
    }
}

fn key_must_be_a_string() -> Error {
    Error("key must be a string".to_string())
}

/// The serializer, with serde_json's `PrettyFormatter` state.
pub struct Pretty<'a> {
    out: &'a mut Vec<u8>,
    depth: usize,
    has_value: bool,
}

/// A line break after a comma, or alone, and the indent of sixteen levels.
const LINE: &[u8; 34] = b",\n                                ";
const FIRST_LINE: &[u8; 34] = b"\n                                 ";

impl Pretty<'_> {
    fn open(&mut self, bracket: u8) {
        self.depth += 1;
        self.has_value = false;
        self.out.push(bracket);
    }

    fn close(&mut self, bracket: u8) {
        self.depth -= 1;
        if self.has_value {
            self.new_line(true);
        }
        self.out.push(bracket);
    }

    /// A line break (after a comma unless `first`) and the indent. The whole of `LINE`
    /// is copied and the rest cut off: a copy of a fixed size is a few moves, where one
    /// of a varying size is a call to `memcpy`.
    fn new_line(&mut self, first: bool) {
        let (line, len) = if first {
            (FIRST_LINE, 1 + 2 * self.depth)
        } else {
            (LINE, 2 + 2 * self.depth)
        };
        if len <= line.len() {
            let end = self.out.len() + len;
            self.out.extend_from_slice(line);
            self.out.truncate(end);
        } else {
            self.out
                .extend_from_slice(if first { b"\n" } else { b",\n" });
            for _ in 0..self.depth {
                self.out.extend_from_slice(b"  ");
            }
        }
    }

    fn integer(&mut self, value: impl itoa::Integer) {
        self.out
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    fn float(&mut self, value: impl zmij::Float) {
        self.out
            .extend_from_slice(zmij::Buffer::new().format_finite(value).as_bytes());
    }

    /// `{ "variant": ` of an enum variant with content.
    fn begin_variant(&mut self, variant: &str) {
        self.open(b'{');
        self.new_line(true);
        write_str(self.out, variant);
        self.out.extend_from_slice(b": ");
    }

    /// The `}` closing [`Pretty::begin_variant`].
    fn end_variant(&mut self) {
        self.has_value = true;
        self.close(b'}');
    }
}

impl<'a, 'o> ser::Serializer for &'a mut Pretty<'o> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a, 'o>;
    type SerializeTuple = Compound<'a, 'o>;
    type SerializeTupleStruct = Compound<'a, 'o>;
    type SerializeTupleVariant = Compound<'a, 'o>;
    type SerializeMap = Compound<'a, 'o>;
    type SerializeStruct = Compound<'a, 'o>;
    type SerializeStructVariant = Compound<'a, 'o>;

    fn serialize_bool(self, value: bool) -> Result<(), Error> {
        self.out
            .extend_from_slice(if value { b"true" } else { b"false" });
        Ok(())
    }

    integer_methods!(
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
    );

    fn serialize_f32(self, value: f32) -> Result<(), Error> {
        if value.is_finite() {
            self.float(value);
            Ok(())
        } else {
            self.serialize_unit()
        }
    }

    fn serialize_f64(self, value: f64) -> Result<(), Error> {
        if value.is_finite() {
            self.float(value);
            Ok(())
        } else {
            self.serialize_unit()
        }
    }

    fn serialize_char(self, value: char) -> Result<(), Error> {
        self.serialize_str(value.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, value: &str) -> Result<(), Error> {
        write_str(self.out, value);
        Ok(())
    }

    /// Bytes are a list of numbers, as in serde_json.
    fn serialize_bytes(self, value: &[u8]) -> Result<(), Error> {
        use ser::SerializeSeq;
        let mut seq = self.serialize_seq(None)?;
        for byte in value {
            seq.serialize_element(byte)?;
        }
        seq.end()
    }

    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.begin_variant(variant);
        value.serialize(&mut *self)?;
        self.end_variant();
        Ok(())
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'a, 'o>, Error> {
        Ok(Compound::open(self, (b'[', b']'), len))
    }

    fn serialize_tuple(self, len: usize) -> Result<Compound<'a, 'o>, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'a, 'o>, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a, 'o>, Error> {
        self.begin_variant(variant);
        self.serialize_seq(Some(len))
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'a, 'o>, Error> {
        Ok(Compound::open(self, (b'{', b'}'), len))
    }

    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Compound<'a, 'o>, Error> {
        self.serialize_map(Some(len))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a, 'o>, Error> {
        self.begin_variant(variant);
        self.serialize_map(Some(len))
    }
}
