//! Where Fluent's bidi isolation marks may go.
//!
//! Fluent wraps placeables in FSI U+2068 … PDI U+2069 so that a Latin name or a number keeps
//! its place inside Persian text (and a Persian name inside English). In running text that is
//! exactly right. Anywhere else it is wrong: in an attribute it breaks URLs
//! (`href="<FSI>https://…<PDI>"`) and leaks into `alt` and `title`; in a URL, a slug, an
//! e-mail header or a JSON value it is an invisible byte that changes the meaning.
//!
//! The one rule: **every string leaves nashr through [`for_sink`] with the [`Sink`] it is
//! going to**. Messages are formatted once, with isolation on; the sink decides.
//!
//! - [`Sink::Text`]: running text (HTML text content, a `text/plain` e-mail body, a terminal).
//!   The marks stay.
//! - [`Sink::Markup`]: a whole HTML or XML document or fragment. The marks stay in text
//!   content and go from tags (attribute values included, quoted `>` or not), comments and
//!   `<script>`/`<style>` contents (JSON-LD is a JSON payload). The site renderer passes every
//!   page, feed and sitemap through it, and every HTML fragment **before** it is sanitised
//!   (so a mark cannot hide a `javascript:` URL from the sanitiser and reappear after it).
//! - [`Sink::Value`]: a value that is not read as running text: a URL, a slug, a file name,
//!   an e-mail header, a JSON field, an attribute value built outside a template. No marks.

use std::borrow::Cow;

/// LRI, RLI, FSI, PDI.
const ISOLATES: [char; 4] = ['\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}'];

/// Where a string is going; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    Text,
    Markup,
    Value,
}

/// `text` made right for `sink`: unchanged for [`Sink::Text`], marks removed outside text
/// content for [`Sink::Markup`], all marks removed for [`Sink::Value`].
pub fn for_sink(text: &str, sink: Sink) -> Cow<'_, str> {
    match sink {
        Sink::Text => Cow::Borrowed(text),
        Sink::Markup => strip_isolates_in_markup(text),
        Sink::Value => strip_isolates(text),
    }
}

/// What the markup scanner is inside of.
enum State {
    Text,
    /// A tag or declaration; `quote` is the open attribute-value quote; `name` the tag name.
    Tag {
        quote: Option<u8>,
        name: TagName,
        name_done: bool,
    },
    Comment,
    /// The contents of `<script>` or `<style>`, up to `</name`.
    RawText(&'static str),
}

/// The start of a tag's name, enough to tell `script` and `style` from the rest without
/// allocating.
#[derive(Default)]
struct TagName {
    bytes: [u8; 6],
    len: usize,
}

impl TagName {
    fn push(&mut self, c: char) {
        // Only the length matters past six bytes: no such name is `script` or `style`.
        let mut buf = [0u8; 4];
        for &b in c.encode_utf8(&mut buf).as_bytes() {
            if self.len < self.bytes.len() {
                self.bytes[self.len] = b;
            }
            self.len += 1;
        }
    }
    fn push_byte(&mut self, b: u8) {
        if self.len < self.bytes.len() {
            self.bytes[self.len] = b;
        }
        self.len += 1;
    }
    fn is_empty(&self) -> bool {
        self.len == 0
    }
    fn is(&self, name: &str) -> bool {
        self.len == name.len() && self.bytes[..self.len].eq_ignore_ascii_case(name.as_bytes())
    }
}

/// Every isolation mark (U+2066–U+2069) is `E2 81 A6`–`E2 81 A9` in UTF-8. `E2 81` starts
/// only the rare U+2040–U+207F, while `E2` alone starts every ZWNJ of a Persian text and the
/// last bytes are continuation bytes of any Arabic letter: searching for the pair with SIMD
/// (memmem) skips almost everything.
const MARK_PREFIX: &[u8] = b"\xE2\x81";

fn is_mark_at(b: &[u8], i: usize) -> bool {
    b.get(i..i + 3)
        .is_some_and(|m| m[0] == 0xE2 && m[1] == 0x81 && (0xA6..=0xA9).contains(&m[2]))
}

/// The byte offset of the first isolation mark at or after `from`.
pub(crate) fn isolate_at(b: &[u8], from: usize) -> Option<usize> {
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(MARK_PREFIX));
    let finder = &*FINDER;
    let mut i = from;
    while let Some(p) = finder.find(b.get(i..)?) {
        if is_mark_at(b, i + p) {
            return Some(i + p);
        }
        i += p + 2;
    }
    None
}

