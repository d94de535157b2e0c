//! Every documentation link the tool prints, in one place. Each was checked against the
//! page Microsoft serves today, and carries an anchor only where the section it names
//! could be seen on that page: the error-code article was rewritten into tables per code
//! family (`400xxx Bad request errors`, ...), and the per-code sections the older
//! anchors named (`#404104-deviceconnectionclosedremotely`) are gone, so the codes link
//! the article itself.

/// "Understand and resolve Azure IoT Hub errors": every code's cause and solution.
pub const ERROR_CODES: &str = "https://learn.microsoft.com/azure/iot-hub/troubleshoot-error-codes";

/// "Monitor, diagnose, and troubleshoot Azure IoT Hub device connectivity": where the SDKs'
/// token renewal and keep-alive behaviour is described.
pub const CONNECTIVITY: &str =
    "https://learn.microsoft.com/azure/iot-hub/iot-hub-troubleshoot-connectivity";

/// Every link above, for the tests that hold the code table to them.
pub const ALL: [&str; 2] = [ERROR_CODES, CONNECTIVITY];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_https_on_learn_microsoft_com_without_a_language() {
        for link in ALL {
            assert!(
                link.starts_with("https://learn.microsoft.com/azure/"),
                "{link}"
            );
        }
    }
}
