//! The structural scanner: from token to token through the containers it walks (arrays of
//! units, wrappers, `tables` and their tables, top-level objects not yet known to be
//! wrappers), turning each whole element into a unit and stepping back wherever it
//! cannot vouch for what serde would make of the input.

use super::tokens::{Extent, Header, Key, member_header, skip_whitespace};
use super::{
    Columns, Context, Doing, Frame, Kind, MAX_DEPTH, Piece, Role, Slot, Splitter, Step, UnitKind,
};
use crate::input::Shape;
use crate::input::fields::{Field, KeyKind};
use serde_json::Value;
use std::sync::Arc;

#[derive(serde::Deserialize, serde::Serialize)]
struct Column {
    name: String,
}

impl Splitter<'_> {
    pub(super) fn scan(&mut self) -> Step {
        loop {
            let step = match self.doing {
                Doing::Idle => self.structure(),
                Doing::Unit { .. } => self.unit(),
                Doing::Member { .. } => self.member_value(),
            };
            if let Some(step) = step {
                return step;
            }
        }
    }

    /// Between tokens: reads the next structural token of the innermost container.
    fn structure(&mut self) -> Option<Step> {
        let pending = matches!(
            self.stack.last(),
            Some(Frame {
                kind: Kind::Pending { .. },
                ..
            })
        );
        if !pending {
            self.clean = self.pos;
            if self.pos > 0 && (self.pos >= self.block_size || self.cut_now) {
                return Some(Step::Cut);
            }
        }
        self.pos = skip_whitespace(&self.buf, self.pos);
        let Some(&byte) = self.buf.get(self.pos) else {
            return Some(if !self.eof {
                Step::More
            } else if self.stack.is_empty() && self.documents > 0 {
                Step::Done
            } else {
                // A document cut off, or no document at all: serde has the words.
                Step::Stop
            });
        };
        let Some(frame) = self.stack.last_mut() else {
            return self.document(byte);
        };
        match (&frame.kind, frame.slot, byte) {
            (Kind::Units(_) | Kind::Tables { .. }, Slot::Open | Slot::Value, b']') => {
                self.pos += 1;
                self.close();
            }
            (Kind::Units(_), Slot::Open | Slot::Comma, _) => {
                let Some(extent) = Extent::start(byte, self.pos) else {
                    return Some(Step::Stop);
                };
                self.doing = Doing::Unit {
                    start: self.pos,
                    first: frame.slot == Slot::Open,
                    extent,
                };
            }
            (Kind::Tables { .. }, Slot::Open | Slot::Comma, b'{') => {
                frame.kind = Kind::Tables {
                    first: frame.slot == Slot::Open,
                };
                frame.slot = Slot::Value;
                self.pos += 1;
                self.stack.push(Frame {
                    kind: Kind::Table { columns: None },
                    slot: Slot::Open,
                });
            }
            (_, Slot::Value, b',') => {
                frame.slot = Slot::Comma;
                self.pos += 1;
            }
            (Kind::Wrapper { .. } | Kind::Table { .. } | Kind::Pending { .. }, slot, b'}')
                if slot != Slot::Comma =>
            {
                self.pos += 1;
                if !self.close() {
                    return Some(Step::Stop);
                }
            }
            (Kind::Wrapper { .. } | Kind::Table { .. } | Kind::Pending { .. }, slot, b'"')
                if slot != Slot::Value =>
            {
                return self.member();
            }
            _ => return Some(Step::Stop),
        }
        None
    }

    /// At the top level: a document begins.
    fn document(&mut self, byte: u8) -> Option<Step> {
        match byte {
            b'[' => {
                self.documents += 1;
                self.pos += 1;
                self.pieces.push(Piece::Saw(Shape::JsonArray));
                self.push_units(UnitKind::Value(1));
                None
            }
            b'{' => {
                self.documents += 1;
                self.stack.push(Frame {
                    kind: Kind::Pending {
                        start: self.pos,
                        members_end: None,
                        error: None,
                    },
                    slot: Slot::Open,
                });
                self.pos += 1;
                None
            }
            // A bare string or number as a document: not worth a fast path.
            _ => Some(Step::Stop),
        }
    }

    fn push_units(&mut self, kind: UnitKind) {
        let mut prefix = Vec::new();
        self.write_skeleton(&mut prefix, true);
        prefix.push(b'[');
        let context = Arc::new(Context { kind, prefix });
        self.stack.push(Frame {
            kind: Kind::Units(context),
            slot: Slot::Open,
        });
    }

    /// The closing bracket of the innermost container was read; false when what it
    /// closes is left to serde.
    fn close(&mut self) -> bool {
        let Some(frame) = self.stack.pop() else {
            return false;
        };
        match frame.kind {
            Kind::Pending { start, .. } => {
                // No wrapper key: the object is a record.
                if self.pos - start > self.unit_limit {
                    self.stack.push(frame);
                    return false;
                }
                let context = self.context_index(&Arc::clone(&self.top_level));
                self.pieces.push(Piece::Unit {
                    start,
                    end: self.pos,
                    context,
                    first: true,
                });
            }
            Kind::Wrapper {
                error: Some(error), ..
            } => {
                self.pieces.push(Piece::Partial(error));
                self.cut_now = true;
            }
            _ => {}
        }
        true
    }

    fn context_index(&mut self, context: &Arc<Context>) -> usize {
        match self.contexts.last() {
            Some(last) if Arc::ptr_eq(last, context) => {}
            _ => self.contexts.push(Arc::clone(context)),
        }
        self.contexts.len() - 1
    }

    /// Scans on through the element being read; once whole, it becomes a unit.
    fn unit(&mut self) -> Option<Step> {
        let Doing::Unit {
            start,
            first,
            ref mut extent,
        } = self.doing
        else {
            return None;
        };
        let Some(end) = extent.scan(&self.buf) else {
            return Some(Step::More);
        };
        if self.stack.len() + extent.max_depth > MAX_DEPTH || end - start > self.unit_limit {
            return Some(Step::Stop);
        }
        let Some(Frame {
            kind: Kind::Units(context),
            slot,
        }) = self.stack.last_mut()
        else {
            return Some(Step::Stop);
        };
        *slot = Slot::Value;
        let context = Arc::clone(context);
        let context = self.context_index(&context);
        self.pieces.push(Piece::Unit {
            start,
            end,
            context,
            first,
        });
        self.pos = end;
        self.doing = Doing::Idle;
        None
    }

    /// A key of a wrapper, a table or a pending object, up to the start of its value.
    fn member(&mut self) -> Option<Step> {
        let (key, value) = match member_header(&self.buf, self.pos) {
            Header::More => return Some(Step::More),
            Header::Invalid => return Some(Step::Stop),
            Header::Member(key, value) => (Key::of(&key), value),
        };
        let Some(frame) = self.stack.last_mut() else {
            return Some(Step::Stop);
        };
        let opens_array = self.buf[value] == b'[';
        let role = match &mut frame.kind {
            Kind::Table { columns } => {
                if key.columns {
                    Role::Columns
                } else if key.rows {
                    // Rows before their columns are left to serde, which keeps them.
                    let (Some(columns), true) = (columns, opens_array) else {
                        return Some(Step::Stop);
                    };
                    let fields = columns.fields.clone();
                    frame.slot = Slot::Value;
                    self.pos = value + 1;
                    self.push_units(UnitKind::Row(fields));
                    return None;
                } else {
                    Role::Skip
                }
            }
            Kind::Wrapper { .. } | Kind::Pending { .. } => match key.kind {
                kind @ (KeyKind::Records | KeyKind::Tables) => {
                    return self.wrapper_child(kind, value);
                }
                KeyKind::Error if matches!(frame.kind, Kind::Pending { .. }) => Role::PendingError,
                KeyKind::Error => Role::Error,
                _ if matches!(frame.kind, Kind::Pending { .. }) => Role::Pending,
                _ => Role::Skip,
            },
            Kind::Units(_) | Kind::Tables { .. } => return Some(Step::Stop),
        };
        let Some(extent) = Extent::start(self.buf[value], value) else {
            return Some(Step::Stop);
        };
        self.doing = Doing::Member {
            start: value,
            role,
            extent,
        };
        None
    }

    /// The array of a `records` or `tables` key of a top-level object begins.
    fn wrapper_child(&mut self, kind: KeyKind, value: usize) -> Option<Step> {
        if self.buf[value] != b'[' {
            return Some(Step::Stop);
        }
        let Some(frame) = self.stack.last_mut() else {
            return Some(Step::Stop);
        };
        if let Kind::Pending {
            start,
            members_end,
            error,
        } = frame.kind
        {
            // The members before the key were only scanned: serde must accept them (as
            // it reads a record's members) for this to be a wrapper it would have read.
            let error = match members_end {
                Some(end) => {
                    let mut members = self.buf[start..end].to_vec();
                    members.push(b'}');
                    if serde_json::from_slice::<Value>(&members).is_err() {
                        return Some(Step::Stop);
                    }
                    match error.map(|(from, to)| serde_json::from_slice(&self.buf[from..to])) {
                        Some(Ok(value)) => Some(value),
                        Some(Err(_)) => return Some(Step::Stop),
                        None => None,
                    }
                }
                None => None,
            };
            frame.kind = Kind::Wrapper { error, child: b"" };
        }
        let Kind::Wrapper { child, .. } = &mut frame.kind else {
            return Some(Step::Stop);
        };
        frame.slot = Slot::Value;
        self.pos = value + 1;
        if kind == KeyKind::Records {
            *child = b"\"records\"";
            self.pieces.push(Piece::Saw(Shape::Records));
            self.push_units(UnitKind::Value(2));
        } else {
            *child = b"\"tables\"";
            self.pieces.push(Piece::Saw(Shape::Tables));
            self.stack.push(Frame {
                kind: Kind::Tables { first: true },
                slot: Slot::Open,
            });
        }
        None
    }

    /// Scans on through a member's value; once whole, it is checked or kept.
    fn member_value(&mut self) -> Option<Step> {
        let Doing::Member {
            start,
            role,
            ref mut extent,
        } = self.doing
        else {
            return None;
        };
        let Some(end) = extent.scan(&self.buf) else {
            return Some(Step::More);
        };
        if self.stack.len() + extent.max_depth > MAX_DEPTH || end - start > self.unit_limit {
            return Some(Step::Stop);
        }
        let value = &self.buf[start..end];
        let Some(frame) = self.stack.last_mut() else {
            return Some(Step::Stop);
        };
        match (role, &mut frame.kind) {
            (Role::Skip, _) => {
                // A `Value` accepts no less than what serde reads these members with.
                if serde_json::from_slice::<Value>(value).is_err() {
                    return Some(Step::Stop);
                }
            }
            (
                Role::Pending | Role::PendingError,
                Kind::Pending {
                    members_end, error, ..
                },
            ) => {
                *members_end = Some(end);
                if role == Role::PendingError {
                    *error = Some((start, end));
                }
            }
            (Role::Error, Kind::Wrapper { error, .. }) => match serde_json::from_slice(value) {
                Ok(value) => *error = Some(value),
                Err(_) => return Some(Step::Stop),
            },
            (Role::Columns, Kind::Table { columns }) => {
                let Ok(list) = serde_json::from_slice::<Vec<Column>>(value) else {
                    return Some(Step::Stop);
                };
                let Ok(json) = serde_json::to_vec(&list) else {
                    return Some(Step::Stop);
                };
                let fields = list.iter().map(|c| Field::from_key(&c.name)).collect();
                *columns = Some(Columns { json, fields });
            }
            _ => return Some(Step::Stop),
        }
        frame.slot = Slot::Value;
        self.pos = end;
        self.doing = Doing::Idle;
        None
    }
}
