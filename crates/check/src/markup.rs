//! Segment integrity: what a translation must keep from its source. Article segments are
//! Markdown: link targets, image paths and inline code stay exactly as they are, and emphasis
//! markers must pair up. Messages whose id ends in `-html` may contain only the inline HTML
//! the renderer keeps.

use pulldown_cmark::{Event, Parser, Tag};

/// The parts of a Markdown segment a translation must keep.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Parts {
    pub links: Vec<String>,
    pub images: Vec<String>,
    pub code: Vec<String>,
    /// `*` and `_` left over as text: emphasis markers that did not pair up.
    pub stray_markers: usize,
}

/// Parses one segment's text as Markdown.
pub(crate) fn parts(text: &str) -> Parts {
    let mut p = Parts::default();
    for event in Parser::new_ext(text, nashr_content::markdown_options()) {
        match event {
            Event::Start(Tag::Link { dest_url, .. }) => p.links.push(dest_url.to_string()),
            Event::Start(Tag::Image { dest_url, .. }) => p.images.push(dest_url.to_string()),
            Event::Code(code) => p.code.push(code.to_string()),
            Event::Text(t) => p.stray_markers += t.chars().filter(|c| matches!(c, '*' | '_')).count(),
            _ => {}
        }
    }
    p.links.sort();
    p.images.sort();
    p.code.sort();
    p
}

/// Whether a text has anything for [`parts`] to compare (cheap pre-check: most UI strings
/// are plain text).
pub(crate) fn has_markdown(text: &str) -> bool {
    text.contains(['[', '`', '*', '_'])
}

/// Items of `a` missing from `b` (both sorted), with multiplicity.
pub(crate) fn missing_from<'a>(a: &'a [String], b: &[String]) -> Vec<&'a str> {
    let mut rest: Vec<&String> = b.iter().collect();
    let mut out = Vec::new();
    for item in a {
        match rest.iter().position(|x| *x == item) {
            Some(i) => {
                rest.remove(i);
            }
            None => out.push(item.as_str()),
        }
    }
    out
}

/// A tag or attribute an `-html` message may not contain, with its byte offset in `text`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct HtmlProblem {
    pub offset: usize,
    pub what: String,
}

/// Finds tags and attributes outside [`nashr_l10n::inline_html`]'s lists.
pub(crate) fn html_problems(text: &str) -> Vec<HtmlProblem> {
    use nashr_l10n::inline_html::{GLOBAL_ATTRIBUTES, LINK_ATTRIBUTES, TAGS};
    let mut out = Vec::new();
    let mut rest = text;
    let mut base = 0;
    while let Some(lt) = rest.find('<') {
        let after = &rest[lt + 1..];
        // Closing tags repeat what the start tag said.
        let closing = after.starts_with('/');
        let name_part = after.strip_prefix('/').unwrap_or(after);
        let name: String = name_part
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        let Some(gt) = after.find('>') else { break };
        if !closing && !name.is_empty() && name_part.starts_with(|c: char| c.is_ascii_alphabetic()) {
            let offset = base + lt;
            if !TAGS.contains(&name.as_str()) {
                out.push(HtmlProblem {
                    offset,
                    what: format!("<{name}>"),
                });
            } else {
                let inside = &after[..gt];
                for attr in attribute_names(&inside[inside.find(char::is_whitespace).unwrap_or(inside.len())..]) {
                    let allowed = GLOBAL_ATTRIBUTES.contains(&attr.as_str())
                        || (name == "a" && LINK_ATTRIBUTES.contains(&attr.as_str()));
                    if !allowed {
                        out.push(HtmlProblem {
                            offset,
                            what: format!("the {attr} attribute of <{name}>"),
                        });
                    }
                }
            }
        }
        base += lt + 1 + gt + 1;
        rest = &after[gt + 1..];
    }
    out
}

/// Attribute names in the inside of a start tag (after its name), skipping quoted values.
fn attribute_names(s: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() || c == '/' {
            chars.next();
        } else if c == '=' {
            chars.next();
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            match chars.peek() {
                Some(&q @ ('"' | '\'')) => {
                    chars.next();
                    for c in chars.by_ref() {
                        if c == q {
                            break;
                        }
                    }
                }
                _ => {
                    while chars.peek().is_some_and(|c| !c.is_whitespace()) {
                        chars.next();
                    }
                }
            }
        } else {
            let mut name = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || c == '=' || c == '/' {
                    break;
                }
                name.push(c.to_ascii_lowercase());
                chars.next();
            }
            names.push(name);
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_parts() {
        let p = parts("See [massage](@/massage#a), `npm` and ![x](a.svg) **bold**");
        assert_eq!(p.links, ["@/massage#a"]);
        assert_eq!(p.images, ["a.svg"]);
        assert_eq!(p.code, ["npm"]);
        assert_eq!(p.stray_markers, 0);
        assert_eq!(parts("**نیمه* باز").stray_markers, 1);
    }

    #[test]
    fn html_lists() {
        assert!(html_problems("<a href=\"https://x\" dir=\"ltr\">x</a> <strong>y</strong><br/>").is_empty());
        let found = html_problems("<b onclick=\"x()\">a</b> <script>x</script> 2 < 3");
        let what: Vec<_> = found.iter().map(|p| p.what.as_str()).collect();
        assert_eq!(what, ["the onclick attribute of <b>", "<script>"]);
        assert_eq!(found[1].offset, 23);
    }
}
