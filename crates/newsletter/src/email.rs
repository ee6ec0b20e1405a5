//! Rendering an issue into email: per locale once (templates, CSS inlining, size check), then
//! per recipient only the greeting and the unsubscribe link are filled in and the MIME
//! message is built (plain text first, then HTML).

use std::sync::Arc;

use lettre::Address;
use lettre::address::Envelope;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use minijinja::Value;
use nashr_content::html::{Escape, escape};
use nashr_content::{Error, Project};
use nashr_l10n::bidi::{Sink, for_sink};
use nashr_l10n::{FluentArgs, Localizer};
use nashr_render::templates::Templates;
use pulldown_cmark::{Event, Parser, Tag, TagEnd};
use serde::Serialize;
use sha2::Digest;

use crate::issue::Issue;
use crate::token::Key;

/// Gmail clips messages above ~102 KB, hiding the footer and its unsubscribe link.
pub const MAX_HTML_BYTES: usize = 100 * 1024;

const GREETING: &str = "NASHR-GREETING-7f1c";
const UNSUBSCRIBE: &str = "NASHR-UNSUBSCRIBE-7f1c";

/// One issue rendered for one locale, before personalisation.
#[derive(Debug, Clone)]
pub struct LocaleEmail {
    pub issue: String,
    pub locale: String,
    pub rtl: bool,
    pub subject: String,
    pub preheader: String,
    html: String,
    text: String,
    /// Segments shown from another locale.
    pub fallback: Vec<String>,
}

/// A subscriber as the message builder needs it.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub email: String,
    pub name: String,
    pub locale: String,
}

#[derive(Debug, Clone, Serialize)]
struct Featured {
    title: String,
    summary: Option<String>,
    url: String,
    image: Option<String>,
    image_alt: String,
}

pub struct Renderer {
    pub project: Project,
    pub l10n: Arc<Localizer>,
    pub(crate) templates: Templates,
}

impl Renderer {
    pub fn new(project: Project, l10n: Arc<Localizer>) -> Result<Renderer, Error> {
        let templates = Templates::load(&project, l10n.clone())?;
        Ok(Renderer {
            project,
            l10n,
            templates,
        })
    }

    /// A renderer for `project` that reads the translations of an issue's articles when it
    /// renders the issue, not the catalogs of every article of the site: a worker lives long
    /// and sends few issues.
    pub fn for_project(project: &Project) -> Result<Renderer, Error> {
        let l10n = Arc::new(Localizer::load_lazy(project)?);
        Renderer::new(project.clone(), l10n)
    }

    /// The locale a subscriber's preference resolves to: itself if the site has it, else
    /// its language (`fa-IR` → `fa`), else the source locale.
    pub fn resolve_locale(&self, wanted: &str) -> String {
        resolve_locale(&self.project, wanted)
    }

