//! Lists and objects being written, member by member, as serde_json's `Compound`.

use super::key::KeySerializer;
use super::{Error, Pretty};
use crate::report::json::escape::write_str;
use serde::ser::{self, Serialize};

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
    pub(super) fn open(ser: &'a mut Pretty<'o>, brackets: (u8, u8), len: Option<usize>) -> Self {
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
        key.serialize(KeySerializer { out: self.ser.out })
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

/// Lists: a sequence, a tuple and a tuple struct are written alike.
macro_rules! list {
    ($($kind:ident::$method:ident),* $(,)?) => {
        $(
            impl ser::$kind for Compound<'_, '_> {
                type Ok = ();
                type Error = Error;

                fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
                    self.element(value)
                }

                fn end(self) -> Result<(), Error> {
                    self.close(b']');
                    Ok(())
                }
            }
        )*
    };
}

list!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
);

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