/// Whether `text` has an isolation mark (U+2066–U+2069).
fn has_isolates(text: &str) -> bool {
    isolate_at(text.as_bytes(), 0).is_some()
}

/// Whether `text` opens a left-to-right or right-to-left isolate (U+2066 LRI, U+2067 RLI):
/// what the localizer wraps a fallback written the other way in.
pub fn has_directed_isolates(text: &str) -> bool {
    let b = text.as_bytes();
    let mut at = 0;
    while let Some(i) = isolate_at(b, at) {
        if matches!(b[i + 2], 0xA6 | 0xA7) {
            return true;
        }
        at = i + 3;
    }
    false
}

/// The last two output bytes (marks in `remove` left out) before `end`, for the `-->` and
/// `/>` checks; `prev` are the ones before `start`. A non-ASCII byte counts as 0.
fn tail(b: &[u8], end: usize, remove: &[usize], prev: (u8, u8), start: usize) -> (u8, u8) {
    let mut out = [0u8; 2];
    let mut n = 0;
    let mut j = end;
    let mut removed = remove.iter().rev().peekable();
    while n < 2 {
        if j <= start {
            // Fill from the bytes before the run.
            if n == 0 {
                return prev;
            }
            out[1] = prev.0;
            n = 2;
            break;
        }
        if j >= 3 && removed.peek() == Some(&&(j - 3)) {
            removed.next();
            j -= 3;
            continue;
        }
        let c = b[j - 1];
        if c >= 0x80 {
            // Part of a multibyte character: neither check can match across it.
            out[n] = 0;
            n += 1;
            if n == 1 {
                out[1] = 0;
            }
            return (out[0], out[1]);
        }
        out[n] = c;
        n += 1;
        j -= 1;
    }
    let _ = n;
    (out[0], out[1])
}

/// [`Sink::Markup`]: removes isolation marks everywhere except from text content. Works on
/// the HTML and XML nashr renders: text is escaped, so a raw `<` always opens a tag, a
/// comment or a declaration; attribute values may contain a raw `>` inside quotes.
///
/// One pass over the bytes (every character that changes the state is ASCII); the output is
/// built only when a mark has to go, which in rendered pages is rare: their marks are in
/// text.
pub fn strip_isolates_in_markup(markup: &str) -> Cow<'_, str> {
    strip_isolates_skipping(markup, usize::MAX..usize::MAX)
}

/// [`strip_isolates_in_markup`] for a page into which `clean` was inserted verbatim: a
/// fragment that went through `for_sink(_, Sink::Markup)` itself and leaves the scanner in
/// text where it started, as a rendered Markdown body does (its tags are balanced, its text
/// escaped). Where the page has it in text content, its bytes are not scanned again: most of
/// an article page is its body.
pub fn strip_isolates_in_markup_around<'a>(markup: &'a str, clean: &str) -> Cow<'a, str> {
    let head = &clean.as_bytes()[..clean.len().min(64)];
    let found = match memchr::memmem::find(markup.as_bytes(), head) {
        Some(at) if !clean.is_empty() && markup[at..].starts_with(clean) => at..at + clean.len(),
        _ => usize::MAX..usize::MAX,
    };
    strip_isolates_skipping(markup, found)
}

