//! What the server adds to every HTML page it serves: the live-reload client, the toolbar,
//! the error overlay and, with marks on, the marks panel. The renderer never sees any of it.

use nashr_content::html::{Escape, escape};
use nashr_l10n::bidi::{Sink, for_sink};
use nashr_render::marks::Mark;

use crate::Problem;

pub(crate) const CLIENT_JS: &str = include_str!("assets/client.js");
pub(crate) const CLIENT_CSS: &str = include_str!("assets/client.css");

/// A value for an attribute, JSON or a data attribute: no isolation marks.
fn value(s: &str) -> String {
    for_sink(s, Sink::Value).into_owned()
}

pub(crate) fn mark_json(m: &Mark) -> serde_json::Value {
    serde_json::json!({
        "kind": m.kind.as_str(),
        "id": value(&m.id),
        "slug": m.slug,
        "locale": m.locale,
        "shown_locale": m.shown_locale,
        "file": value(&m.file),
        "line": m.line,
        "location": value(&m.location()),
        "source_file": value(&m.source_file),
        "source_line": m.source_line,
        "source": value(&m.source),
        "text": value(&m.text),
    })
}

/// JSON inside `<script>`: no `</script>` or `<!--` can be formed.
fn script_json(v: &serde_json::Value) -> String {
    v.to_string().replace('<', "\\u003c")
}

/// The overlay listing `problems` (empty: no overlay).
pub(crate) fn overlay(problems: &[Problem]) -> String {
    if problems.is_empty() {
        return String::new();
    }
    let errors = problems.iter().filter(|p| p.blocking).count();
    let title = if errors > 0 {
        format!(
            "{errors} error{} in the input: the page shows the last version that built",
            if errors == 1 { "" } else { "s" }
        )
    } else {
        let n = problems.len();
        format!(
            "{n} translation error{} found by nashr l10n lint",
            if n == 1 { "" } else { "s" }
        )
    };
    let mut html = format!(
        "<div id=\"nashr-overlay\" role=\"alertdialog\" aria-label=\"nashr: problems\" dir=\"ltr\"><div class=\"nashr-box\"><button id=\"nashr-overlay-close\" type=\"button\">close</button><h2>{}</h2>",
        escape(&title, Escape::Html)
    );
    for p in problems {
        html.push_str("<div class=\"nashr-problem\">");
        if let Some(file) = &p.file {
            html.push_str(&format!(
                "<div class=\"nashr-where\"><span class=\"nashr-file\">{}</span>:<span class=\"nashr-line\">{}</span>:{}</div>",
                escape(file, Escape::Html),
                p.line,
                p.column
            ));
        }
        html.push_str(&format!(
            "<div class=\"nashr-message\">{}</div>",
            escape(&p.message, Escape::Html)
        ));
        if !p.line_text.is_empty() {
            html.push_str(&format!(
                "<pre><span class=\"nashr-lineno\">{} │ </span><span class=\"nashr-code\" dir=\"auto\">{}</span>{}</pre>",
                p.line,
                escape(&p.line_text, Escape::Html),
                if p.label.is_empty() {
                    String::new()
                } else {
                    format!("\n    <span class=\"nashr-label\">{}</span>", escape(&p.label, Escape::Html))
                }
            ));
        }
        if !p.help.is_empty() {
            html.push_str(&format!(
                "<div class=\"nashr-help\">{}</div>",
                escape(&p.help, Escape::Html)
            ));
        }
        html.push_str("</div>");
    }
    html.push_str("<p class=\"nashr-note\">Fix the file and save it: this page updates by itself. The server keeps running.</p></div></div>");
    html
}

