//! The query's body: `portable.kql` with its macros written out. `SEQUENCE(Name)` puts
//! each identity's connects and drops in order, `FISHER(Output, Input)` tests cohorts,
//! and the code lists and constants the analysis fixes come from the Rust that defines
//! them.

use super::literal;
use crate::analysis::{COHORTS_KEPT, diagnosis};

const BODY: &str = include_str!("portable.kql");

/// Added to the numbers of a list before it is sorted, and taken off after: numbers of
/// one width sort alike as numbers and as text (some engines sort lists as text), and
/// stay below 2^53, exact where an engine passes them through doubles.
const WIDE: &str = "1000000000000000";

/// The body of the query: the template with its sequences, tests and code lists written
/// out.
pub fn body(full: bool) -> String {
    let mut out = String::new();
    for line in BODY.lines() {
        if let Some(name) = macro_argument(line, "SEQUENCE(") {
            out.push_str(&sequence(name.trim(), full));
        } else if let Some(arguments) = macro_argument(line, "FISHER(") {
            let (output, input) = arguments.split_once(',').unwrap_or((arguments, ""));
            out.push_str(&fisher(output.trim(), input.trim()));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    let throttling: Vec<String> = (100_000..1_000_000)
        .filter(|&code| diagnosis::is_throttling(code))
        .map(|code| literal::string(&code.to_string()))
        .collect();
    out.replace("THROTTLING_CODES", &throttling.join(", "))
        .replace("COHORTS_KEPT", &COHORTS_KEPT.to_string())
        .replace("WIDE", WIDE)
}

/// The argument of a template line `NAME(argument)`.
fn macro_argument<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    line.strip_prefix(name)?.strip_suffix(')')
}

/// `SEQUENCE(Name)`: each identity's connects and drops of `NameInput` (Identity, Time,
/// D: 0 a successful connect, 1 a drop) in time order, connects before drops of the same
/// instant, and per drop instant: `Lost` (the first drop after a connect, or on an export
/// without connects more than 5 s after the previous drop), `Fresh` (more than 5 s after
/// the previous drop), `PrevDropTime` and `FirstAfter` (the first connect after the
/// previous drop). The portable tier numbers the instants by sorting each identity's list
/// of them (`make_list`, `array_sort_asc`, `mv-expand with_itemindex`); `--full` uses
/// `sort` and `prev()`. An instant's key is its microsecond since 2000, twice, plus D,
/// made [`WIDE`] (one width for the years 2000 to 2126).
fn sequence(name: &str, full: bool) -> String {
    let keys = format!(
        "let {name}Keys = {name}Input\n\
         | summarize by Identity, Time, D\n\
         | extend Key = WIDE + tolong((Time - datetime(2000-01-01)) / 1microsecond) * 2 + D;\n"
    );
    let order = if full {
        format!(
            "let {name}Order = {name}Keys\n\
             | sort by Identity asc, Key asc\n\
             | extend I = row_number(0, Identity != prev(Identity))\n\
             | project Identity, I, Time, D;\n\
             let {name}DropOrder = {name}Order\n\
             | where D == 1\n\
             | sort by Identity asc, I asc\n\
             | extend J = row_number(0, Identity != prev(Identity))\n\
             | project Identity, J, I;\n"
        )
    } else {
        format!(
            "let {name}Order = {name}Keys\n\
             | summarize Keys = make_list(Key) by Identity\n\
             | mv-expand with_itemindex = I Key = array_sort_asc(Keys) to typeof(long)\n\
             | project Identity, I, Key\n\
             | join kind=inner {name}Keys on Identity, Key\n\
             | project Identity, I, Key, Time, D;\n\
             let {name}DropOrder = {name}Keys\n\
             | where D == 1\n\
             | summarize Keys = make_list(Key) by Identity\n\
             | mv-expand with_itemindex = J Key = array_sort_asc(Keys) to typeof(long)\n\
             | join kind=inner ({name}Order | project Identity, I, Key) on Identity, Key\n\
             | project Identity, J, I;\n"
        )
    };
    let drops = format!(
        "let {name}Seq = {name}DropOrder\n\
         | join kind=leftouter ({name}DropOrder | project Identity, J = J + 1, PrevDropI = I) on Identity, J\n\
         | project Identity, I, PrevDropI, After = coalesce(PrevDropI, -1) + 1\n\
         | join kind=inner ({name}Order | project Identity, I, Time) on Identity, I\n\
         | project Identity, I, Time, PrevDropI, After\n\
         | join kind=leftouter ({name}Order | project Identity, PrevDropI = I, PrevDropTime = Time) on Identity, PrevDropI\n\
         | project Identity, I, Time, PrevDropI, PrevDropTime, After\n\
         | join kind=leftouter ({name}Order | where D == 0 | project Identity, After = I, FirstAfter = Time) on Identity, After\n\
         | extend Fresh = isnull(PrevDropTime) or Time - PrevDropTime > 5s\n\
         | project Identity, Time, PrevDropTime, FirstAfter, Fresh,\n    \
         Lost = iff(ConnectsLogged, isnull(PrevDropI) or I > PrevDropI + 1, Fresh);\n"
    );
    format!("{keys}{order}{drops}")
}

/// `FISHER(Output, Input)`: the rows of `Input` (Kind, Attribute, Value, Total, All,
/// Size, Inside: identities in the fleet and the cohort, all and with the problem) that
/// make a cohort, with `Others`, `OthersWith` and `P`, the one-sided Fisher's exact test:
/// the hypergeometric tail from `Inside` on, summed term by term in logarithms.
fn fisher(output: &str, input: &str) -> String {
    let factorials: Vec<String> = [
        "All",
        "J",
        "All - J",
        "Others",
        "Size - J",
        "Others - Size + J",
        "Total",
        "Size",
        "Others",
    ]
    .iter()
    .enumerate()
    .map(|(n, count)| format!("F{n} = {}", ln_factorial(count)))
    .collect();
    format!(
        "let {input}Cheap = {input}\n\
         | extend Others = Total - Size, OthersWith = All - Inside\n\
         | where Size >= CohortMinDevices and Size < Total and Inside >= CohortMinDevices\n\
         | where OthersWith == 0\n    \
         or todouble(Inside) / todouble(Size) / (todouble(OthersWith) / todouble(Others)) >= CohortMinLift\n\
         | extend Lo = max_of(Inside, Size - Others), Hi = min_of(Size, All);\n\
         let {input}Terms = coalesce(toscalar({input}Cheap | summarize max(Hi - Lo)), 0);\n\
         let {output} = {input}Cheap\n\
         | extend Key = 1\n\
         | join kind=inner (range K from 0 to {input}Terms step 1 | extend Key = 1) on Key\n\
         | extend J = Lo + K\n\
         | where J <= Hi\n\
         // ln C(All, J) + ln C(Others, Size - J) - ln C(Total, Size)\n\
         | extend {}\n\
         | extend Term = exp(F0 - F1 - F2 + F3 - F4 - F5 - F6 + F7 + F8)\n\
         | summarize P = sum(Term) by Kind, Attribute, Value, Total, All, Size, Inside, Others, OthersWith\n\
         | where P <= CohortMaxP;\n",
        factorials.join(",\n    "),
    )
}

/// ln(n!) for a count `n`: from `gamma` below 170, Stirling's series above (exact to
/// double precision there).
fn ln_factorial(n: &str) -> String {
    let x = format!("(todouble({n}) + 1.0)");
    format!(
        "iff(({n}) < 170, log(gamma({x})), ({x} - 0.5) * log({x}) - {x} + 0.91893853320467274 \
         + 1.0 / (12.0 * {x}) - 1.0 / (360.0 * {x} * {x} * {x}))"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_macro_and_placeholder_is_written_out_in_both_tiers() {
        for full in [false, true] {
            let body = body(full);
            for line in body.lines() {
                assert!(
                    !line.starts_with("SEQUENCE(") && !line.starts_with("FISHER("),
                    "{line} (full: {full})"
                );
            }
            for left in ["WIDE", "THROTTLING_CODES", "COHORTS_KEPT"] {
                assert!(!body.contains(left), "{left} (full: {full})");
            }
            for made in [
                "let RenewalSeq =",
                "let MassSeq =",
                "let RetestInputTerms",
                "let Retested =",
            ] {
                assert!(body.contains(made), "{made} (full: {full})");
            }
        }
    }

    #[test]
    fn the_throttling_codes_are_those_the_analysis_counts() {
        let body = body(false);
        assert!(body.contains(
            "Code in (\"403002\", \"403005\", \"429001\", \"429002\", \"429003\", \"503008\")"
        ));
    }

    #[test]
    fn ln_factorial_switches_to_stirling_at_170() {
        let text = ln_factorial("Size - J");
        assert!(text.starts_with("iff((Size - J) < 170, log(gamma((todouble(Size - J) + 1.0)))"));
    }
}
