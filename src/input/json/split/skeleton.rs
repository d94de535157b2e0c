//! Skeletons: a few bytes of JSON that bring the serde walker to the state the scanner
//! is in, each container opened and dummies standing for what was already read, so that
//! the walker can read on from there (or parse one unit) as if it had read it all.

use super::{Frame, Kind, Resync, Slot, Splitter};

impl Splitter<'_> {
    /// The skeleton of the stack as it stands at the last clean point.
    pub(super) fn skeleton(&self) -> Resync {
        let mut skeleton = Vec::new();
        if matches!(
            self.stack.last(),
            Some(Frame {
                kind: Kind::Pending { .. },
                ..
            })
        ) {
            // A pending object is read again from its start, at the top level.
            return Resync {
                skeleton,
                dummies: 0,
            };
        }
        let dummies = self.write_skeleton(&mut skeleton, false);
        Resync { skeleton, dummies }
    }

    /// Writes JSON that leaves the serde walker where the scanner is: each container
    /// opened, with dummy members or elements that stand for those already read; with
    /// `child`, up to where the innermost container's child array opens. Returns how
    /// many outcomes the dummies make.
    pub(super) fn write_skeleton(&self, out: &mut Vec<u8>, child: bool) -> u64 {
        let mut dummies = 0;
        for (index, frame) in self.stack.iter().enumerate() {
            let innermost = index + 1 == self.stack.len() && !child;
            let slot = frame.slot;
            match &frame.kind {
                Kind::Units(_) => {
                    out.push(b'[');
                    if slot != Slot::Open {
                        out.push(b'0');
                        dummies += 1;
                    }
                }
                Kind::Tables { first } => {
                    out.push(b'[');
                    if innermost && slot != Slot::Open || !innermost && !first {
                        out.extend_from_slice(b"{}");
                    }
                    if !innermost && !first {
                        out.push(b',');
                    }
                }
                Kind::Wrapper { error, child } => {
                    // An empty `records` makes it a wrapper for serde too.
                    out.extend_from_slice(b"{\"records\":[]");
                    if let Some(error) = error {
                        out.extend_from_slice(b",\"error\":");
                        out.extend_from_slice(error.to_string().as_bytes());
                    }
                    if !innermost {
                        out.push(b',');
                        out.extend_from_slice(child);
                        out.push(b':');
                    }
                }
                Kind::Table { columns } => {
                    out.push(b'{');
                    match columns {
                        Some(columns) => {
                            out.extend_from_slice(b"\"columns\":");
                            out.extend_from_slice(&columns.json);
                        }
                        None if slot != Slot::Open => out.extend_from_slice(b"\"\":0"),
                        None => {}
                    }
                    if !innermost {
                        out.extend_from_slice(b",\"rows\":");
                    }
                }
                Kind::Pending { .. } => {}
            }
            match slot {
                Slot::Comma if innermost => out.push(b','),
                // So that a dummy `0` and what follows are not read as one number.
                Slot::Value if innermost => out.push(b' '),
                _ => {}
            }
        }
        dummies
    }
}
