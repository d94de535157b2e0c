//! A text many parts of a report repeat (an SDK version, a protocol), stored once and
//! shared: a large fleet's report would otherwise hold a copy per identity.

use serde::{Serialize, Serializer};
use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// An immutable text whose clones share one allocation. It reads as a `&str` and is
/// written (serialized, displayed) exactly as the text itself.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SharedText(Arc<str>);

impl SharedText {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for SharedText {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for SharedText {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for SharedText {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for SharedText {
    fn from(text: &str) -> SharedText {
        SharedText(Arc::from(text))
    }
}

impl From<String> for SharedText {
    fn from(text: String) -> SharedText {
        SharedText(Arc::from(text))
    }
}

impl fmt::Display for SharedText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for SharedText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_text_is_written_as_its_text_and_clones_share_it() {
        let text = SharedText::from("Mqtt \"v5\"");
        let copy = text.clone();
        assert!(Arc::ptr_eq(&text.0, &copy.0));
        assert_eq!(
            serde_json::to_string(&Some(copy)).expect("serializes"),
            serde_json::to_string(&Some("Mqtt \"v5\"")).expect("serializes")
        );
        assert_eq!(format!("{text}"), "Mqtt \"v5\"");
    }
}