/// The marks panel of a page.
pub(crate) fn panel(marks: &[Mark]) -> String {
    let count = |k: &str| marks.iter().filter(|m| m.kind.as_str() == k).count();
    let mut html = format!(
        "<aside id=\"nashr-panel\" dir=\"ltr\" aria-label=\"Translation marks\"><h2>Translation marks: {} missing, {} stale, {} fallback</h2><ul>",
        count("missing"),
        count("stale"),
        count("fallback")
    );
    if marks.is_empty() {
        html.push_str("<li class=\"nashr-none\">Everything on this page is translated and current.</li>");
    }
    for m in marks {
        let kind = m.kind.as_str();
        let source_at = match m.source_line {
            Some(l) => format!("{}:{l}", m.source_file),
            None => m.source_file.clone(),
        };
        html.push_str(&format!(
            "<li class=\"nashr-{kind}\" data-id=\"{id}\" data-kind=\"{kind}\"><span class=\"nashr-kind\">{kind}</span> <code>{id}</code>{ui}<span class=\"nashr-loc\">{loc}</span><span class=\"nashr-src\" dir=\"auto\">{src_at}: {src}</span></li>",
            id = escape(&value(&m.id), Escape::Html),
            ui = if m.slug.is_none() { " <small>(page text)</small>" } else { "" },
            loc = escape(&value(&m.location()), Escape::Html),
            src_at = escape(&value(&source_at), Escape::Html),
            src = escape(&m.source, Escape::Html),
        ));
    }
    html.push_str("</ul></aside>");
    html
}

/// Everything injected at the end of `<body>`.
pub(crate) struct Injection<'a> {
    pub site_version: u64,
    pub problems: &'a [Problem],
    /// `Some` when marks are on: the page's marks.
    pub marks: Option<&'a [Mark]>,
}

impl Injection<'_> {
    pub(crate) fn html(&self) -> String {
        let ui_marks: Vec<serde_json::Value> = self
            .marks
            .unwrap_or_default()
            .iter()
            .filter(|m| m.slug.is_none())
            .map(mark_json)
            .collect();
        let config = serde_json::json!({
            "site_version": self.site_version,
            "marks": self.marks.is_some(),
            "ui_marks": ui_marks,
        });
        let mut html = String::from(
            "\n<!-- nashr serve: preview only -->\n<link rel=\"stylesheet\" href=\"/_nashr/client.css\">\n",
        );
        html.push_str(&format!(
            "<div id=\"nashr-bar\" dir=\"ltr\"><label><input type=\"checkbox\" id=\"nashr-marks-toggle\"{}> Translation marks</label><a href=\"/_newsletter/\">Newsletter</a></div>\n",
            if self.marks.is_some() { " checked" } else { "" }
        ));
        if let Some(marks) = self.marks {
            html.push_str(&panel(marks));
            html.push('\n');
        }
        html.push_str(&overlay(self.problems));
        html.push_str(&format!(
            "\n<script>window.__nashr = {};</script>\n<script src=\"/_nashr/client.js\"></script>\n",
            script_json(&config)
        ));
        html
    }
}

/// `page` with `extra` inserted before its last `</body>` (or at the end).
pub(crate) fn inject(page: &[u8], extra: &str) -> Vec<u8> {
    let lower = page.to_ascii_lowercase();
    let at = lower.windows(7).rposition(|w| w == b"</body>").unwrap_or(page.len());
    let mut out = Vec::with_capacity(page.len() + extra.len());
    out.extend_from_slice(&page[..at]);
    out.extend_from_slice(extra.as_bytes());
    out.extend_from_slice(&page[at..]);
    out
}

/// A page of the server's own (404, errors, the newsletter list), with the client injected.
pub(crate) fn own_page(title: &str, body: &str, injection: &Injection) -> Vec<u8> {
    let page = format!(
        "<!doctype html>\n<html lang=\"en\" dir=\"ltr\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>body{{font:15px/1.5 system-ui,sans-serif;margin:2em auto;max-width:60em;padding:0 1em}} table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;padding:4px 8px;text-align:start;vertical-align:top}} pre{{white-space:pre-wrap;background:#f6f8fa;padding:8px}} iframe{{width:100%;height:70vh;border:1px solid #ccc}}</style></head><body>\n{body}\n</body></html>\n",
        escape(title, Escape::Html)
    );
    inject(page.as_bytes(), &injection.html())
}
