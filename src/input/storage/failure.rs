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
                .is_some_and(
                    <dyn std::error::Error + std::marker::Send + std::marker::Sync + 'static>::is::<
                        Vanished,
                    >,
                )
    })
}

/// A listing's failure: the container or the credentials are the usual suspects.
pub fn describe_listing(err: &Error, credential_from: &str, endpoint: &str) -> String {
    let text = err.to_string();
    let code = service_code(&text);
    match (err, status(&text)) {
        (Error::NotFound { .. }, _) | (_, Some(404)) => format!(
            "the container does not exist: check its name and the account's{}",
            said(code)
        ),
        (Error::Unauthenticated { .. } | Error::PermissionDenied { .. }, _)
        | (_, Some(401 | 403)) => format!(
            "the storage account refused the credentials ({credential_from}): check the account key or the SAS token, its expiry and its read and list permissions{}",
            said(code)
        ),
        (_, Some(status)) => format!(
            "{endpoint} answered HTTP {status}{} (retried with back-off)",
            said(code)
        ),
        (_, None) => format!(
            "cannot reach {endpoint} (retried with back-off): {}",
            redact(&text)
        ),
    }
}

/// A blob's failure other than being gone.
pub fn describe_blob(err: &Error) -> String {
    let text = err.to_string();
    let code = service_code(&text);
    match (err, status(&text)) {
        (Error::Unauthenticated { .. } | Error::PermissionDenied { .. }, _)
        | (_, Some(401 | 403)) => format!(
            "the storage account refused to let the blob be read: check the credentials' read permission{}",
            said(code)
        ),
        (_, Some(status)) => format!("the service answered HTTP {status}{}", said(code)),
        (_, None) => redact(&text),
    }
}

/// The HTTP status in an `object_store` error's text.
fn status(text: &str) -> Option<u16> {
    let at = text.find("status code: ")? + "status code: ".len();
    text.get(at..at + 3)?.parse().ok()
}

/// The storage service's own error code (`AuthenticationFailed`, `ContainerNotFound`).
fn service_code(text: &str) -> Option<&str> {
    let start = text.find("<Code>")? + "<Code>".len();
    let end = start + text[start..].find("</Code>")?;
    let code = &text[start..end];
    (!code.is_empty() && code.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(code)
}

fn said(code: Option<&str>) -> String {
    code.map(|code| format!(" (the service says {code})"))
        .unwrap_or_default()
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
    fn statuses_and_service_codes_are_read_from_the_error_text() {
        let text = "Error performing GET x in 4ms - Server returned non-2xx status code: 403 Forbidden: <?xml?><Error><Code>AuthorizationFailure</Code>";
        assert_eq!(status(text), Some(403));
        assert_eq!(service_code(text), Some("AuthorizationFailure"));
        assert_eq!(status("error sending request"), None);
        assert_eq!(service_code("<Code><script></Code>"), None);
    }

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
