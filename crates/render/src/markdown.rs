//! Markdown to safe HTML: CommonMark via pulldown-cmark, `@/slug` links resolved for the
//! page's locale, headings given the ids of their segments, raw HTML sanitised by ammonia.

use std::sync::LazyLock;

use nashr_l10n::bidi::{Sink, for_sink};
use pulldown_cmark::{CowStr, Event, Parser, Tag, TagEnd};

/// What a body needs to know about the page it is rendered into.
pub struct MarkdownContext<'a> {
    /// Locale of the page: `@/slug` links go to the same locale.
    pub lang: &'a str,
    /// Path prefix of the site (`/` or `/clinic/`).
    pub base_path: &'a str,
    /// Anchor ids for the body's headings, in order.
    pub heading_ids: &'a [String],
    /// Whether the article with this slug is on the site (not a draft, not scheduled later).
    pub is_live: &'a dyn Fn(&str) -> bool,
}

/// The rendered body.
pub struct RenderedBody {
    pub html: String,
    /// Words of visible text, for the reading time.
    pub words: usize,
    /// `@/slug` links whose article is not published yet: their text is kept, the link left
    /// out until the article is on the site.
    pub unpublished_links: Vec<String>,
}

pub fn render(body: &str, ctx: &MarkdownContext) -> RenderedBody {
    let events = Parser::new_ext(body, nashr_content::markdown_options());
    render_with(events, body.len(), ctx, &SANITIZER)
}

/// [`render`] from the body's events, parsed once with their ranges for segmenting
/// (`nashr_l10n::segment::body_events`).
pub fn render_parsed(
    body: &str,
    events: Vec<(Event<'_>, std::ops::Range<usize>)>,
    ctx: &MarkdownContext,
) -> RenderedBody {
    render_with(events.into_iter().map(|(e, _)| e), body.len(), ctx, &SANITIZER)
}

/// [`render`] for a body with translation marks (`nashr_l10n::marks`): their `data-`
/// attributes are kept.
pub fn render_marked(body: &str, ctx: &MarkdownContext) -> RenderedBody {
    let events = Parser::new_ext(body, nashr_content::markdown_options());
    render_with(events, body.len(), ctx, &crate::marks::SANITIZER)
}

fn render_with<'a>(
    events: impl Iterator<Item = Event<'a>>,
    body_len: usize,
    ctx: &MarkdownContext,
    sanitizer: &ammonia::Builder<'static>,
) -> RenderedBody {
    // Sanitizing (a full HTML parse and serialization) is needed only when the Markdown
    // carries raw HTML, a table (pulldown-cmark writes `style` for alignment, which ammonia
    // drops) or a URL with a scheme the sanitizer would refuse. Otherwise pulldown-cmark's
    // own output, which escapes all text and attributes, is already what ammonia keeps.
    let mut needs_sanitizing = false;
    let mut words = 0;
    let mut heading = 0;
    let mut unpublished_links = Vec::new();
    let mut dropping_link = false;
    let events = events.filter_map(|event| {
        Some(match event {
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                if let Some((slug, _)) = nashr_content::article::internal_link(&dest_url)
                    && !(ctx.is_live)(slug)
                {
                    unpublished_links.push(slug.to_string());
                    dropping_link = true;
                    return None;
                }
                let dest_url = resolve_link(&dest_url, ctx).map_or(dest_url, CowStr::from);
                needs_sanitizing |= !safe_url(&dest_url);
                Event::Start(Tag::Link {
                    link_type,
                    dest_url: value(dest_url),
                    title: value(title),
                    id,
                })
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                needs_sanitizing |= !safe_url(&dest_url);
                Event::Start(Tag::Image {
                    link_type,
                    dest_url: value(dest_url),
                    title: value(title),
                    id,
                })
            }
            Event::Html(h) => {
                needs_sanitizing = true;
                Event::Html(h)
            }
            Event::InlineHtml(h) => {
                needs_sanitizing = true;
                Event::InlineHtml(h)
            }
            Event::Start(Tag::Table(a)) => {
                needs_sanitizing = true;
                Event::Start(Tag::Table(a))
            }
            // `class="language-…"`, which ammonia drops.
            Event::Start(Tag::CodeBlock(pulldown_cmark::CodeBlockKind::Fenced(info))) => {
                needs_sanitizing |= !info.is_empty();
                Event::Start(Tag::CodeBlock(pulldown_cmark::CodeBlockKind::Fenced(info)))
            }
            Event::End(TagEnd::Link) if dropping_link => {
                dropping_link = false;
                return None;
            }
            Event::Start(Tag::Heading {
                level,
                id,
                classes,
                attrs,
            }) => {
                let id = ctx.heading_ids.get(heading).map(|h| CowStr::from(h.clone())).or(id);
                heading += 1;
                Event::Start(Tag::Heading {
                    level,
                    id,
                    classes,
                    attrs,
                })
            }
            Event::Text(text) => {
                words += count_words(&text);
                Event::Text(text)
            }
            other => other,
        })
    });
    let mut html = String::with_capacity(body_len * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events);
    let html = direct_isolated_blocks(html);
    // Marks go from raw HTML's attributes before sanitising: one hiding a `javascript:` URL
    // from ammonia must not be removed after it (see `nashr_l10n::bidi`).
    let html = match for_sink(&html, Sink::Markup) {
        unmarked if needs_sanitizing => sanitizer.clean(&unmarked).to_string(),
        std::borrow::Cow::Borrowed(_) => html,
        std::borrow::Cow::Owned(clean) => clean,
    };
    RenderedBody {
        html,
        words,
        unpublished_links,
    }
}