/// [`strip_isolates_in_markup`], jumping over `skip` when the scanner reaches its start in
/// text (see [`strip_isolates_in_markup_around`]).
fn strip_isolates_skipping(markup: &str, skip: std::ops::Range<usize>) -> Cow<'_, str> {
    if !has_isolates(markup) {
        return Cow::Borrowed(markup);
    }
    let b = markup.as_bytes();
    // Byte offsets of the marks to remove (each three bytes long).
    let mut remove: Vec<usize> = Vec::new();
    let mut state = State::Text;
    // The last two bytes of the output so far (marks removed), for `-->` and `/>`.
    let (mut last, mut before_last) = (0u8, 0u8);
    let mut i = 0;
    while i < b.len() {
        if i == skip.start && matches!(state, State::Text) {
            // Left in text, as it started: nothing in it to remove.
            (i, last, before_last) = (skip.end, 0, 0);
            continue;
        }
        // Jump over runs where only a `<`, `>`, quote or `-` can change anything: text (whose
        // marks stay), quoted attribute values, the rest of a tag after its name, comments and
        // script/style contents (whose marks go).
        let stop: Option<&[u8]> = match &state {
            State::Text if b[i] != b'<' => Some(b"<"),
            State::Tag { quote: Some(q), .. } if b[i] != *q => Some(std::slice::from_ref(q)),
            State::Tag {
                quote: None,
                name_done: true,
                ..
            } if !matches!(b[i], b'>' | b'"' | b'\'') => Some(b">\"'"),
            State::Comment if b[i] != b'>' => Some(b">"),
            State::RawText(_) if b[i] != b'<' => Some(b"<"),
            _ => None,
        };
        if let Some(stop) = stop {
            // Inside a tag the runs are short (an attribute name or value): a byte loop, which
            // also sees whether a mark (lead byte `E2`) can be in the run. Text, comments and
            // script run long: memchr.
            let in_tag = matches!(state, State::Tag { .. });
            let mut lead = !in_tag;
            let next = if in_tag {
                let mut j = i;
                while let Some(&c) = b.get(j) {
                    if stop.contains(&c) {
                        break;
                    }
                    lead |= c == 0xE2;
                    j += 1;
                }
                j
            } else {
                match stop {
                    [one] => memchr::memchr(*one, &b[i..]),
                    [a, b1, c] => memchr::memchr3(*a, *b1, *c, &b[i..]),
                    _ => b[i..].iter().position(|c| stop.contains(c)),
                }
                .map_or(b.len(), |p| i + p)
            };
            let next = if matches!(state, State::Text) && (i..next).contains(&skip.start) {
                skip.start
            } else {
                next
            };
            if lead && !matches!(state, State::Text) {
                let mut at = i;
                while let Some(m) = isolate_at(&b[..next], at) {
                    remove.push(m);
                    at = m + 3;
                }
            }
            (last, before_last) = tail(b, next, &remove, (last, before_last), i);
            i = next;
            continue;
        }
        // A tag name's ASCII characters in one run (the step below takes one character).
        if let State::Tag {
            quote: None,
            name,
            name_done: false,
        } = &mut state
        {
            let mut j = i;
            while let Some(&c) = b.get(j) {
                let ends = !c.is_ascii()
                    || matches!(
                        c,
                        b' ' | b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r' | b'>' | b'"' | b'\'' | b'<'
                    )
                    || (c == b'/' && !name.is_empty());
                if ends {
                    break;
                }
                name.push_byte(c);
                (before_last, last) = (last, c);
                j += 1;
            }
            if j > i {
                i = j;
                continue;
            }
        }
        let c = b[i];
        let len = match c {
            0x00..=0x7F => 1,
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            _ => 4,
        }
        .min(b.len() - i);
        let is_mark = len == 3 && c == 0xE2 && b[i + 1] == 0x81 && (0xA6..=0xA9).contains(&b[i + 2]);
        let in_text = matches!(state, State::Text);
        state = match state {
            State::Text if c == b'<' && b[i..].starts_with(b"<!--") => State::Comment,
            State::Text if c == b'<' => State::Tag {
                quote: None,
                name: TagName::default(),
                name_done: false,
            },
            State::Text => State::Text,
            State::Comment => {
                if c == b'>' && last == b'-' && before_last == b'-' {
                    State::Text
                } else {
                    State::Comment
                }
            }
            State::RawText(name) => {
                if c == b'<' && starts_with_ignore_case(&markup[i..], &format!("</{name}")) {
                    State::Tag {
                        quote: None,
                        name: TagName::default(),
                        name_done: false,
                    }
                } else {
                    State::RawText(name)
                }
            }
            State::Tag {
                quote: Some(q),
                name,
                name_done,
            } => State::Tag {
                quote: (c != q).then_some(q),
                name,
                name_done,
            },
            State::Tag {
                quote: None,
                mut name,
                mut name_done,
            } => match c {
                b'>' => {
                    let self_closing = last == b'/';
                    if self_closing {
                        State::Text
                    } else if name.is("script") {
                        State::RawText("script")
                    } else if name.is("style") {
                        State::RawText("style")
                    } else {
                        State::Text
                    }
                }
                b'"' | b'\'' => State::Tag {
                    quote: Some(c),
                    name,
                    name_done: true,
                },
                _ => {
                    let ch = markup[i..].chars().next().unwrap_or(' ');
                    if ch.is_whitespace() || ch == '/' && !name.is_empty() {
                        name_done = true;
                    } else if !name_done && ch != '<' {
                        name.push(ch);
                    }
                    State::Tag {
                        quote: None,
                        name,
                        name_done,
                    }
                }
            },
        };
        if is_mark && !in_text {
            remove.push(i);
        } else {
            // Only the last two output bytes matter, and only when they are ASCII.
            before_last = if len == 1 { last } else { 0 };
            last = if len == 1 { c } else { 0 };
            if len > 1 {
                before_last = 0;
            }
        }
        i += len;
    }
    if remove.is_empty() {
        return Cow::Borrowed(markup);
    }
    let mut out = String::with_capacity(markup.len());
    let mut from = 0;
    for r in remove {
        out.push_str(&markup[from..r]);
        from = r + 3;
    }
    out.push_str(&markup[from..]);
    Cow::Owned(out)
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

