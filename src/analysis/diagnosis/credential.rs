//! Credential failure: the hub keeps refusing the device's token or certificate
//! (`401003 IotHubUnauthorized`) and the device never gets back in. Causes: an expired or
//! regenerated key, clock drift above about five minutes, a wrong thumbprint or CA, a
//! disabled device.
//!
//! Counts the `401003`s after the device's last successful connect, leaving out those
//! that are part of a token renewal cycle. This covers "no successful connect after the
//! first of them", and also a device that worked, then started failing and never recovered.
//! Only an export that holds successful connects can show that none followed: on an
//! errors-only export this is never a finding.

use super::insight::{Evidence, Insight, code_counts, rfc3339, sample_times};
use super::thresholds::Thresholds;
use crate::analysis::event::Event;
use crate::model::{InsightKind, Severity};

const UNAUTHORIZED: u32 = 401_003;

/// `expected` marks the events token renewal explains (same length as `events`).
pub fn detect(
    events: &[Event],
    expected: &[bool],
    connects_logged: bool,
    t: &Thresholds,
) -> Option<Insight> {
    if !connects_logged {
        return None;
    }
    let after_last_connect = events
        .iter()
        .rposition(Event::is_successful_connect)
        .map_or(0, |last| last + 1);
    let failures: Vec<&Event> = events
        .iter()
        .enumerate()
        .skip(after_last_connect)
        .filter(|(i, e)| e.code == Some(UNAUTHORIZED) && expected.get(*i) != Some(&true))
        .map(|(_, e)| e)
        .collect();
    if failures.len() < t.credential_min_401003 as usize {
        return None;
    }
    let (start, end) = (failures.first()?.time, failures.last()?.time);
    let times: Vec<_> = failures.iter().map(|e| e.time).collect();
    Some(Insight {
        kind: InsightKind::CredentialFailure,
        severity: Severity::High,
        summary: format!(
            "Credential failure: 401003 x{} since {} with no successful connect after",
            failures.len(),
            rfc3339(start)
        ),
        action: "Regenerate the SAS key or token, or renew the X.509 certificate; sync the \
                 device clock (NTP: drift above 5 min breaks tokens); check the certificate \
                 thumbprint or CA, and that the device is enabled"
            .to_string(),
        start,
        end,
        first_event: failures.first().map(|e| e.sequence),
        location: None,
        evidence: Evidence {
            count: Some(failures.len() as u64),
            codes: code_counts(failures.iter().filter_map(|e| e.code)),
            times: sample_times(&times),
            ..Evidence::default()
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::diagnosis::testing::*;
    use crate::analysis::diagnosis::token_renewal;

    fn credential(events: &[Event]) -> Option<Insight> {
        let t = Thresholds::default();
        let context = token_renewal::Context {
            connects_logged: true,
            sdk_version: None,
            module: false,
        };
        detect(
            events,
            &token_renewal::detect(events, context, &t).expected,
            true,
            &t,
        )
    }

    #[test]
    fn repeated_401003_with_no_connect_after_is_a_high_credential_failure() {
        let events = timeline(vec![
            ev("09:00:00", Connect, None, None),
            ev("09:10:00", Disconnect, Some(401_003), None),
            ev("09:11:00", Connect, Some(401_003), None),
            ev("09:12:00", Connect, Some(401_003), None),
            ev("09:13:00", Connect, Some(401_003), None),
        ]);
        let insight = credential(&events).expect("credential failure");
        assert_eq!(insight.severity, Severity::High);
        assert_eq!(insight.evidence.count, Some(4));
        assert_eq!(
            insight.summary,
            "Credential failure: 401003 x4 since 2026-03-02T09:10:00Z with no successful connect \
             after"
        );
        assert!(insight.action.contains("NTP"));
    }

    #[test]
    fn an_errors_only_export_cannot_show_a_credential_failure() {
        let events = timeline(vec![
            ev("09:10:00", Connect, Some(401_003), None),
            ev("09:11:00", Connect, Some(401_003), None),
            ev("09:12:00", Connect, Some(401_003), None),
        ]);
        let t = Thresholds::default();
        assert_eq!(detect(&events, &[false; 3], false, &t), None);
        assert!(detect(&events, &[false; 3], true, &t).is_some());
    }

    #[test]
    fn look_alikes_of_a_credential_failure_are_not_one() {
        let recovered = timeline(vec![
            ev("09:10:00", Connect, Some(401_003), None),
            ev("09:11:00", Connect, Some(401_003), None),
            ev("09:12:00", Connect, Some(401_003), None),
            ev("09:13:00", Connect, None, None),
        ]);
        let two = timeline(vec![
            ev("09:10:00", Connect, Some(401_003), None),
            ev("09:11:00", Connect, Some(401_003), None),
        ]);
        let cases = [
            ("recovered with a successful connect", recovered),
            ("fewer than the minimum", two),
            (
                "a steady token renewal",
                renewals(at("06:00:00"), minutes(65), 12),
            ),
            (
                "a reconnect loop that keeps connecting",
                renewals(at("06:00:00"), minutes(3), 10),
            ),
        ];
        for (case, events) in cases {
            assert_eq!(credential(&events), None, "{case}");
        }
    }
}
