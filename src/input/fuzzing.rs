//! Entry points for the fuzz targets in `fuzz/`: the pieces of input reading that are
//! private to this module, exposed as they are. Nothing here adds behaviour; the command
//! line never uses it.

use super::{Options, Shape, Sink};
use anyhow::Result;
use std::io::BufRead;

pub use super::detect::{NotAnExport, Reader, detect};
pub use super::json::quick_and_serde;
pub use super::time::{
    LocaleTime, parse_any_rfc3339, parse_azure_utc, parse_naive_iso, parse_zoned,
};

/// Reads one input from any buffered reader, as [`read`](super::read) does once it has
/// opened a unit: the BOM, the shape (detected or forced by `options.format`), the records.
///
/// # Errors
///
/// The same as [`read`](super::read): the input as a whole cannot be read.
pub fn read_from(
    reader: &mut dyn BufRead,
    input: usize,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<Shape> {
    super::read_from(reader, input, options, options.workers(), sink)
}
