//! Escaping of untrusted text (device ids, module ids, summaries built from them) for
//! each output format, in one place so that every renderer escapes the same way and the
//! rules can be tested against hostile input once. Device ids come from the logs, and
//! the logs come from whoever can connect to the hub.

use std::borrow::Cow;

/// Text for a terminal: control characters (C0, DEL, C1), and with them ANSI escape
/// sequences that could recolour, move the cursor or rewrite the screen, are shown as
/// escapes (`\u{1b}`), and so are the invisible characters that make text read other
/// than it is (bidi overrides and isolates, zero-width characters, line and paragraph
/// separators, see [`is_deceptive`]). Newlines are kept where the table lays out several
/// lines itself, so this is applied to each untrusted piece, not to the whole cell.
pub fn terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_shown(&mut shown, c);
    }
    Cow::Owned(shown)
}

/// Text for a cell of a terminal table: as [`terminal`], and a run of more than
/// [`UNBROKEN_RUN`] characters without a space gets a line break after every
/// [`UNBROKEN_RUN`] characters. The table splits a word too wide for its column by
/// copying what is left of it at each cut, which takes time in the square of the word's
/// length (a megabyte-long device id took minutes); these pieces it splits in a moment.
pub fn table_cell(text: &str) -> Cow<'_, str> {
    let shown = terminal(text);
    let mut run = 0;
    let needs_breaks = shown.chars().any(|c| {
        run = if c.is_whitespace() { 0 } else { run + 1 };
        run > UNBROKEN_RUN
    });
    if !needs_breaks {
        return shown;
    }
    let mut broken = String::with_capacity(shown.len() + shown.len() / UNBROKEN_RUN + 1);
    let mut run = 0;
    for c in shown.chars() {
        if c.is_whitespace() {
            run = 0;
        } else if run == UNBROKEN_RUN {
            broken.push('\n');
            run = 1;
        } else {
            run += 1;
        }
        broken.push(c);
    }
    Cow::Owned(broken)
}

/// The longest run of characters without a space that a table cell is given whole: far
/// wider than any column, far shorter than what makes splitting it slow.
pub const UNBROKEN_RUN: usize = 200;

/// A character that [`terminal`] shows as an escape.
fn is_unsafe(c: char) -> bool {
    c.is_control() || is_deceptive(c)
}

/// Characters that print nothing but change how the text around them reads: bidi
/// embeddings, overrides, isolates and marks (which can make `pump-1` display as a
/// different id, "Trojan Source"), zero-width spaces and joiners, the word joiner and
/// invisible operators, the BOM, and the line and paragraph separators some terminals
/// and editors break lines at.
pub fn is_deceptive(c: char) -> bool {
    matches!(
        c,
        '\u{61C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// Appends `c`, or the escape that shows it, as [`terminal`] writes it.
fn push_shown(out: &mut String, c: char) {
    if c.is_control() {
        out.extend(c.escape_debug());
    } else if is_deceptive(c) {
        out.extend(c.escape_unicode());
    } else {
        out.push(c);
    }
}

/// A CSV cell that a spreadsheet will not run as a formula: cells starting with `=`,
/// `+`, `-`, `@`, tab or carriage return get a leading `'` (OWASP, "CSV Injection").
/// Quoting is left to the CSV writer.
pub fn csv_cell(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Text for a GitHub-flavoured Markdown table cell, shown literally: table pipes,
/// emphasis, code, link and HTML syntax are escaped, line breaks and other control
/// characters become spaces, since a newline would end the table row, and invisible
/// characters are shown as escapes. Bare URLs and addresses, which GitHub turns into
/// links without any syntax (`https://`, `www.`, `a@b.example`), are defanged as
/// security tools show them: `https[:]//`, `www[.]`, `a[@]b.example`. (A backslash or
/// an entity is not enough: GitHub also links URLs after rendering.) No character
/// takes more than [`MARKDOWN_BYTES_PER_CHAR`] bytes.
pub fn markdown_cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let defanged = if rest.starts_with("://") {
            Some("\\[:\\]")
        } else if rest.len() >= 4 && rest.as_bytes()[..4].eq_ignore_ascii_case(b"www.") {
            out.push_str(&rest[..3]);
            rest = &rest[3..];
            Some("\\[.\\]")
        } else if c == '@' {
            Some("\\[@\\]")
        } else {
            None
        };
        if let Some(defanged) = defanged {
            out.push_str(defanged);
            rest = &rest[1..];
            continue;
        }
        match c {
            '\\' | '|' | '`' | '*' | '_' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            // Entities rather than backslashes: GitHub passes some raw HTML through.
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c if c.is_control() => out.push(' '),
            c if is_deceptive(c) => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The most bytes [`markdown_cell`] writes for one character of its input: an invisible
/// character's escape (`\u{202e}`).
pub const MARKDOWN_BYTES_PER_CHAR: usize = 8;

/// Text for XML 1.0 character data and attribute values (quoted either way): the five
/// special characters become entities, a carriage return a character reference (an
/// attribute would lose it), and every other control character (those XML 1.0 cannot
/// carry at all, and C1), the invisible characters [`terminal`] escapes, U+FFFE and
/// U+FFFF are shown as escapes (`\u{1b}`), as a CI server's page shows the text.
pub fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            c if is_unsafe(c) => push_shown(&mut out, c),
            c if is_xml_char(c) => out.push(c),
            c => out.extend(c.escape_unicode()),
        }
    }
    out
}

/// Text for HTML character data and attribute values (quoted either way): `&`, `<`,
/// `>`, `"` and `'` become entities, and control characters (newlines too: an id stays
/// on one line) and the invisible characters [`terminal`] escapes are shown as escapes
/// (`\u{1b}`), so a hostile id can neither start markup nor change how the page reads.
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\u{FFFE}' | '\u{FFFF}' => out.extend(c.escape_unicode()),
            c if is_unsafe(c) => push_shown(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// JSON for the inside of a `<script type="application/json">` element: `<`, `>` and
/// `&` become `\u003c`, `\u003e` and `\u0026`, which JSON reads back as the same
/// characters, so no text in it can close the element (`</script>`) or open a comment
/// (`<!--`); U+2028 and U+2029 are escaped too, for scripts that would `eval` it.
pub fn script_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// XML 1.0 `Char`, less what Rust's `char` already rules out (surrogates).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// The message of a GitHub Actions workflow command (after the final `::`). A newline
/// must not survive: it would end the command and let the rest of the text start one.
/// CR and LF are percent-encoded as GitHub decodes them; every other control character
/// (ESC, BEL, NUL, C1, which the log viewer would run or choke on) and the invisible
/// characters [`terminal`] escapes are shown as escapes (`\u{1b}`).
pub fn gh_data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => push_shown(&mut out, c),
        }
    }
    out
}

