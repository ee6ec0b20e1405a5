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
pub fn strip_isolates_in_markup(markup: &str) -> Cow<'_, str> {
    if !markup.contains(ISOLATES) {
        return Cow::Borrowed(markup);
    }
    let mut out = String::with_capacity(markup.len());
    let mut state = State::Text;
    for (i, c) in markup.char_indices() {
        let rest = &markup[i..];
        state = match state {
            State::Text if c == '<' && rest.starts_with("<!--") => State::Comment,
            State::Text if c == '<' => State::Tag {
                quote: None,
                name: String::new(),
                name_done: false,
            },
            State::Text => {
                out.push(c);
                continue;
            }
            State::Comment => {
                if c == '>' && out.ends_with("--") {
                    out.push(c);
                    state = State::Text;
                    continue;
                }
                State::Comment
            }
            State::RawText(name) => {
                if c == '<' && starts_with_ignore_case(rest, &format!("</{name}")) {
                    State::Tag {
                        quote: None,
                        name: String::new(),
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
                '>' => {
                    out.push(c);
                    let self_closing = out.ends_with("/>");
                    state = match name.to_ascii_lowercase().as_str() {
                        "script" if !self_closing => State::RawText("script"),
                        "style" if !self_closing => State::RawText("style"),
                        _ => State::Text,
                    };
                    continue;
                }
                '"' | '\'' => State::Tag {
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
                    State::Tag {
                        quote: None,
                        name,
                        name_done,
                    }
                }
            },
        };
        if !ISOLATES.contains(&c) {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

/// [`Sink::Value`]: removes isolation marks everywhere.
pub fn strip_isolates(text: &str) -> Cow<'_, str> {
    if text.contains(ISOLATES) {
        Cow::Owned(text.replace(ISOLATES, ""))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
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
