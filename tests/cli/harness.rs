//! One way to run the binary in tests: a builder for its command line, input and
//! environment, and what a run gave, with the checks the tests share.
//!
//! ```ignore
//! Triage::new().args(["analyze", "-"]).stdin(log).run().exits(0).json();
//! ```

use assert_cmd::Command;
use serde_json::Value;
use std::ffi::OsStr;

/// The binary about to run, with a fixed environment so that its output does not depend
/// on the caller's shell.
pub struct Triage {
    command: Command,
    name: String,
}

impl Triage {
    pub fn new() -> Triage {
        let mut command = Command::cargo_bin("iothub-triage").expect("binary is built");
        command.env_remove("COLUMNS").env_remove("NO_COLOR");
        Triage {
            command,
            name: "iothub-triage".to_string(),
        }
    }

    pub fn args<I, S>(mut self, args: I) -> Triage
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        for arg in args {
            let arg = arg.as_ref();
            self.name.push(' ');
            self.name.push_str(&arg.to_string_lossy());
            self.command.arg(arg);
        }
        self
    }

    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Triage {
        self.command.write_stdin(bytes.into());
        self
    }

    /// The command itself, for assert_cmd's own checks.
    pub fn into_command(self) -> Command {
        self.command
    }

    pub fn run(mut self) -> Ran {
        let output = self.command.output().expect("the binary runs");
        Ran {
            name: self.name,
            code: output.status.code(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            stdout: output.stdout,
        }
    }
}

/// Runs the binary with these arguments and this standard input.
pub fn run(args: &[&str], stdin: &[u8]) -> Ran {
    Triage::new().args(args).stdin(stdin).run()
}

/// What one run gave.
pub struct Ran {
    /// The command line, for messages.
    pub name: String,
    pub code: Option<i32>,
    pub stderr: String,
    pub stdout: Vec<u8>,
}

impl Ran {
    pub fn exits(&self, code: i32) -> &Ran {
        assert_eq!(self.code, Some(code), "{}: {}", self.name, self.stderr);
        self
    }

    /// Stderr is exactly these lines.
    pub fn stderr_is(&self, lines: &[&str]) -> &Ran {
        let found: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(found, lines, "{}", self.name);
        self
    }

    pub fn stderr_has(&self, text: &str) -> &Ran {
        assert!(
            self.stderr.contains(text),
            "{}: {text:?} not in {}",
            self.name,
            self.stderr
        );
        self
    }

    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Stdout as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.stdout)
            .unwrap_or_else(|err| panic!("{}: the report is not JSON: {err}", self.name))
    }

    /// The JSON report's counts: read, skipped, filtered, analyzed, after checking that
    /// they reconcile in total and per input, and that the inputs add up to the total.
    pub fn counts(&self) -> [u64; 4] {
        let report = self.json();
        let count = |value: &Value, key: &str| value[key].as_u64().expect(key);
        let four = |value: &Value| {
            [
                count(value, "records_read"),
                count(value, "records_skipped"),
                count(value, "records_filtered"),
                count(value, "records_analyzed"),
            ]
        };
        let total = four(&report["summary"]);
        assert_eq!(total[0], total[1] + total[2] + total[3], "{}", self.name);
        let inputs = report["inputs"].as_array().expect("inputs");
        for input in inputs {
            let [read, skipped, filtered, analyzed] = four(input);
            assert_eq!(
                read,
                skipped + filtered + analyzed,
                "{}: {input}",
                self.name
            );
        }
        let summed = inputs.iter().map(four).fold([0; 4], |mut sum, counts| {
            for (sum, count) in sum.iter_mut().zip(counts) {
                *sum += count;
            }
            sum
        });
        assert_eq!(summed, total, "{}", self.name);
        total
    }

    /// The counts are these: read, skipped, filtered, analyzed.
    pub fn counts_are(&self, expected: [u64; 4]) -> &Ran {
        assert_eq!(self.counts(), expected, "{}", self.name);
        self
    }

    /// The first input was read as this shape.
    pub fn shape(&self, shape: &str) -> &Ran {
        assert_eq!(self.json()["inputs"][0]["shape"], shape, "{}", self.name);
        self
    }

    /// Refused as a whole: nothing on stdout.
    pub fn no_report(&self) -> &Ran {
        assert!(self.stdout.is_empty(), "{}", self.name);
        self
    }
}