/// A property value of a workflow command (`file=`, `title=`): as [`gh_data`], and also
/// `:` and `,`, which separate properties from each other and from the message.
pub fn gh_property(text: &str) -> String {
    gh_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// A path as a relative URI reference (SARIF `artifactLocation.uri`): everything but
/// unreserved characters and `/` is percent-encoded, so `<stdin>`, spaces, `#` and a
/// drive letter's `:` (which would read as a URI scheme) stay part of the path.
pub fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// At most `limit` characters of `text`, with `…` in place of what was cut.
pub fn truncate(text: &str, limit: usize) -> Cow<'_, str> {
    if text.char_indices().nth(limit).is_none() {
        Cow::Borrowed(text)
    } else {
        let keep: String = text.chars().take(limit.saturating_sub(1)).collect();
        Cow::Owned(format!("{keep}…"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_text_shows_escape_sequences_instead_of_running_them() {
        assert_eq!(terminal("pump-0042"), "pump-0042");
        assert_eq!(
            terminal("\u{1b}[2J\u{1b}]0;owned\u{7}x\ny"),
            "\\u{1b}[2J\\u{1b}]0;owned\\u{7}x\\ny"
        );
        assert!(!terminal("a\u{9b}b").contains('\u{9b}'), "C1 controls too");
    }

    #[test]
    fn terminal_text_shows_invisible_characters_that_change_how_it_reads() {
        for (text, expected) in [
            ("pump-\u{202E}1", "pump-\\u{202e}1"),
            ("a\u{2066}b\u{2069}", "a\\u{2066}b\\u{2069}"),
            ("zero\u{200B}width", "zero\\u{200b}width"),
            ("line\u{2028}sep", "line\\u{2028}sep"),
            ("bom\u{FEFF}", "bom\\u{feff}"),
            ("é-😀-日本", "é-😀-日本"),
        ] {
            assert_eq!(terminal(text), expected, "{text:?}");
        }
    }

    #[test]
    fn table_cells_break_long_unbroken_runs_and_leave_the_rest() {
        assert_eq!(table_cell("pump-0042"), "pump-0042");
        let long = "x".repeat(UNBROKEN_RUN * 2 + 1);
        let cell = table_cell(&long);
        let lines: Vec<&str> = cell.lines().collect();
        assert_eq!(
            lines.iter().map(|l| l.len()).collect::<Vec<_>>(),
            [UNBROKEN_RUN, UNBROKEN_RUN, 1]
        );
        let spaced = format!("{} {}", "y".repeat(UNBROKEN_RUN), "z".repeat(UNBROKEN_RUN));
        assert_eq!(
            table_cell(&spaced),
            spaced,
            "runs broken by spaces are kept"
        );
        assert_eq!(table_cell("\u{1b}[2J"), "\\u{1b}[2J");
    }

    #[test]
    fn csv_cells_that_a_spreadsheet_would_evaluate_get_a_quote() {
        for (text, expected) in [
            ("=1+2", "'=1+2"),
            ("+1", "'+1"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("pump-0042", "pump-0042"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(csv_cell(text), expected, "{text:?}");
        }
    }

    #[test]
    fn markdown_cells_show_syntax_literally_on_one_line() {
        for (text, expected) in [
            ("a|b", r"a\|b"),
            (r"a\b", r"a\\b"),
            ("`x`", r"\`x\`"),
            ("*a* _b_", r"\*a\* \_b\_"),
            ("[a](b)", r"\[a\](b)"),
            ("<script>&", "&lt;script&gt;&amp;"),
            ("a\nb\rc\td", "a b c d"),
            ("pump-0042", "pump-0042"),
            (
                "see https://evil.example/x",
                r"see https\[:\]//evil.example/x",
            ),
            ("WWW.evil.example", r"WWW\[.\]evil.example"),
            ("ops@evil.example", r"ops\[@\]evil.example"),
            ("a\u{202E}b", r"a\u{202e}b"),
        ] {
            assert_eq!(markdown_cell(text), expected, "{text:?}");
            let most = text.chars().count() * MARKDOWN_BYTES_PER_CHAR;
            assert!(markdown_cell(text).len() <= most, "{text:?}");
        }
    }

    #[test]
    fn xml_escapes_the_specials_and_shows_what_xml_cannot_carry() {
        assert_eq!(
            xml("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;"
        );
        assert_eq!(
            xml("a\u{0}b\u{1b}c\u{7f}d\u{9b}e\u{202E}"),
            "a\\0b\\u{1b}c\\u{7f}d\\u{9b}e\\u{202e}"
        );
        assert_eq!(xml("tab\tnl\ncr\r"), "tab\tnl\ncr&#13;");
        assert_eq!(xml("\u{FFFE}\u{FFFF}é😀"), "\\u{fffe}\\u{ffff}é😀");
    }

    #[test]
    fn html_escapes_markup_and_shows_invisible_characters() {
        for (text, expected) in [
            ("pump-0042", "pump-0042"),
            (
                "<script>alert('x')</script>",
                "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;",
            ),
            ("a\"b&c", "a&quot;b&amp;c"),
            ("line\nbreak\ttab", "line\\nbreak\\ttab"),
            ("a\u{202E}b\u{200B}", "a\\u{202e}b\\u{200b}"),
            ("\u{0}\u{1b}[2J", "\\0\\u{1b}[2J"),
            ("\u{FFFF}é😀", "\\u{ffff}é😀"),
        ] {
            assert_eq!(html(text), expected, "{text:?}");
        }
        // A device id built to break every output format (the renderers' tests use it).
        let escaped = html("=cmd|' /C calc'!A0<script>&\"\n::error::x|*_[a](b)");
        assert!(!escaped.contains(['<', '>', '"', '\'', '\n']), "{escaped}");
    }

    #[test]
    fn json_in_a_script_element_cannot_close_it_and_reads_back_the_same() {
        let hostile = "</script><script>alert(1)</script><!-- & \u{2028}";
        let json = serde_json::to_string(&serde_json::json!({ "id": hostile })).unwrap();
        let inside = script_json(&json);
        assert!(!inside.contains(['<', '>', '&', '\u{2028}']), "{inside}");
        let back: serde_json::Value = serde_json::from_str(&inside).unwrap();
        assert_eq!(back["id"], hostile);
    }

    #[test]
    fn github_commands_cannot_be_started_or_split_by_the_text() {
        assert_eq!(gh_data("50%\r\n::error::x"), "50%25%0D%0A::error::x");
        assert_eq!(
            gh_data("\u{1b}]0;t\u{7}\u{0}\u{9b}\u{202E}"),
            "\\u{1b}]0;t\\u{7}\\0\\u{9b}\\u{202e}",
            "ESC, BEL, NUL, C1 and bidi overrides are shown, not passed"
        );
        assert_eq!(
            gh_property("a,b:c\n%"),
            "a%2Cb%3Ac%0A%25",
            "property separators are escaped too"
        );
    }

    #[test]
    fn uri_paths_keep_slashes_and_encode_the_rest() {
        assert_eq!(
            uri_path("fixtures/shapes/PT1H.json"),
            "fixtures/shapes/PT1H.json"
        );
        assert_eq!(uri_path("<stdin>"), "%3Cstdin%3E");
        assert_eq!(
            uri_path("C:\\logs\\a b#.json"),
            "C%3A%5Clogs%5Ca%20b%23.json"
        );
        assert_eq!(uri_path("é"), "%C3%A9");
    }

    #[test]
    fn truncation_counts_characters_and_marks_the_cut() {
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abcd", 3), "ab…");
        assert_eq!(truncate("ééééé", 4), "ééé…");
        assert_eq!(truncate("", 0), "");
    }
}
