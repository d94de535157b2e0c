//! What to do, said once: the findings table gives a few words per finding, and the full
//! advice follows in one section, each text once with the identities it is for.

use super::layout::wrap;
use super::table::{Style, name_list};
use crate::model::InsightKind;
use std::io::{self, Write};

/// The full texts of what to do, each once, with who it is for, in order of first use.
#[derive(Default)]
pub(super) struct Advice {
    entries: Vec<(String, String, Vec<String>)>,
    index: std::collections::BTreeMap<String, usize>,
}

impl Advice {
    pub(super) fn add(&mut self, short: &str, action: &str, who: &str) {
        let key = format!("{short}\u{0}{action}");
        let at = *self.index.entry(key).or_insert_with(|| {
            self.entries
                .push((short.to_string(), action.to_string(), Vec::new()));
            self.entries.len() - 1
        });
        self.entries[at].2.push(who.to_string());
    }

    pub(super) fn render(&self, style: Style, out: &mut dyn Write) -> io::Result<()> {
        if self.entries.is_empty() {
            return Ok(());
        }
        writeln!(out, "\nWhat to do")?;
        let columns = usize::from(style.width);
        for (short, action, who) in &self.entries {
            writeln!(
                out,
                "{}",
                wrap(
                    &format!("{short}: {}", name_list(who)),
                    columns,
                    "  ",
                    "    "
                )
            )?;
            writeln!(out, "{}", wrap(action, columns, "    ", "    "))?;
        }
        Ok(())
    }
}

/// The few words the findings table gives for what to do; the full text follows once.
pub(super) fn short_action(kind: InsightKind) -> &'static str {
    match kind {
        InsightKind::TokenRenewal => "none: renewal",
        InsightKind::Flapping => "fix the drops",
        InsightKind::DuplicateIdentity => "one client per id",
        InsightKind::CredentialFailure => "renew credential",
        InsightKind::Offline => "check the device",
        InsightKind::Takeover => "none if rare",
        InsightKind::PeriodicDrop => "check idle timeouts",
        InsightKind::SideEffect => "fix first error",
        InsightKind::HubIncident => "Resource Health",
        InsightKind::MassDisconnect => "check the site",
        InsightKind::Throttling => "back off; the tier",
        InsightKind::Cohort => "compare the group",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_piece_of_advice_is_said_once_with_everyone_it_is_for() {
        let mut advice = Advice::default();
        advice.add("none if rare", "Close the client first.", "gw-1");
        advice.add("fix the drops", "Check keep-alive.", "cam-12");
        advice.add("none if rare", "Close the client first.", "sensor-17");
        let mut out = Vec::new();
        let style = Style {
            width: 80,
            color: false,
            hyperlinks: false,
            top: 0,
        };
        advice.render(style, &mut out).expect("renders");
        assert_eq!(
            String::from_utf8(out).expect("text"),
            "\nWhat to do\n  none if rare: gw-1, sensor-17\n    Close the client first.\n  \
             fix the drops: cam-12\n    Check keep-alive.\n"
        );
    }
}
