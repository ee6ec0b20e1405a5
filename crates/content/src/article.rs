//! Articles: `content/<slug>/index.md` with TOML (`+++`) or YAML (`---`) front matter, plus the
//! files next to it (images) and optional whole-file translations `index.<lang>.md`.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use pulldown_cmark::{Event, Parser, Tag};
use serde::Deserialize;

use crate::diag::{SourceError, find_key};

/// The typed front matter. Unknown fields are rejected so that a typo (`reviwed_by`) is an
/// error rather than a silently missing reviewer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    pub title: String,
    #[serde(default)]
    pub summary: Option<String>,
    pub date: DateField,
    #[serde(default)]
    pub updated: Option<DateField>,
    #[serde(default)]
    pub author: Option<String>,
    #[serde(default)]
    pub reviewed_by: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Source locale of this article, when it differs from the project's.
    #[serde(default)]
    pub lang: Option<String>,
    #[serde(default)]
    pub status: Status,
    #[serde(default)]
    pub publish_at: Option<TimestampField>,
    #[serde(default)]
    pub hero: Option<Hero>,
    /// The article's slug on CMS targets (WordPress), instead of one made from the title by
    /// [`crate::slugify`]. In `index.<lang>.md` it applies to that language. Site URLs
    /// always use the directory name.
    #[serde(default)]
    pub slug: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hero {
    pub src: String,
    pub alt: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Draft,
    #[default]
    Published,
    Scheduled,
}

/// A calendar date written as a TOML date (`2026-10-14`), a TOML datetime, or a YAML string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DateField(pub Date);

/// An instant with an explicit UTC offset (`2026-12-01T09:00:00-08:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimestampField(pub jiff::Timestamp);

/// TOML hands datetimes to serde as a one-entry map; YAML as a plain string. Accept both.
fn date_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a date such as 2026-10-14")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<String, A::Error> {
            let _: Option<String> = map.next_key()?;
            map.next_value()
        }
    }
    d.deserialize_any(V)
}

impl<'de> Deserialize<'de> for DateField {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = date_text(d)?;
        let day = text.get(..10).unwrap_or(&text);
        day.parse::<Date>()
            .map(DateField)
            .map_err(|_| serde::de::Error::custom(format!("`{text}` is not a date; write it as YYYY-MM-DD")))
    }
}

impl<'de> Deserialize<'de> for TimestampField {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = date_text(d)?;
        text.parse::<jiff::Timestamp>().map(TimestampField).map_err(|_| {
            serde::de::Error::custom(format!(
                "`{text}` is not a date and time with a UTC offset; write e.g. 2026-12-01T09:00:00-08:00"
            ))
        })
    }
}

/// Which syntax the front matter was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrontMatterFormat {
    Toml,
    Yaml,
}

/// A Markdown document with front matter: an article or one of its whole-file translations.
#[derive(Debug, Clone)]
pub struct Document {
    /// Path relative to the project root, as shown in messages.
    pub path: PathBuf,
    /// The whole file.
    pub source: String,
    pub front: FrontMatter,
    pub format: FrontMatterFormat,
    /// Byte range of the front matter text (between the fences) in `source`.
    pub front_range: Range<usize>,
    /// Byte offset in `source` where the Markdown body starts.
    pub body_start: usize,
    /// The body's links and images, found once ([`Document::references`]): loading checks
    /// them and incremental builds record them, and a Markdown parse of 10,000 articles each
    /// time showed in profiles.
    references: std::sync::OnceLock<Vec<Reference>>,
}

impl Document {
    pub fn body(&self) -> &str {
        &self.source[self.body_start..]
    }

    /// The links and images of the body ([`references`]), parsed on first use.
    pub fn references(&self) -> &[Reference] {
        self.references.get_or_init(|| references(self.body()))
    }

    /// Records the body's links and images, found by a caller that parsed the body anyway
    /// ([`references_in`]); they are not parsed again. No effect once they are known.
    pub fn set_references(&self, references: Vec<Reference>) {
        let _ = self.references.set(references);
    }

    /// An error at `span`, a byte range of the body.
    pub fn body_error(&self, span: Range<usize>, message: impl Into<String>) -> SourceError {
        let span = span.start + self.body_start..span.end + self.body_start;
        SourceError::new(&self.path, self.source.as_str(), span, message)
    }

    /// An error at the line that sets front matter field `key`.
    pub fn field_error(&self, key: &str, message: impl Into<String>) -> SourceError {
        let fm = &self.source[self.front_range.clone()];
        let span = find_key(fm, key).map_or(0..3, |r| {
            r.start + self.front_range.start..r.end + self.front_range.start
        });
        SourceError::new(&self.path, self.source.as_str(), span, message)
    }