/// Gives a block whose text is a fallback written the other way (wrapped in U+2066 LRI or
/// U+2067 RLI … U+2069 by the localizer) that direction: `<p dir="ltr">` for an English
/// paragraph in a Persian page, so it is also aligned to the left, not only ordered right.
/// Only the paragraph, list item, heading or table cell the mark opens gets it.
fn direct_isolated_blocks(html: String) -> String {
    const BLOCKS: &[&str] = &["p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th"];
    if !nashr_l10n::bidi::has_directed_isolates(&html) {
        return html;
    }
    let mut out = String::with_capacity(html.len() + 64);
    let mut copied = 0;
    for (i, mark) in html.match_indices(['\u{2066}', '\u{2067}']) {
        let before = &html[..i];
        let Some(open) = before
            .strip_suffix('>')
            .and_then(|b| b.rfind('<').map(|lt| &b[lt + 1..]))
        else {
            continue;
        };
        let name = open.split([' ', '\n']).next().unwrap_or_default();
        if !BLOCKS.contains(&name) || open.contains("dir=") {
            continue;
        }
        out.push_str(&html[copied..i - 1]);
        out.push_str(if mark == "\u{2066}" {
            " dir=\"ltr\">"
        } else {
            " dir=\"rtl\">"
        });
        copied = i;
    }
    out.push_str(&html[copied..]);
    out
}

/// `text.split_whitespace().count()`, a byte at a time: decoding every character of a
/// Persian page (two bytes a letter) to ask whether it is white space was a twentieth of a
/// build. A word starts at a byte that is not white space after one that is; continuation
/// bytes are never white space, so the count needs no decoding. The step is branch-free
/// but for the lead bytes of the few non-ASCII white space characters (and of ZWNJ and the
/// isolation marks, which share them): 2.7 times faster than a match per character.
fn count_words(text: &str) -> usize {
    let b = text.as_bytes();
    let (mut words, mut after_space, mut i) = (0usize, SPACE, 0);
    while i < b.len() {
        let class = BYTE_CLASS[usize::from(b[i])];
        if class == MAYBE_SPACE {
            let len = unicode_space_len(&b[i..]);
            if len > 0 {
                after_space = SPACE;
                i += len;
                continue;
            }
        }
        let space = class & SPACE;
        words += usize::from(after_space & (space ^ SPACE));
        after_space = space;
        i += 1;
    }
    words
}

/// [`BYTE_CLASS`]: ASCII white space.
const SPACE: u8 = 1;
/// [`BYTE_CLASS`]: the lead byte of a white space character, or of another character.
const MAYBE_SPACE: u8 = 2;
/// What each byte of UTF-8 text says about white space (0: not white space).
static BYTE_CLASS: [u8; 256] = {
    let mut class = [0u8; 256];
    let mut c = b'\t';
    while c <= b'\r' {
        class[c as usize] = SPACE;
        c += 1;
    }
    class[b' ' as usize] = SPACE;
    class[0xc2] = MAYBE_SPACE;
    class[0xe1] = MAYBE_SPACE;
    class[0xe2] = MAYBE_SPACE;
    class[0xe3] = MAYBE_SPACE;
    class
};

/// The length of the non-ASCII white space character `b` starts with (0 if none).
fn unicode_space_len(b: &[u8]) -> usize {
    match b {
        // U+0085, U+00A0
        [0xc2, 0x85 | 0xa0, ..] => 2,
        // U+1680
        [0xe1, 0x9a, 0x80, ..] => 3,
        // U+2000–U+200A, U+2028, U+2029, U+202F, U+205F
        [0xe2, 0x80, 0x80..=0x8a | 0xa8 | 0xa9 | 0xaf, ..] | [0xe2, 0x81, 0x9f, ..] => 3,
        // U+3000
        [0xe3, 0x80, 0x80, ..] => 3,
        _ => 0,
    }
}

