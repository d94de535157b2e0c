//! The walker's state: where in which input it is, the sink it hands records to, and the
//! shape it saw. The serde seeds that walk a document with it are in `seeds`.

use crate::input::fields::clip;
use crate::input::raw::{Outcome, RawRecord};
use crate::input::{Shape, Sink};
use crate::model::Position;
use serde_json::Value;

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

    pub(super) fn emit_not_object(&mut self, what: &str, wrapped: bool) {
        let position = self.position(wrapped);
        self.sink.outcome(
            position,
            Outcome::Skipped(format!("{what} is not a record object")),
        );
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
