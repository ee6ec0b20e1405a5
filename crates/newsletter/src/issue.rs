//! Newsletter issues: `content/newsletters/<issue>.md`, and their translation.
//!
//! The editor writes the issue in the source locale: TOML front matter (`subject`,
//! `preheader`, `articles`, optional `date`) and the intro as the Markdown body. Its text is
//! translated like an article's: nashr writes the source catalog
//! `locales/<source>/newsletters/<issue>.ftl` (one message per segment: `subject`,
//! `preheader`, `intro-1`, `intro-2`, …), translators write
//! `locales/<locale>/newsletters/<issue>.ftl` with the same ids, `nashr l10n status` and
//! `lint` check those files like every other, and a missing message falls back along the
//! locale chain.

use std::ops::Range;
use std::path::{Path, PathBuf};

use fluent_bundle::{FluentResource, concurrent::FluentBundle};
use nashr_content::diag::find_key;
use nashr_content::{Error, Project, SourceError};
use nashr_l10n::sync::Mode;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Front {
    subject: String,
    #[serde(default)]
    preheader: String,
    #[serde(default)]
    articles: Vec<String>,
    #[serde(default)]
    date: Option<toml::value::Datetime>,
}

/// One newsletter issue as written by the editor.
#[derive(Debug, Clone)]
pub struct Issue {
    /// The file name without `.md` (`2026-12`): the id used on the command line.
    pub id: String,
    pub path: PathBuf,
    pub subject: String,
    pub preheader: String,
    pub articles: Vec<String>,
    /// The issue date (ISO), shown in the email.
    pub date: Option<String>,
    /// The intro's Markdown blocks (paragraphs, lists, headings), in order.
    pub intro: Vec<String>,
}

/// An issue's text in one locale.
#[derive(Debug, Clone)]
pub struct LocalizedIssue {
    pub locale: String,
    pub subject: String,
    pub preheader: String,
    /// Markdown.
    pub intro: String,
    /// Ids shown from another locale because this one lacks them.
    pub fallback: Vec<String>,
}

pub fn issue_path(project: &Project, id: &str) -> PathBuf {
    project.content_dir().join("newsletters").join(format!("{id}.md"))
}