/// Schemes ammonia's default allow-list keeps (`ammonia::Builder::default`).
const SAFE_SCHEMES: &[&str] = &[
    "bitcoin",
    "ftp",
    "ftps",
    "geo",
    "http",
    "https",
    "im",
    "irc",
    "ircs",
    "magnet",
    "mailto",
    "mms",
    "mx",
    "news",
    "nntp",
    "openpgp4fpr",
    "sip",
    "sms",
    "smsto",
    "ssh",
    "tel",
    "url",
    "webcal",
    "wtai",
    "xmpp",
];

/// Whether ammonia would keep `url` as it is: relative, or with an allowed scheme, and
/// nothing in it a browser would read differently from us (control characters, spaces).
fn safe_url(url: &str) -> bool {
    if url.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\') {
        return false;
    }
    match url.find([':', '/', '?', '#']) {
        Some(i) if url.as_bytes()[i] == b':' => {
            let scheme = &url[..i];
            SAFE_SCHEMES.iter().any(|s| s.eq_ignore_ascii_case(scheme))
        }
        _ => true,
    }
}

/// Link and image URLs and titles are values, not running text: a Fluent placeable in a
/// translated URL must not leave its isolation marks there (pulldown-cmark would
/// percent-encode them into the `href`, out of reach of the markup scan).
fn value(text: CowStr<'_>) -> CowStr<'_> {
    match for_sink(&text, Sink::Value) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(s) => CowStr::from(s),
    }
}

/// `@/slug` and `@/slug#part` become the URL of that article in the same locale.
fn resolve_link(dest: &str, ctx: &MarkdownContext) -> Option<String> {
    let (slug, fragment) = nashr_content::article::internal_link(dest)?;
    Some(match fragment {
        Some(f) => format!("{}{}/{slug}/#{f}", ctx.base_path, ctx.lang),
        None => format!("{}{}/{slug}/", ctx.base_path, ctx.lang),
    })
}

/// ammonia's defaults, plus `dir` and `lang` everywhere (its default allow-list drops `dir`,
/// which Persian quotations in English text need) and `id` on headings for anchors.
static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(sanitizer);

pub(crate) fn sanitizer() -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::default();
    b.add_generic_attributes(["dir", "lang"]);
    for h in ["h1", "h2", "h3", "h4", "h5", "h6"] {
        b.add_tag_attributes(h, ["id"]);
    }
    b.add_tags(["bdi"]);
    b.link_rel(None);
    b
}

