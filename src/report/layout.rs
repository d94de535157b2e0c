//! How text is laid out on a terminal of a given width, outside the tables: paragraphs
//! wrapped at word boundaries (a word, a time, a code or an id is never cut, a URL never
//! wrapped), links as OSC 8 hyperlinks where the terminal shows them, and identities
//! too long for a column shortened in the middle.

use std::borrow::Cow;
use unicode_width::UnicodeWidthStr;

/// Characters on the screen, not bytes: `é` is one, a CJK character two.
pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// `text` in lines of at most `columns` characters, the first starting with `first`, the
/// others with `rest` (a hanging indent). Words are never cut: a word longer than the line
/// (a URL, a long id) gets a line of its own and overflows it.
pub fn wrap(text: &str, columns: usize, first: &str, rest: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut line = String::from(first);
    let mut used = width(first);
    let mut empty = true;
    for word in text.split_whitespace() {
        let word_width = width(word);
        if !empty && used + 1 + word_width > columns {
            out.push_str(&line);
            out.push('\n');
            line = String::from(rest);
            used = width(rest);
            empty = true;
        }
        if !empty {
            line.push(' ');
            used += 1;
        }
        line.push_str(word);
        used += word_width;
        empty = false;
    }
    out.push_str(line.trim_end());
    out
}

/// A URL as it is shown: plain, or as an OSC 8 hyperlink whose visible text is the URL
/// itself (so that copying it works either way). The URLs come from the code table, never
/// from the logs.
pub fn link(url: &str, hyperlinks: bool) -> Cow<'_, str> {
    if hyperlinks {
        Cow::Owned(format!("\x1b]8;;{url}\x1b\\{url}\x1b]8;;\x1b\\"))
    } else {
        Cow::Borrowed(url)
    }
}

/// An identity of at most `columns` characters: a longer one keeps its start and its end,
/// with `…` between (ids of one fleet differ at either end: `pump-0042`, `gw-3/$edgeHub`).
/// The JSON report always has it whole.
pub fn fit(identity: &str, columns: usize) -> Cow<'_, str> {
    let total = identity.chars().count();
    if total <= columns || columns < 5 {
        return Cow::Borrowed(identity);
    }
    let head = (columns - 1) / 2;
    let tail = columns - 1 - head;
    let start: String = identity.chars().take(head).collect();
    let end: String = identity.chars().skip(total - tail).collect();
    Cow::Owned(format!("{start}…{end}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_breaks_between_words_with_a_hanging_indent() {
        assert_eq!(
            wrap("the device closed the connection", 16, "  ", "    "),
            "  the device\n    closed the\n    connection"
        );
        assert_eq!(wrap("", 10, "  ", "  "), "");
        assert_eq!(wrap("short", 80, "", ""), "short");
    }

    #[test]
    fn a_word_longer_than_the_line_is_never_cut() {
        let url = "https://learn.microsoft.com/azure/iot-hub/troubleshoot-error-codes";
        let text = format!("see {url} now");
        assert_eq!(wrap(&text, 20, "", ""), format!("see\n{url}\nnow"));
        assert_eq!(
            wrap("2026-03-02T09:14:02Z to 2026-03-02T09:14:09Z", 24, "", ""),
            "2026-03-02T09:14:02Z to\n2026-03-02T09:14:09Z"
        );
    }

    #[test]
    fn hyperlinks_show_the_url_itself_and_only_when_asked() {
        assert_eq!(link("https://a.example/x", false), "https://a.example/x");
        assert_eq!(
            link("https://a.example/x", true),
            "\x1b]8;;https://a.example/x\x1b\\https://a.example/x\x1b]8;;\x1b\\"
        );
    }

    #[test]
    fn long_identities_keep_both_ends() {
        assert_eq!(fit("pump-0042", 20), "pump-0042");
        assert_eq!(fit("a-very-long-device-identity-42", 11), "a-ver…ty-42");
        assert_eq!(
            fit("a-very-long-device-identity-42", 11).chars().count(),
            11
        );
    }
}
