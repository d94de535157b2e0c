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

use super::escape::write_str;
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

    fn serialize_i8(self, value: i8) -> Result<(), Error> {
        self.integer(value);
        Ok(())
    }

    fn serialize_i16(self, value: i16) -> Result<(), Error> {
        self.integer(value);
        Ok(())
    }

    fn serialize_i32(self, value: i32) -> Result<(), Error> {
        self.integer(value);
        Ok(())
    }

    fn serialize_i64(self, value: i64) -> Result<(), Error> {
        self.integer(value);
        Ok(())
    }

    fn serialize_i128(self, value: i128) -> Result<(), Error> {
        self.integer(value);
        Ok(())
    }

    fn serialize_u8(self, value: u8) -> Result<(), Error> {
        self.integer(value);
        Ok(())
    }

    fn serialize_u16(self, value: u16) -> Result<(), Error> {
        self.integer(value);
        Ok(())
    }

    fn serialize_u32(self, value: u32) -> Result<(), Error> {
        self.integer(value);
        Ok(())
    }

    fn serialize_u64(self, value: u64) -> Result<(), Error> {
        self.integer(value);
        Ok(())
    }

    fn serialize_u128(self, value: u128) -> Result<(), Error> {
        self.integer(value);
        Ok(())
    }

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

/// A list or an object being written, as serde_json's `Compound`.
pub struct Compound<'a, 'o> {
    ser: &'a mut Pretty<'o>,
    state: State,
}

#[derive(PartialEq, Eq)]
enum State {
    /// Declared empty: the brackets are written already.
    Empty,
    First,
    Rest,
}

impl<'a, 'o> Compound<'a, 'o> {
    /// Opens with `brackets.0`; one declared empty is closed at once.
    fn open(ser: &'a mut Pretty<'o>, brackets: (u8, u8), len: Option<usize>) -> Self {
        ser.open(brackets.0);
        let state = if len == Some(0) {
            ser.close(brackets.1);
            State::Empty
        } else {
            State::First
        };
        Compound { ser, state }
    }

    /// The line a member starts on.
    fn next(&mut self) {
        self.ser.new_line(self.state == State::First);
        self.state = State::Rest;
    }

    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.next();
        value.serialize(&mut *self.ser)?;
        self.ser.has_value = true;
        Ok(())
    }

    fn key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Error> {
        self.next();
        key.serialize(KeySerializer { ser: self.ser })
    }

    fn value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.ser.out.extend_from_slice(b": ");
        value.serialize(&mut *self.ser)?;
        self.ser.has_value = true;
        Ok(())
    }

    /// Closes with `bracket` unless it was declared empty.
    fn close(self, bracket: u8) -> &'a mut Pretty<'o> {
        if self.state != State::Empty {
            self.ser.close(bracket);
        }
        self.ser
    }
}

impl ser::SerializeSeq for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }

    fn end(self) -> Result<(), Error> {
        self.close(b']');
        Ok(())
    }
}

impl ser::SerializeTuple for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }

    fn end(self) -> Result<(), Error> {
        self.close(b']');
        Ok(())
    }
}

impl ser::SerializeTupleStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }

    fn end(self) -> Result<(), Error> {
        self.close(b']');
        Ok(())
    }
}

impl ser::SerializeTupleVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }

    fn end(self) -> Result<(), Error> {
        self.close(b']').end_variant();
        Ok(())
    }
}

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Error> {
        self.key(key)
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.value(value)
    }

    fn end(self) -> Result<(), Error> {
        self.close(b'}');
        Ok(())
    }
}

impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.next();
        write_str(self.ser.out, key);
        self.value(value)
    }

    fn end(self) -> Result<(), Error> {
        self.close(b'}');
        Ok(())
    }
}

impl ser::SerializeStructVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }

    fn end(self) -> Result<(), Error> {
        self.close(b'}').end_variant();
        Ok(())
    }
}

/// A map key: a string as it is, a number or a bool in quotes, anything else an error,
/// as serde_json's `MapKeySerializer`.
struct KeySerializer<'a, 'o> {
    ser: &'a mut Pretty<'o>,
}