    /// `issue` rendered for `locale`.
    pub fn render(&self, issue: &Issue, locale: &str) -> Result<LocaleEmail, Error> {
        let project = &self.project;
        let localized = issue.localize(project, locale)?;
        let rtl = self.l10n.locale(locale).is_some_and(|l| l.rtl);
        let (dir, align) = if rtl { ("rtl", "right") } else { ("ltr", "left") };
        let base = project.config.base_url();
        let mut articles = Vec::new();
        for slug in &issue.articles {
            let Some(article) = project.article(slug) else { continue };
            // The article's translations, read for this issue (a broken one is an error here).
            let _catalogs = self.l10n.open_translations(article).map_err(Error::Input)?;
            let loc = self.l10n.localize(article, locale);
            let page = format!("{base}{locale}/{slug}/");
            articles.push(Featured {
                title: for_sink(&loc.title, Sink::Text).into_owned(),
                summary: loc.summary.clone(),
                image: article.front().hero.as_ref().map(|h| format!("{page}{}", h.src)),
                image_alt: for_sink(
                    loc.hero_alt
                        .as_deref()
                        .or(article.front().hero.as_ref().map(|h| h.alt.as_str()))
                        .unwrap_or(""),
                    Sink::Value,
                )
                .into_owned(),
                url: page,
            });
        }
        let nl = &project.config.newsletter;
        let ctx = |intro_html: &str, intro_text: &str| {
            minijinja::context! {
                lang => locale,
                dir => dir,
                align => align,
                rtl => rtl,
                issue => issue.id.clone(),
                date => issue.date.clone(),
                subject => localized.subject.clone(),
                preheader => localized.preheader.clone(),
                intro_html => Value::from_safe_string(intro_html.to_string()),
                intro_text => intro_text.to_string(),
                articles => Value::from(minijinja::value::Serde(articles.clone())),
                greeting => GREETING,
                unsubscribe_url => UNSUBSCRIBE,
                sender => nl.from_name.clone(),
                postal_address => nl.postal_address.clone(),
                site_url => base.clone(),
            }
        };
        let intro_html = markdown_html(&localized.intro);
        let intro_text = markdown_text(&localized.intro);
        let located = |e| Error::Input(vec![e]);
        let html = self
            .templates
            .render("email/newsletter.html", ctx(&intro_html, &intro_text))
            .map_err(located)?;
        let text = self
            .templates
            .render("email/newsletter.txt", ctx(&intro_html, &intro_text))
            .map_err(located)?;
        let html = for_sink(&html, Sink::Markup).into_owned();
        let inliner = css_inline::CSSInliner::options()
            .load_remote_stylesheets(false)
            .keep_style_tags(false)
            .build();
        let html = inliner
            .inline(&html)
            .map_err(|e| Error::Environment(format!("CSS inlining of the {locale} email failed: {e}")))?;
        if html.len() > MAX_HTML_BYTES {
            return Err(Error::Environment(format!(
                "the {locale} HTML of newsletter {} is {} KB; keep it under {} KB (Gmail clips longer messages, hiding the unsubscribe link)",
                issue.id,
                html.len() / 1024,
                MAX_HTML_BYTES / 1024
            )));
        }
        Ok(LocaleEmail {
            issue: issue.id.clone(),
            locale: locale.to_string(),
            rtl,
            subject: localized.subject,
            preheader: localized.preheader,
            html,
            text,
            fallback: localized.fallback,
        })
    }

    /// The greeting line for `r` in its locale (running text: bidi isolation kept).
    pub fn greeting(&self, r: &Recipient, locale: &str) -> String {
        let name = r.name.trim();
        let result = if name.is_empty() {
            self.l10n.message(locale, "email-greeting-anonymous", None)
        } else {
            let mut args = FluentArgs::new();
            args.set("name", name.to_string());
            self.l10n.message(locale, "email-greeting", Some(&args))
        };
        result.map(|f| f.text).unwrap_or_default()
    }
}

pub fn resolve_locale(project: &Project, wanted: &str) -> String {
    let locales = &project.config.site.locales;
    let wanted = wanted.trim();
    if locales.iter().any(|l| l == wanted) {
        return wanted.to_string();
    }
    let lang = wanted.split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
    locales
        .iter()
        .find(|l| **l == lang)
        .cloned()
        .unwrap_or_else(|| project.config.site.source_locale.clone())
}

/// A finished message for one recipient.
#[derive(Debug, Clone)]
pub struct Built {
    pub envelope: Envelope,
    pub bytes: Vec<u8>,
    pub message_id: String,
    /// A file name for the file transport (the Message-ID's left part).
    pub file_name: String,
}

/// Header text: no bidi marks, no line breaks or other controls (no header injection).
pub fn header_text(s: &str) -> String {
    let s = for_sink(s, Sink::Value);
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
                ' '
            } else {
                c
            }
        })
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The deterministic Message-ID of `issue` × `address`.
pub fn message_id(issue: &str, address: &str, domain: &str) -> (String, String) {
    let digest = sha2::Sha256::digest(format!("{issue}\0{address}").as_bytes());
    let safe_issue: String = issue
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
        .collect();
    let left = format!("{safe_issue}.{}", crate::token::hex(&digest[..12]));
    (format!("<{left}@{domain}>"), left)
}