/// Every issue id under `content/newsletters/`, sorted.
pub fn issue_ids(project: &Project) -> Vec<String> {
    let dir = project.content_dir().join("newsletters");
    let mut ids: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    name.strip_suffix(".md").map(str::to_string)
                })
                .filter(|n| !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

impl Issue {
    /// Loads and validates issue `id`; every problem is reported with its line.
    pub fn load(project: &Project, id: &str) -> Result<Issue, Error> {
        let path = issue_path(project, id);
        let shown = project.shown(&path);
        if id.is_empty() || id.contains(['/', '\\']) || id.starts_with('.') {
            return Err(Error::Environment(format!("`{id}` is not an issue name")));
        }
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let known = issue_ids(project);
                return Err(Error::Environment(format!(
                    "no newsletter issue `{id}`: {} does not exist (issues: {})",
                    shown.display(),
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                )));
            }
            Err(e) => return Err(Error::io(&path, e)),
        };
        Self::parse(project, id, &shown, &text)
    }

    pub fn parse(project: &Project, id: &str, shown: &Path, text: &str) -> Result<Issue, Error> {
        let err = |span: Range<usize>, msg: String| SourceError::new(shown, text, span, msg);
        let Some(rest) = text.strip_prefix("+++\n").or_else(|| text.strip_prefix("+++\r\n")) else {
            return Err(Error::Input(vec![
                err(
                    0..0,
                    "a newsletter issue starts with TOML front matter between `+++` lines".into(),
                )
                .with_help("+++\nsubject = \"…\"\npreheader = \"…\"\narticles = [\"slug\"]\n+++\nThe intro…"),
            ]));
        };
        let front_start = text.len() - rest.len();
        let Some(end) = rest.find("\n+++") else {
            return Err(Error::Input(vec![err(
                0..3,
                "the front matter is not closed by a `+++` line".into(),
            )]));
        };
        let front_text = &rest[..end + 1];
        let body_start = (front_start + end + 4).min(text.len());
        let body = text[body_start..].trim_start_matches(['\r', '\n']);
        let front: Front = toml::from_str(front_text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            Error::Input(vec![err(
                front_start + span.start..front_start + span.end,
                e.message().trim_end().to_string(),
            )])
        })?;
        let at = |key: &str| find_key(text, key).unwrap_or(0..0);
        let mut errors = Vec::new();
        if front.subject.trim().is_empty() {
            errors.push(err(at("subject"), "the subject is empty".into()));
        }
        if front.subject.contains(['\r', '\n']) || front.preheader.contains(['\r', '\n']) {
            errors.push(err(at("subject"), "the subject and preheader must be one line".into()));
        }
        for slug in &front.articles {
            if project.article(slug).is_none() {
                errors.push(
                    err(at("articles"), format!("`{slug}` is not an article")).with_help(format!(
                        "articles are: {}",
                        project
                            .articles
                            .iter()
                            .map(|a| a.slug.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                );
            }
        }
        if !errors.is_empty() {
            return Err(Error::Input(errors));
        }
        Ok(Issue {
            id: id.to_string(),
            path: shown.to_path_buf(),
            subject: front.subject,
            preheader: front.preheader,
            articles: front.articles,
            date: front.date.map(|d| d.to_string()),
            intro: blocks(body),
        })
    }

    /// The source catalog: what translators translate.
    pub fn source_catalog(&self) -> String {
        let mut out = format!(
            "# Source text of {}, written by nashr.\n\
             # Do not edit this file: change the issue and run `nashr newsletter render {}` again.\n\
             # To translate it, write locales/<locale>/newsletters/{}.ftl with the same ids.\n\n",
            self.path.display().to_string().replace('\\', "/"),
            self.id,
            self.id
        );
        for (id, text) in self.segments() {
            out.push_str(&format!("{id} = {}\n", nashr_l10n::catalog::escape(&text)));
        }
        out
    }

    /// `(id, text)` of every translatable segment.
    pub fn segments(&self) -> Vec<(String, String)> {
        let mut segs = vec![("subject".to_string(), self.subject.clone())];
        if !self.preheader.is_empty() {
            segs.push(("preheader".to_string(), self.preheader.clone()));
        }
        for (i, block) in self.intro.iter().enumerate() {
            segs.push((format!("intro-{}", i + 1), block.replace('\n', " ")));
        }
        segs
    }

    /// Writes the source catalog if it changed; returns its path when it did.
    pub fn sync_catalog(&self, project: &Project) -> Result<Option<PathBuf>, Error> {
        let path = catalog_path(project, &project.config.site.source_locale, &self.id);
        let text = self.source_catalog();
        if std::fs::read(&path).ok().as_deref() == Some(text.as_bytes()) {
            return Ok(None);
        }
        nashr_content::fs::write_if_changed(&path, text.as_bytes()).map_err(|e| Error::io(&path, e))?;
        Ok(Some(project.shown(&path)))
    }

    /// The issue in `locale`: each segment from the first locale of the chain that has it.
    pub fn localize(&self, project: &Project, locale: &str) -> Result<LocalizedIssue, Error> {
        let source = &project.config.site.source_locale;
        let mut bundles = Vec::new();
        for code in project.config.fallback_chain(locale) {
            if &code == source {
                break;
            }
            let path = catalog_path(project, &code, &self.id);
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            // Syntax errors are reported by `nashr l10n lint`; the broken entries fall back.
            let res = match FluentResource::try_new(text) {
                Ok(r) => r,
                Err((r, _)) => r,
            };
            let langid = code.parse().unwrap_or_default();
            let mut bundle = FluentBundle::new_concurrent(vec![langid]);
            bundle.set_use_isolating(false);
            let _ = bundle.add_resource(res);
            bundles.push(bundle);
        }
        let mut fallback = Vec::new();
        let mut get = |id: &str, source_text: &str| -> String {
            for b in &bundles {
                if let Some(p) = b.get_message(id).and_then(|m| m.value()) {
                    let mut errs = Vec::new();
                    let t = b.format_pattern(p, None, &mut errs);
                    if errs.is_empty() {
                        return t.into_owned();
                    }
                }
            }
            if locale != source.as_str() {
                fallback.push(id.to_string());
            }
            source_text.to_string()
        };
        let subject = get("subject", &self.subject);
        let preheader = if self.preheader.is_empty() {
            String::new()
        } else {
            get("preheader", &self.preheader)
        };
        let intro: Vec<String> = self
            .intro
            .iter()
            .enumerate()
            .map(|(i, b)| get(&format!("intro-{}", i + 1), b))
            .collect();
        Ok(LocalizedIssue {
            locale: locale.to_string(),
            subject,
            preheader,
            intro: intro.join("\n\n"),
            fallback,
        })
    }
}

pub fn catalog_path(project: &Project, locale: &str, id: &str) -> PathBuf {
    project
        .locales_dir()
        .join(locale)
        .join("newsletters")
        .join(format!("{id}.ftl"))
}

/// Markdown blocks separated by blank lines.
fn blocks(body: &str) -> Vec<String> {
    body.replace("\r\n", "\n")
        .split("\n\n")
        .map(|b| b.trim().to_string())
        .filter(|b| !b.is_empty())
        .collect()
}

/// Brings the source catalog of every issue up to date (with [`Mode::Report`], only reports
/// what is out of date). Returns the catalogs changed (or out of date), relative to the project.
pub fn sync_catalogs(project: &Project, mode: Mode) -> Result<Vec<PathBuf>, Error> {
    let mut changed = Vec::new();
    let mut errors = Vec::new();
    for id in issue_ids(project) {
        match Issue::load(project, &id) {
            Ok(issue) if mode == Mode::Report => {
                let path = catalog_path(project, &project.config.site.source_locale, &id);
                if std::fs::read(&path).ok().as_deref() != Some(issue.source_catalog().as_bytes()) {
                    changed.push(project.shown(&path));
                }
            }
            Ok(issue) => changed.extend(issue.sync_catalog(project)?),
            Err(Error::Input(mut e)) => errors.append(&mut e),
            Err(e) => return Err(e),
        }
    }
    if errors.is_empty() {
        Ok(changed)
    } else {
        Err(Error::Input(errors))
    }
}
