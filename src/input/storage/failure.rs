//! What went wrong with the storage account, in words a user can act on: credentials
//! refused, a container that does not exist, an endpoint that cannot be reached (after
//! the retries), a blob deleted since it was listed. Messages never carry a SAS token.

use object_store::Error;
use std::fmt;

/// A listed blob that is no longer there when read: reported, and the run goes on.
#[derive(Debug)]
pub struct Vanished;

impl fmt::Display for Vanished {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the blob was deleted after it was listed")
    }
}

impl std::error::Error for Vanished {}

/// Whether an error says a listed blob is gone.
pub fn is_vanished(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause.is::<Vanished>()
            || cause
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .is_some_and(|inner| inner.is::<Vanished>())
    })
}

/// A listing's failure: the container or the credentials are the usual suspects.
pub fn describe_listing(err: &Error, credential_from: &str, endpoint: &str) -> String {
    match err {
        Error::NotFound { .. } => {
            "the container does not exist (or the account does not): check its name".to_string()
        }
        Error::Unauthenticated { .. } | Error::PermissionDenied { .. } => format!(
            "the storage account refused the credentials ({credential_from}): check the account key or the SAS token, its expiry and its read and list permissions{}",
            status_detail(err)
        ),
        other => describe_other(other, endpoint),
    }
}

/// A blob's failure other than being gone.
pub fn describe_blob(err: &Error) -> String {
    match err {
        Error::Unauthenticated { .. } | Error::PermissionDenied { .. } => format!(
            "the storage account refused to let the blob be read: check the credentials' read permission{}",
            status_detail(err)
        ),
        other => describe_other(other, ""),
    }
}

fn describe_other(err: &Error, endpoint: &str) -> String {
    let text = redact(&format!("{err}"));
    if endpoint.is_empty() {
        text
    } else {
        format!("cannot reach {endpoint} (retried with back-off): {text}")
    }
}

/// The storage service's own code (`AuthenticationFailed`), when the message has one.
fn status_detail(err: &Error) -> String {
    let text = format!("{err}");
    for code in [
        "AuthenticationFailed",
        "AuthorizationFailure",
        "AuthorizationPermissionMismatch",
        "AuthorizationResourceTypeMismatch",
        "NoAuthenticationInformation",
        "InvalidAuthenticationInfo",
    ] {
        if text.contains(code) {
            return format!(" (the service says {code})");
        }
    }
    String::new()
}

/// The text with every `sig=` value (a SAS token's secret) hidden.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.to_ascii_lowercase().find("sig=") {
        out.push_str(&rest[..at + 4]);
        out.push_str("REDACTED");
        let after = &rest[at + 4..];
        let end = after
            .find(|c: char| c == '&' || c.is_whitespace() || c == '"' || c == '\'' || c == ')')
            .unwrap_or(after.len());
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sas_signatures_never_reach_a_message() {
        assert_eq!(
            redact("GET http://h/c?restype=container&sv=1&sig=abc%2Fdef&se=x failed"),
            "GET http://h/c?restype=container&sv=1&sig=REDACTED&se=x failed"
        );
        assert_eq!(redact("SIG=zz"), "SIG=REDACTED");
        assert_eq!(redact("no secret"), "no secret");
    }
}
