//! Fluent wraps placeables in bidi isolation marks (FSI U+2068 … PDI U+2069) so that a Latin
//! name keeps its place inside Persian text. They are right in running text and wrong inside
//! markup: in an attribute they break URLs (`href="<FSI>https://…<PDI>"`) and leak into titles and
//! alt text. Rather than patching each call site, every rendered HTML or XML file passes
//! through [`strip_isolates_in_markup`] once, which removes them inside tags only.

use std::borrow::Cow;

const ISOLATES: [char; 4] = ['\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}'];

/// Removes isolation marks (LRI, RLI, FSI, PDI) inside `<…>` tags and leaves text content
/// alone. Works on any HTML or XML we render: text and attribute values are escaped, so a raw
/// `<` always opens a tag, comment or declaration.
pub fn strip_isolates_in_markup(markup: &str) -> Cow<'_, str> {
    if !markup.contains(ISOLATES) {
        return Cow::Borrowed(markup);
    }
    let mut out = String::with_capacity(markup.len());
    let mut in_tag = false;
    for c in markup.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if in_tag && ISOLATES.contains(&c) => continue,
            _ => {}
        }
        out.push(c);
    }
    Cow::Owned(out)
}

/// Removes isolation marks everywhere: for URLs, slugs, headers and JSON values.
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

    #[test]
    fn keeps_text_marks_and_strips_attribute_marks() {
        let html = "<a href=\"\u{2068}/fa/x/\u{2069}\" title=\"\u{2068}Ali\u{2069}\">سلام \u{2068}Ali\u{2069}</a>";
        assert_eq!(
            strip_isolates_in_markup(html),
            "<a href=\"/fa/x/\" title=\"Ali\">سلام \u{2068}Ali\u{2069}</a>"
        );
        assert!(matches!(strip_isolates_in_markup("<p>x</p>"), Cow::Borrowed(_)));
        assert_eq!(strip_isolates("\u{2068}a\u{2069}"), "a");
    }
}