impl Renderer {
    /// Builds the message of `email` for `r`.
    pub fn build(&self, email: &LocaleEmail, r: &Recipient, key: &Key) -> Result<Built, String> {
        let nl = &self.project.config.newsletter;
        let from_addr: Address = nl
            .from_address
            .parse()
            .map_err(|e| format!("[newsletter] from_address `{}`: {e}", nl.from_address))?;
        let to_addr: Address = r.email.parse().map_err(|e| format!("address `{}`: {e}", r.email))?;
        let token = key.token(&r.email);
        let sep = if nl.unsubscribe_url.contains('?') { '&' } else { '?' };
        let url = format!("{}{sep}t={token}", nl.unsubscribe_url);
        let mailto = format!("mailto:{}?subject=unsubscribe%20{token}", nl.unsubscribe_mailto);
        let greeting = self.greeting(r, &email.locale);
        let html = email
            .html
            .replace(GREETING, &escape(&greeting, Escape::Html))
            .replace(UNSUBSCRIBE, &escape(&url, Escape::Html));
        let text = email.text.replace(GREETING, &greeting).replace(UNSUBSCRIBE, &url);
        let domain = nl
            .message_id_domain
            .clone()
            .unwrap_or_else(|| from_addr.domain().to_string());
        let (id, file_name) = message_id(&email.issue, &r.email, &domain);
        let name = header_text(&r.name);
        let message = lettre::Message::builder()
            .from(Mailbox::new(Some(header_text(&nl.from_name)), from_addr))
            .to(Mailbox::new((!name.is_empty()).then_some(name), to_addr))
            .subject(header_text(&email.subject))
            .message_id(Some(id.clone()))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{url}>, <{mailto}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_string(),
            ))
            .multipart(
                MultiPart::alternative()
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(text))
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html)),
            )
            .map_err(|e| format!("cannot build the message to {}: {e}", r.email))?;
        Ok(Built {
            envelope: message.envelope().clone(),
            bytes: message.formatted(),
            message_id: id,
            file_name,
        })
    }
}

/// Markdown to HTML for the intro. Raw HTML is shown as text (translations are text).
pub fn markdown_html(md: &str) -> String {
    let events = Parser::new_ext(md, nashr_content::markdown_options()).map(|e| match e {
        Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
        e => e,
    });
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, events);
    out
}

/// Markdown to plain text: links become `text (url)`, lists `- item`.
pub fn markdown_text(md: &str) -> String {
    let mut out = String::new();
    let mut links = Vec::new();
    for e in Parser::new_ext(md, nashr_content::markdown_options()) {
        match e {
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => out.push_str(&t),
            Event::SoftBreak => out.push(' '),
            Event::HardBreak => out.push('\n'),
            Event::Start(Tag::Item) => out.push_str("- "),
            Event::Start(Tag::Link { dest_url, .. }) => links.push(dest_url.to_string()),
            Event::End(TagEnd::Link) => {
                if let Some(url) = links.pop() {
                    out.push_str(&format!(" ({url})"));
                }
            }
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::List(_)) => out.push_str("\n\n"),
            Event::End(TagEnd::Item) => out.push('\n'),
            _ => {}
        }
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_text_removes_line_breaks_and_isolates() {
        assert_eq!(header_text("Sara\r\nBcc: x@evil.example"), "Sara Bcc: x@evil.example");
        assert_eq!(header_text("\u{2068}Ali\u{2069}\n"), "Ali");
        assert_eq!(header_text("می‌خواهم"), "می‌خواهم", "ZWNJ stays");
    }

    #[test]
    fn message_ids_are_deterministic_per_issue_and_recipient() {
        let a = message_id("2026-12", "a@example.com", "clinic.example");
        assert_eq!(a, message_id("2026-12", "a@example.com", "clinic.example"));
        assert_ne!(a.0, message_id("2026-12", "b@example.com", "clinic.example").0);
        assert_ne!(a.0, message_id("2027-01", "a@example.com", "clinic.example").0);
        assert!(a.0.starts_with("<2026-12.") && a.0.ends_with("@clinic.example>"));
    }

    #[test]
    fn markdown_to_text_keeps_zwnj_and_links() {
        let t = markdown_text("می‌توانید [اینجا](https://x.example/) ببینید.\n\n- یک\n- دو");
        assert!(t.contains("می‌توانید اینجا (https://x.example/) ببینید."), "{t}");
        assert!(t.contains("- یک\n- دو"), "{t}");
    }
}

#[cfg(test)]
mod injection {
    use super::*;

    #[test]
    fn a_name_or_subject_cannot_add_a_header() {
        let name = header_text("Sara\r\nBcc: victim@evil.example");
        let subject = header_text("Hello\nX-Injected: yes");
        let m = lettre::Message::builder()
            .from("a@example.com".parse().unwrap())
            .to(Mailbox::new(Some(name), "b@example.com".parse().unwrap()))
            .subject(subject)
            .body(String::from("x"))
            .unwrap();
        let text = String::from_utf8(m.formatted()).unwrap();
        let head = text.split("\r\n\r\n").next().unwrap();
        assert!(
            !head
                .lines()
                .any(|l| l.starts_with("Bcc:") || l.starts_with("X-Injected:")),
            "{head}"
        );
    }
}
