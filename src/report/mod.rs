//! The renderers: one per output format, each a pure function of the analysis's
//! [`Report`](crate::analysis::Report) over a writer.

pub mod codes;
pub mod csv;
pub mod github;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod ndjson;
pub mod options;
pub mod sarif;
pub mod table;
pub mod timeline;
