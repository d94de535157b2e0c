//! Which valid records the user asked to analyze. A record left out here is counted as
//! filtered, with the reason, like any other out-of-scope record.

use super::DeviceKey;
use crate::model::Record;

/// The user's selection; the default keeps everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only this identity (a device, or a device's module).
    pub device: Option<DeviceKey>,
}

impl Filter {
    /// Why the record is left out, or `None` when it is kept.
    pub fn reason(&self, record: &Record) -> Option<&'static str> {
        if let Some(device) = &self.device
            && (record.device_id != device.device_id || record.module_id != device.module_id)
        {
            return Some("another device than the one asked for");
        }
        None
    }
}