/// Sanitises the HTML of a `-html` Fluent message: inline markup only. Isolation marks go
/// from its tags first (they could hide a URL's scheme from the sanitiser).
pub fn sanitize_inline(html: &str) -> String {
    static INLINE: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
        let mut b = ammonia::Builder::empty();
        // The same lists `nashr l10n lint` checks translations against.
        use nashr_l10n::inline_html as allowed;
        b.add_tags(allowed::TAGS);
        b.add_generic_attributes(allowed::GLOBAL_ATTRIBUTES);
        b.add_tag_attributes("a", allowed::LINK_ATTRIBUTES);
        b.url_schemes(allowed::URL_SCHEMES.iter().copied().collect());
        b.link_rel(None);
        b
    });
    INLINE.clean(&for_sink(html, Sink::Markup)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_renders_the_same_from_the_events_parsed_for_segmenting() {
        let body = "## Why it hurts\n\nSee [the other](@/other) and [a draft](@/draft), *or* \
                    <b>this</b>.\n\n- one\n- two\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n```rust\nlet x;\n```\n";
        let ids = vec!["why-it-hurts".to_string()];
        let ctx = MarkdownContext {
            lang: "fa",
            base_path: "/",
            heading_ids: &ids,
            is_live: &|slug| slug == "other",
        };
        let (once, twice) = (
            render_parsed(body, nashr_l10n::segment::body_events(body), &ctx),
            render(body, &ctx),
        );
        assert_eq!(once.html, twice.html);
        assert_eq!(
            (once.words, once.unpublished_links),
            (twice.words, twice.unpublished_links)
        );
        assert!(once.html.contains(r#"<h2 id="why-it-hurts">"#), "{}", once.html);
        assert!(once.html.contains(r#"href="/fa/other/""#), "{}", once.html);
    }

    #[test]
    fn count_words_agrees_with_split_whitespace() {
        let spaces: Vec<char> = (0..=0x3000u32)
            .filter_map(char::from_u32)
            .filter(|c| c.is_whitespace())
            .collect();
        let pieces = [
            "می‌شود",
            "word",
            "۱۲",
            "\u{200c}",
            "é",
            "𝔸",
            "\u{2069}",
            "\u{1680}x",
            "\u{2030}",
        ];
        let mut seed = 7u64;
        for _ in 0..5000 {
            let mut text = String::new();
            for _ in 0..(seed % 12) {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                if seed >> 63 == 1 {
                    text.push(spaces[(seed >> 20) as usize % spaces.len()]);
                } else {
                    text.push_str(pieces[(seed >> 20) as usize % pieces.len()]);
                }
            }
            assert_eq!(count_words(&text), text.split_whitespace().count(), "{text:?}");
        }
    }

    #[test]
    fn links_anchors_and_sanitizing() {
        let ids = vec!["what-is-it".to_string()];
        let ctx = MarkdownContext {
            lang: "fa",
            base_path: "/",
            heading_ids: &ids,
            is_live: &|s| s != "draft",
        };
        let out = render(
            "## چیست؟\n\nمی\u{200C}شود [x](@/other#a) [soon](@/draft) <script>alert(1)</script><span dir=\"ltr\" onclick=\"x\">Rust</span>\n",
            &ctx,
        );
        assert!(out.html.contains("<h2 id=\"what-is-it\">چیست؟</h2>"), "{}", out.html);
        assert!(out.html.contains("href=\"/fa/other/#a\""), "{}", out.html);
        assert!(out.html.contains("می\u{200C}شود"));
        assert!(out.html.contains("<span dir=\"ltr\">Rust</span>"), "{}", out.html);
        assert!(!out.html.contains("script"));
        assert_eq!(out.words, 6); // the heading counts too
        assert!(
            out.html.contains(" soon ") && !out.html.contains("/fa/draft/"),
            "{}",
            out.html
        );
        assert_eq!(out.unpublished_links, ["draft"]);
    }

    #[test]
    fn a_block_isolated_for_the_other_direction_gets_that_direction() {
        let ids = vec!["why".to_string()];
        let ctx = MarkdownContext {
            lang: "fa",
            base_path: "/",
            heading_ids: &ids,
            is_live: &|_| true,
        };
        let out = render(
            "## \u{2066}Why?\u{2069}\n\n\u{2066}An *English* fallback.\u{2069}\n\n- \u{2066}item\u{2069}\n- مورد\n\nعدد \u{2066}5\u{2069} و \u{2068}۶\u{2069}\n\n\u{2067}فارسی\u{2069}\n",
            &ctx,
        );
        let html = &out.html;
        assert!(
            html.contains("<h2 id=\"why\" dir=\"ltr\">\u{2066}Why?\u{2069}</h2>"),
            "{html}"
        );
        assert!(
            html.contains("<p dir=\"ltr\">\u{2066}An <em>English</em> fallback.\u{2069}</p>"),
            "{html}"
        );
        assert!(
            html.contains("<li dir=\"ltr\">\u{2066}item\u{2069}</li>\n<li>مورد</li>"),
            "{html}"
        );
        // A mark inside a paragraph leaves the paragraph alone.
        assert!(html.contains("<p>عدد \u{2066}5\u{2069} و"), "{html}");
        assert!(html.contains("<p dir=\"rtl\">\u{2067}فارسی\u{2069}</p>"), "{html}");
    }

    #[test]
    fn isolation_marks_stay_in_text_and_never_reach_urls() {
        let ctx = MarkdownContext {
            lang: "fa",
            base_path: "/",
            heading_ids: &[],
            is_live: &|_| true,
        };
        let out = render(
            "عدد \u{2068}۵\u{2069} [پیوند](https://example.com/\u{2068}5\u{2069} \"\u{2068}t\u{2069}\") ![\u{2068}alt\u{2069}](a\u{2068}.png) <a href=\"\u{2068}javascript:alert(1)\u{2069}\">x</a>\n",
            &ctx,
        );
        assert!(out.html.contains("عدد \u{2068}۵\u{2069}"), "{}", out.html);
        assert!(
            out.html.contains("href=\"https://example.com/5\" title=\"t\""),
            "{}",
            out.html
        );
        assert!(out.html.contains("src=\"a.png\" alt=\"alt\""), "{}", out.html);
        assert!(!out.html.contains("%E2%81"), "{}", out.html);
        // The mark did not smuggle a script URL past the sanitiser.
        assert!(!out.html.contains("javascript"), "{}", out.html);
        let inline = sanitize_inline("<a href=\"\u{2068}javascript:alert(1)\u{2069}\">x</a> \u{2068}y\u{2069}");
        assert!(!inline.contains("javascript"), "{inline}");
        assert!(inline.contains("\u{2068}y\u{2069}"), "{inline}");
    }
}