impl KeySerializer<'_, '_> {
    fn quoted(self, text: &[u8]) {
        let out = &mut *self.ser.out;
        out.push(b'"');
        out.extend_from_slice(text);
        out.push(b'"');
    }

    fn integer(self, value: impl itoa::Integer) {
        self.quoted(itoa::Buffer::new().format(value).as_bytes());
    }

    fn float(self, value: impl zmij::Float, finite: bool) -> Result<(), Error> {
        if !finite {
            return Err(Error(
                "float key must be finite (got NaN or +/-inf)".to_string(),
            ));
        }
        self.quoted(zmij::Buffer::new().format_finite(value).as_bytes());
        Ok(())
    }
}

impl ser::Serializer for KeySerializer<'_, '_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = ser::Impossible<(), Error>;
    type SerializeTuple = ser::Impossible<(), Error>;
    type SerializeTupleStruct = ser::Impossible<(), Error>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = ser::Impossible<(), Error>;
    type SerializeStruct = ser::Impossible<(), Error>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    fn serialize_str(self, value: &str) -> Result<(), Error> {
        write_str(self.ser.out, value);
        Ok(())
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

    fn serialize_bool(self, value: bool) -> Result<(), Error> {
        self.quoted(if value { b"true" } else { b"false" });
        Ok(())
    }

    fn serialize_i8(self, value: i8) -> Result<(), Error> {
        self.integer(value);
        Ok(())
    }

    fn serialize_i16(self, value: i16) -> Result<(), Error> {
        self.integer(value);
        Ok(())
    }

    fn serialize_i32(self, value: i32) -> Result<(), Error> {
        self.integer(value);
        Ok(())
    }

    fn serialize_i64(self, value: i64) -> Result<(), Error> {
        self.integer(value);
        Ok(())
    }

    fn serialize_i128(self, value: i128) -> Result<(), Error> {
        self.integer(value);
        Ok(())
    }

    fn serialize_u8(self, value: u8) -> Result<(), Error> {
        self.integer(value);
        Ok(())
    }

    fn serialize_u16(self, value: u16) -> Result<(), Error> {
        self.integer(value);
        Ok(())
    }

    fn serialize_u32(self, value: u32) -> Result<(), Error> {
        self.integer(value);
        Ok(())
    }

    fn serialize_u64(self, value: u64) -> Result<(), Error> {
        self.integer(value);
        Ok(())
    }

    fn serialize_u128(self, value: u128) -> Result<(), Error> {
        self.integer(value);
        Ok(())
    }

    fn serialize_f32(self, value: f32) -> Result<(), Error> {
        self.float(value, value.is_finite())
    }

    fn serialize_f64(self, value: f64) -> Result<(), Error> {
        self.float(value, value.is_finite())
    }

    fn serialize_char(self, value: char) -> Result<(), Error> {
        self.serialize_str(value.encode_utf8(&mut [0; 4]))
    }

    fn serialize_bytes(self, _value: &[u8]) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_unit(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_none(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(key_must_be_a_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use std::collections::BTreeMap;

    /// Both serializers give the same text, or both fail.
    fn assert_as_serde_json<T: ?Sized + Serialize + fmt::Debug>(value: &T) {
        let mut out = Vec::new();
        let ours = write(&mut out, value, 0);
        match serde_json::to_string_pretty(value) {
            Ok(expected) => {
                ours.unwrap_or_else(|err| panic!("{value:?}: {err}"));
                assert_eq!(
                    String::from_utf8(out).expect("UTF-8"),
                    expected,
                    "{value:?}"
                );
            }
            Err(err) => assert!(ours.is_err(), "{value:?}: serde_json fails with {err}"),
        }
    }

    #[derive(Debug, Serialize)]
    enum Variants {
        Unit,
        Newtype(Option<u8>),
        Tuple(i32, String),
        EmptyTuple(),
        Struct {
            a: Vec<u8>,
            b: Option<Box<Variants>>,
        },
        EmptyStruct {},
    }

    #[derive(Debug, Serialize)]
    struct Unit;

    #[derive(Debug, Serialize)]
    struct Newtype(&'static str);

    #[derive(Debug, Serialize)]
    struct Pair(u8, &'static str);

    #[derive(Debug, Serialize)]
    struct Fields {
        #[serde(rename = "odd \"key\"\n")]
        odd: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        absent: Option<u8>,
        list: Vec<Vec<u8>>,
        nested: Vec<Fields>,
    }

    /// Pairs written as a map, for keys a `BTreeMap` cannot hold.
    #[derive(Debug)]
    struct Pairs<K, V>(Vec<(K, V)>);

    impl<K: Serialize, V: Serialize> Serialize for Pairs<K, V> {
        fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
        }
    }

    /// Bytes written as bytes, not as a list of numbers.
    #[derive(Debug)]
    struct Bytes(&'static [u8]);

    impl Serialize for Bytes {
        fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.serialize_bytes(self.0)
        }
    }

    #[test]
    fn scalars_are_written_as_serde_json_writes_them() {
        assert_as_serde_json(&true);
        assert_as_serde_json(&false);
        assert_as_serde_json(&());
        assert_as_serde_json(&None::<u8>);
        assert_as_serde_json(&Some(Some(3)));
        assert_as_serde_json(&'x');
        assert_as_serde_json(&'\u{2028}');
        assert_as_serde_json(&'"');
        assert_as_serde_json(&[i8::MIN, 0, i8::MAX]);
        assert_as_serde_json(&[i16::MIN, -1, i16::MAX]);
        assert_as_serde_json(&[i32::MIN, i32::MAX]);
        assert_as_serde_json(&[i64::MIN, i64::MAX]);
        assert_as_serde_json(&[i128::MIN, i128::MAX]);
        assert_as_serde_json(&[u8::MAX, u8::MIN]);
        assert_as_serde_json(&[u16::MAX]);
        assert_as_serde_json(&[u32::MAX]);
        assert_as_serde_json(&[u64::MAX, 0]);
        assert_as_serde_json(&[u128::MAX]);
        assert_as_serde_json(&[usize::MAX]);
        let doubles = [
            0.0,
            -0.0,
            1.0,
            -1.5,
            0.1,
            1.0 / 3.0,
            1e15,
            1e16,
            1e17,
            1e21,
            1e22,
            123_456_789.123,
            1e-7,
            0.000_001,
            1e300,
            5e-324,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            f64::EPSILON,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        assert_as_serde_json(&doubles);
        for double in doubles {
            assert_as_serde_json(&double);
        }
        let singles = [
            0.1f32,
            -0.0,
            1e-45,
            f32::MAX,
            16_777_217.0,
            f32::NAN,
            f32::INFINITY,
        ];
        assert_as_serde_json(&singles);
        assert_as_serde_json(&Bytes(b""));
        assert_as_serde_json(&Bytes(b"\x00\xff\n"));
        assert_as_serde_json(&Unit);
        assert_as_serde_json(&Newtype("\"quoted\""));
        assert_as_serde_json(&Pair(7, "\\"));
    }

    #[test]
    fn lists_objects_and_variants_are_written_as_serde_json_writes_them() {
        assert_as_serde_json(&Vec::<u8>::new());
        assert_as_serde_json(&vec![Vec::<u8>::new(), vec![1], vec![]]);
        assert_as_serde_json(&((), (1,), ("a", 2.5, None::<u8>)));
        assert_as_serde_json(&BTreeMap::<String, u8>::new());
        assert_as_serde_json(&Variants::Unit);
        assert_as_serde_json(&Variants::Newtype(None));
        assert_as_serde_json(&Variants::Newtype(Some(1)));
        assert_as_serde_json(&Variants::Tuple(-1, "\u{1}".to_string()));
        assert_as_serde_json(&Variants::EmptyTuple());
        assert_as_serde_json(&Variants::EmptyStruct {});
        let nested = Variants::Struct {
            a: vec![],
            b: Some(Box::new(Variants::Struct {
                a: vec![1, 2],
                b: Some(Box::new(Variants::EmptyStruct {})),
            })),
        };
        assert_as_serde_json(&nested);
        assert_as_serde_json(&vec![nested, Variants::Unit, Variants::EmptyTuple()]);
        let leaf = Fields {
            odd: true,
            absent: None,
            list: vec![vec![], vec![1, 2]],
            nested: vec![],
        };
        let tree = Fields {
            odd: false,
            absent: Some(1),
            list: vec![],
            nested: vec![
                leaf,
                Fields {
                    absent: Some(2),
                    ..Fields::empty()
                },
            ],
        };
        assert_as_serde_json(&tree);
        assert_as_serde_json(&Some(vec![Some(BTreeMap::from([("k", vec![(); 2])]))]));
    }

    impl Fields {
        fn empty() -> Fields {
            Fields {
                odd: false,
                absent: None,
                list: vec![],
                nested: vec![],
            }
        }
    }

    #[test]
    fn map_keys_are_written_or_refused_as_serde_json_does() {
        assert_as_serde_json(&BTreeMap::from([("b\n\"", 1), ("a", 2), ("", 3)]));
        assert_as_serde_json(&BTreeMap::from([(-1i64, "x"), (i64::MAX, "y")]));
        assert_as_serde_json(&BTreeMap::from([(u128::MAX, 'm'), (0, 'z')]));
        assert_as_serde_json(&BTreeMap::from([(i8::MIN, 1u8), (0, 2)]));
        assert_as_serde_json(&BTreeMap::from([(true, 1), (false, 0)]));
        assert_as_serde_json(&BTreeMap::from([('\u{0}', 1), ('é', 2)]));
        assert_as_serde_json(&BTreeMap::from([(Some("some"), 1)]));
        assert_as_serde_json(&Pairs(vec![(Variants::Unit, BTreeMap::from([(1, 2)]))]));
        assert_as_serde_json(&Pairs(vec![(1.5, 1), (-0.0, 2), (1e300, 3)]));
        assert_as_serde_json(&Pairs(vec![(0.1f32, "f32")]));
        assert_as_serde_json(&Pairs(vec![(f64::NAN, 1)]));
        assert_as_serde_json(&Pairs(vec![(f64::INFINITY, 1)]));
        assert_as_serde_json(&Pairs(vec![(None::<u8>, 1)]));
        assert_as_serde_json(&Pairs(vec![((), 1)]));
        assert_as_serde_json(&Pairs(vec![(Unit, 1)]));
        assert_as_serde_json(&Pairs(vec![(vec![1], 1)]));
        assert_as_serde_json(&Pairs(vec![((1, 2), 1)]));
        assert_as_serde_json(&Pairs(vec![(Pair(1, "a"), 1)]));
        assert_as_serde_json(&Pairs(vec![(Bytes(b"k"), 1)]));
        assert_as_serde_json(&Pairs(vec![(Variants::Newtype(None), 1)]));
        assert_as_serde_json(&Pairs(vec![(Variants::EmptyTuple(), 1)]));
        assert_as_serde_json(&Pairs(vec![(Variants::EmptyStruct {}, 1)]));
        assert_as_serde_json(&Pairs(vec![(BTreeMap::from([(1, 2)]), 1)]));
        assert_as_serde_json(&Pairs(vec![(Fields::empty(), 1)]));
        assert_as_serde_json(&Pairs(vec![(Newtype("newtype"), 1)]));
    }

    #[test]
    fn a_value_deep_in_a_document_is_indented_as_there() {
        let value = serde_json::json!({ "a": [1, { "b": [] }], "c": {} });
        let mut nested = serde_json::json!(0);
        for _ in 0..20 {
            nested = serde_json::json!([{ "level": nested }]);
        }
        for value in [value, nested] {
            let whole =
                serde_json::to_string_pretty(&serde_json::json!([[value]])).expect("serializes");
            let mut out = b"[\n  [\n    ".to_vec();
            write(&mut out, &value, 2).expect("writes");
            out.extend_from_slice(b"\n  ]\n]");
            assert_eq!(String::from_utf8(out).expect("UTF-8"), whole);
        }
    }

    fn any_json() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        use serde_json::Value;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            "(?s).{0,30}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::from),
                proptest::collection::btree_map("(?s).{0,12}", inner, 0..8)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]

        #[test]
        fn any_json_value_is_written_as_serde_json_writes_it(value in any_json()) {
            let mut out = Vec::new();
            write(&mut out, &value, 0).expect("writes");
            let expected = serde_json::to_string_pretty(&value).expect("serializes");
            proptest::prop_assert_eq!(String::from_utf8(out).expect("UTF-8"), expected);
        }
    }
}