    /// Parses `source`, the text of the file shown as `path`.
    pub fn parse(path: &Path, source: String) -> Result<Document, SourceError> {
        let (format, fence) = if source.starts_with("+++") {
            (FrontMatterFormat::Toml, "+++")
        } else if source.starts_with("---") {
            (FrontMatterFormat::Yaml, "---")
        } else {
            return Err(
                SourceError::new(path, source.as_str(), 0..0, "the file has no front matter").with_help(
                    "start it with a `+++` line, `title = \"…\"` and `date = YYYY-MM-DD`, and a closing `+++` line",
                ),
            );
        };
        let first_nl = source.find('\n').map_or(source.len(), |i| i + 1);
        if source[..first_nl].trim_end() != fence {
            return Err(SourceError::new(
                path,
                source.as_str(),
                0..first_nl.saturating_sub(1),
                format!("the opening `{fence}` must be alone on its line"),
            ));
        }
        let start = first_nl;
        let mut offset = start;
        let mut end = None;
        for line in source[start..].split_inclusive('\n') {
            if line.trim_end() == fence {
                end = Some((offset, offset + line.len()));
                break;
            }
            offset += line.len();
        }
        let Some((fm_end, body_start)) = end else {
            return Err(SourceError::new(
                path,
                source.as_str(),
                0..3,
                "the front matter is never closed".to_string(),
            )
            .with_label("opened here")
            .with_help(format!("add a line with `{fence}` after the last field")));
        };
        let fm = &source[start..fm_end];
        let front: FrontMatter = match format {
            FrontMatterFormat::Toml => toml::from_str(fm).map_err(|e| {
                let span = e.span().map_or(start..start, |s| s.start + start..s.end + start);
                SourceError::new(path, source.as_str(), span, e.message().trim_end().to_string()).suggest_field()
            })?,
            FrontMatterFormat::Yaml => {
                serde_path_to_error::deserialize(serde_yaml_ng::Deserializer::from_str(fm)).map_err(|e| {
                    // Errors raised while checking a value (a date that is not a date) carry no
                    // position in YAML; the path to the field tells which line to show.
                    let field = e
                        .path()
                        .iter()
                        .filter_map(|seg| match seg {
                            serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                            _ => None,
                        })
                        .next_back();
                    let inner = e.into_inner();
                    let at = match (inner.location(), field) {
                        (Some(l), _) if l.index() > 0 => start + l.index(),
                        (_, Some(key)) => find_key(fm, &key).map_or(start, |r| {
                            // The value, after `key:` and spaces.
                            let after = &fm[r.end..];
                            start
                                + r.end
                                + after
                                    .find(':')
                                    .map_or(0, |i| i + 1 + after[i + 1..].len() - after[i + 1..].trim_start().len())
                        }),
                        (loc, None) => loc.map_or(start, |l| start + l.index()),
                    };
                    let msg = inner.to_string();
                    // serde_yaml appends " at line N column M"; the snippet shows that.
                    let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
                    SourceError::new(path, source.as_str(), at..at, msg).suggest_field()
                })?
            }
        };
        Ok(Document {
            path: path.to_path_buf(),
            source: source.clone(),
            front,
            format,
            front_range: start..fm_end,
            body_start,
            references: std::sync::OnceLock::new(),
        })
    }
}

/// One article: its directory name is its slug.
#[derive(Debug, Clone)]
pub struct Article {
    pub slug: String,
    /// Absolute directory of the article.
    pub dir: PathBuf,
    /// The source document (`index.md`).
    pub doc: Document,
    /// Files next to `index.md` that are published with the page (images), relative to `dir`.
    pub assets: Vec<PathBuf>,
    /// Whole-file translations (`index.<lang>.md`), keyed by locale.
    pub translations: BTreeMap<String, Document>,
    /// Size and time of the directory, then of every entry in it, as they were before the
    /// files were read: what the incremental state records (no second listing after the build).
    pub seen: (u64, u64, crate::fs::Listing),
}

impl Article {
    pub fn front(&self) -> &FrontMatter {
        &self.doc.front
    }

    /// Whether the article is visible at `now`: not a draft, and a scheduled article only from
    /// its `publish_at`.
    pub fn is_live(&self, now: jiff::Timestamp) -> bool {
        match self.doc.front.status {
            Status::Draft => false,
            Status::Published => self.doc.front.publish_at.is_none_or(|t| t.0 <= now),
            Status::Scheduled => self.doc.front.publish_at.is_some_and(|t| t.0 <= now),
        }
    }
}

/// A link or image in a Markdown body, with its byte range in the body.
#[derive(Debug, Clone)]
pub struct Reference {
    pub kind: ReferenceKind,
    pub target: String,
    pub range: Range<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferenceKind {
    Link,
    Image,
}

/// Every link and image in `body`.
pub fn references(body: &str) -> Vec<Reference> {
    references_in(Parser::new_ext(body, crate::markdown_options()).into_offset_iter())
}

/// Every link and image among a body's events, parsed with offsets (with
/// [`crate::markdown_options`]): a caller that parses the body anyway finds them there.
pub fn references_in<'a, E>(events: impl IntoIterator<Item = (E, Range<usize>)>) -> Vec<Reference>
where
    E: std::borrow::Borrow<Event<'a>>,
{
    let mut out = Vec::new();
    for (event, range) in events {
        let (kind, target) = match event.borrow() {
            Event::Start(Tag::Link { dest_url, .. }) => (ReferenceKind::Link, dest_url),
            Event::Start(Tag::Image { dest_url, .. }) => (ReferenceKind::Image, dest_url),
            _ => continue,
        };
        out.push(Reference {
            kind,
            target: target.to_string(),
            range,
        });
    }
    out
}

/// `@/slug` or `@/slug#fragment`: a link to another article, resolved per locale.
pub fn internal_link(target: &str) -> Option<(&str, Option<&str>)> {
    let rest = target.strip_prefix("@/")?;
    let rest = rest.trim_end_matches('/');
    Some(match rest.split_once('#') {
        Some((slug, frag)) => (slug.trim_end_matches('/'), Some(frag)),
        None => (rest, None),
    })
}

/// A relative path to a file next to the article (not a URL, not site-absolute).
pub fn is_local_file(target: &str) -> bool {
    !(target.is_empty()
        || target.starts_with('#')
        || target.starts_with('/')
        || target.starts_with("@/")
        || target.contains("://")
        || target.starts_with("mailto:")
        || target.starts_with("tel:")
        || target.starts_with("data:"))
}

/// A slug nashr accepts for a directory name: lowercase ASCII letters, digits and hyphens.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}