/// [`Sink::Value`]: removes isolation marks everywhere.
pub fn strip_isolates(text: &str) -> Cow<'_, str> {
    if has_isolates(text) {
        Cow::Owned(text.replace(ISOLATES, ""))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_clean_body_is_skipped_only_where_it_is_text() {
        let body = "<p>\u{2068}x\u{2069} <a href=\"/a\">y</a></p>\n";
        let pages = [
            format!(
                "<title>\u{2068}t\u{2069}</title><a title=\"\u{2068}t\u{2069}\">x</a><div>{body}</div><img alt=\"\u{2068}z\u{2069}\">"
            ),
            format!("<div>{body}</div>"),
            format!("<!-- {body} \u{2068} --><div>{body}</div>"),
            format!("<script>{body}</script>"),
            format!("<p title=\"{body}\">\u{2068}"),
            format!("{body}{body}<b class=\"\u{2069}\">"),
        ];
        for page in &pages {
            assert_eq!(
                strip_isolates_in_markup_around(page, body),
                strip_isolates_in_markup(page),
                "{page:?}"
            );
        }
        assert_eq!(
            strip_isolates_in_markup_around(&pages[0], body),
            format!("<title>\u{2068}t\u{2069}</title><a title=\"t\">x</a><div>{body}</div><img alt=\"z\">")
        );
        // A page without marks outside the body keeps its bytes.
        assert!(matches!(
            strip_isolates_in_markup_around(&pages[1], body),
            Cow::Borrowed(_)
        ));
    }

    // The one-pass scanner above against the straightforward character-by-character scanner
    // it replaced (kept here as the reference), on random markup made of the pieces that
    // change its state.
    mod reference {
        use super::super::starts_with_ignore_case;
        use std::borrow::Cow;
        enum RefState {
            Text,
            /// A tag or declaration; `quote` is the open attribute-value quote; `name` the tag name.
            Tag {
                quote: Option<char>,
                name: String,
                name_done: bool,
            },
            Comment,
            /// The contents of `<script>` or `<style>`, up to `</name`.
            RawText(&'static str),
        }

        /// [`Sink::Markup`]: removes isolation marks everywhere except from text content. Works on
        /// the HTML and XML nashr renders: text is escaped, so a raw `<` always opens a tag, a
        /// comment or a declaration; attribute values may contain a raw `>` inside quotes.
        fn reference(markup: &str) -> Cow<'_, str> {
            if !markup.contains(super::ISOLATES) {
                return Cow::Borrowed(markup);
            }
            let mut out = String::with_capacity(markup.len());
            let mut state = RefState::Text;
            for (i, c) in markup.char_indices() {
                let rest = &markup[i..];
                state = match state {
                    RefState::Text if c == '<' && rest.starts_with("<!--") => RefState::Comment,
                    RefState::Text if c == '<' => RefState::Tag {
                        quote: None,
                        name: String::new(),
                        name_done: false,
                    },
                    RefState::Text => {
                        out.push(c);
                        continue;
                    }
                    RefState::Comment => {
                        if c == '>' && out.ends_with("--") {
                            out.push(c);
                            state = RefState::Text;
                            continue;
                        }
                        RefState::Comment
                    }
                    RefState::RawText(name) => {
                        if c == '<' && starts_with_ignore_case(rest, &format!("</{name}")) {
                            RefState::Tag {
                                quote: None,
                                name: String::new(),
                                name_done: false,
                            }
                        } else {
                            RefState::RawText(name)
                        }
                    }
                    RefState::Tag {
                        quote: Some(q),
                        name,
                        name_done,
                    } => RefState::Tag {
                        quote: (c != q).then_some(q),
                        name,
                        name_done,
                    },
                    RefState::Tag {
                        quote: None,
                        mut name,
                        mut name_done,
                    } => match c {
                        '>' => {
                            out.push(c);
                            let self_closing = out.ends_with("/>");
                            state = match name.to_ascii_lowercase().as_str() {
                                "script" if !self_closing => RefState::RawText("script"),
                                "style" if !self_closing => RefState::RawText("style"),
                                _ => RefState::Text,
                            };
                            continue;
                        }
                        '"' | '\'' => RefState::Tag {
                            quote: Some(c),
                            name,
                            name_done: true,
                        },
                        c => {
                            if c.is_whitespace() || c == '/' && !name.is_empty() {
                                name_done = true;
                            } else if !name_done && c != '<' {
                                name.push(c);
                            }
                            RefState::Tag {
                                quote: None,
                                name,
                                name_done,
                            }
                        }
                    },
                };
                if !super::ISOLATES.contains(&c) {
                    out.push(c);
                }
            }
            Cow::Owned(out)
        }

        pub(super) fn strip(markup: &str) -> Cow<'_, str> {
            reference(markup)
        }
    }

    #[test]
    fn marks_are_found_among_their_unicode_neighbours() {
        use super::{has_directed_isolates, has_isolates, isolate_at};
        // ZWNJ (E2 80 8C), the word joiner U+2060 (E2 81 A0) and U+206A (E2 81 AA) share
        // bytes with the marks; Arabic letters end in the marks' last bytes.
        let near = "می\u{200C}خواهم \u{2060}\u{206A}\u{2065} ئ ا";
        assert!(!has_isolates(near));
        assert!(!has_directed_isolates(near));
        for (mark, directed) in [
            ('\u{2066}', true),
            ('\u{2067}', true),
            ('\u{2068}', false),
            ('\u{2069}', false),
        ] {
            for text in [
                format!("{mark}"),
                format!("{near}{mark}"),
                format!("{mark}{near}"),
                format!("\u{2060}{mark}"),
            ] {
                let at = text.find(mark).unwrap();
                assert_eq!(isolate_at(text.as_bytes(), 0), Some(at), "{text:?}");
                assert_eq!(isolate_at(text.as_bytes(), at + 1), None, "{text:?}");
                assert_eq!(has_directed_isolates(&text), directed, "{text:?}");
            }
        }
        // A mark cut off at the end of a slice is not one.
        assert_eq!(isolate_at(&"a\u{2068}".as_bytes()[..3], 0), None);
    }

    #[test]
    fn one_pass_scanner_matches_the_reference() {
        const PIECES: &[&str] = &[
            "<",
            ">",
            "\"",
            "'",
            "-",
            "--",
            "/",
            " ",
            "a",
            "p",
            "<!--",
            "-->",
            "<script>",
            "</script>",
            "<style>",
            "</STYLE>",
            "<a href=\"",
            "\u{2068}",
            "\u{2069}",
            "\u{2066}",
            "\u{2067}",
            "ش",
            "\u{200C}",
            "/>",
            "=",
            "x",
        ];
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..20_000 {
            let mut text = String::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 24) as usize;
            for _ in 0..len {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.push_str(PIECES[(state % PIECES.len() as u64) as usize]);
            }
            assert_eq!(strip_isolates_in_markup(&text), reference::strip(&text), "{text:?}");
        }
    }
    use super::*;

    const FSI: char = '\u{2068}';
    const PDI: char = '\u{2069}';

    #[test]
    fn keeps_text_marks_and_strips_attribute_marks() {
        let html = format!("<a href=\"{FSI}/fa/x/{PDI}\" title=\"{FSI}Ali{PDI}\">سلام {FSI}Ali{PDI}</a>");
        assert_eq!(
            for_sink(&html, Sink::Markup),
            format!("<a href=\"/fa/x/\" title=\"Ali\">سلام {FSI}Ali{PDI}</a>")
        );
        assert!(matches!(for_sink("<p>x</p>", Sink::Markup), Cow::Borrowed(_)));
        assert_eq!(for_sink(&format!("{FSI}a{PDI}"), Sink::Value), "a");
        assert_eq!(for_sink(&format!("{FSI}a{PDI}"), Sink::Text), format!("{FSI}a{PDI}"));
    }

    #[test]
    fn a_quoted_angle_bracket_does_not_end_the_tag() {
        let html = format!("<img alt='a > {FSI}b{PDI}' title=\"x>{FSI}y{PDI}\"><p>{FSI}۵{PDI}</p>");
        assert_eq!(
            for_sink(&html, Sink::Markup),
            format!("<img alt='a > b' title=\"x>y\"><p>{FSI}۵{PDI}</p>")
        );
    }

    #[test]
    fn scripts_styles_comments_and_declarations_lose_their_marks() {
        let html = format!(
            "<?xml version=\"1.0\"?><!-- {FSI}c{PDI} --><script type=\"application/ld+json\">{{\"name\": \"{FSI}n{PDI}\", \"x\": \"<b>\"}}</script><style>a::after {{ content: \"{FSI}\" }}</style><p>{FSI}t{PDI}</p><SCRIPT>\"{PDI}\"</SCRIPT><br/><p>{FSI}u{PDI}</p>"
        );
        assert_eq!(
            for_sink(&html, Sink::Markup),
            format!(
                "<?xml version=\"1.0\"?><!-- c --><script type=\"application/ld+json\">{{\"name\": \"n\", \"x\": \"<b>\"}}</script><style>a::after {{ content: \"\" }}</style><p>{FSI}t{PDI}</p><SCRIPT>\"\"</SCRIPT><br/><p>{FSI}u{PDI}</p>"
            )
        );
    }
}
