//! The documents made from the command line's own definition: man pages, one for the
//! tool and one for each subcommand, and shell completion scripts. Kept here so that
//! nothing outside `cli` needs clap.

use super::Cli;
use anyhow::{Context, Result, bail};
use clap_complete::Shell;
use std::io::Write;
use std::path::Path;

/// Writes a completion script for `shell`.
pub fn completions(shell: &str, out: &mut dyn Write) -> Result<()> {
    let shell: Shell = shell
        .parse()
        .map_err(|err: String| anyhow::anyhow!("{shell:?}: {err}"))?;
    clap_complete::generate(shell, &mut Cli::definition(), "iothub-triage", out);
    Ok(())
}

/// The man page of the tool, or of one subcommand (`analyze`), to `out`; with `dir`,
/// every page into that directory instead (`iothub-triage.1`, `iothub-triage-analyze.1`,
/// ...), naming each file written on `out`.
pub fn man(page: Option<&str>, dir: Option<&Path>, out: &mut dyn Write) -> Result<()> {
    let mut command = Cli::definition().disable_help_subcommand(true);
    // Built, the subcommands know their full names (`iothub-triage-analyze`).
    command.build();
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create", dir.display()))?;
        let mut pages = vec![command.clone()];
        pages.extend(
            command
                .get_subcommands()
                .filter(|c| !c.is_hide_set())
                .cloned(),
        );
        for page in pages {
            let man = clap_mangen::Man::new(page);
            let path = man
                .generate_to(dir)
                .with_context(|| format!("{}: cannot write", dir.display()))?;
            writeln!(out, "{}", path.display())?;
        }
        return Ok(());
    }
    let page = match page {
        None => command,
        Some(name) => {
            if let Some(sub) = command.find_subcommand(name) {
                sub.clone()
            } else {
                let names: Vec<&str> = command
                    .get_subcommands()
                    .map(clap::Command::get_name)
                    .collect();
                bail!("no man page {name:?}; the pages are {}", names.join(", "));
            }
        }
    };
    clap_mangen::Man::new(page).render(out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(name: Option<&str>) -> String {
        let mut out = Vec::new();
        man(name, None, &mut out).expect("renders");
        String::from_utf8(out).expect("roff is text")
    }

    #[test]
    fn each_subcommand_has_a_page_of_its_own() {
        assert!(page(None).contains("iothub\\-triage"));
        let analyze = page(Some("analyze"));
        assert!(analyze.contains(".TH iothub-triage-analyze"), "{analyze}");
        assert!(analyze.contains("\\-\\-since"));
        assert!(page(Some("timeline")).contains("\\-\\-last"));
        let mut out = Vec::new();
        let err = man(Some("nope"), None, &mut out).expect_err("no such page");
        assert!(
            err.to_string().contains("the pages are analyze, timeline"),
            "{err}"
        );
    }

    #[test]
    fn a_directory_gets_every_page() {
        let dir = std::env::temp_dir().join(format!("iothub-triage-man-{}", std::process::id()));
        let mut out = Vec::new();
        man(None, Some(&dir), &mut out).expect("writes");
        let listed = String::from_utf8(out).expect("text");
        for name in [
            "iothub-triage.1",
            "iothub-triage-analyze.1",
            "iothub-triage-man.1",
        ] {
            assert!(dir.join(name).is_file(), "{name}: {listed}");
        }
        std::fs::remove_dir_all(&dir).expect("cleans up");
    }
}
