//! Errors that point into a file: every problem with the user's input is reported with the
//! file, line and column, the offending line shown, and a hint when there is one.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, SourceCode};

/// One problem in one input file.
#[derive(Debug, Clone)]
pub struct SourceError {
    /// What is wrong, in one sentence.
    pub message: String,
    /// The file, as the user should see it (relative to the project root where possible).
    pub path: PathBuf,
    /// 1-based line and column (in characters) of the start of `span`.
    pub line: usize,
    pub column: usize,
    /// Byte range in `source` that the label points at.
    pub span: Range<usize>,
    /// Short text under the caret.
    pub label: String,
    /// What to do about it.
    pub help: Option<String>,
    source: Arc<str>,
}

impl SourceError {
    /// An error at byte range `span` of `source`, the text of `path`.
    pub fn new(
        path: impl Into<PathBuf>,
        source: impl Into<Arc<str>>,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> Self {
        let source: Arc<str> = source.into();
        let start = floor_char_boundary(&source, span.start.min(source.len()));
        let end = floor_char_boundary(&source, span.end.clamp(start, source.len()));
        let (line, column) = line_col(&source, start);
        SourceError {
            message: message.into(),
            path: path.into(),
            line,
            column,
            span: start..end,
            label: "here".into(),
            help: None,
            source,
        }
    }

    /// An error about a whole file (missing, unreadable): points at its first line.
    pub fn whole_file(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self::new(path, "", 0..0, message)
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// For serde's "unknown field `x`, expected one of `a`, `b`" messages (and "unknown
    /// variant", for values such as `calendar = "persain"`): a hint naming the closest known
    /// one, the way a typo is usually meant.
    pub fn suggest_field(self) -> Self {
        let Some(rest) = self
            .message
            .strip_prefix("unknown field `")
            .or_else(|| self.message.strip_prefix("unknown variant `"))
        else {
            return self;
        };
        let Some((unknown, expected)) = rest.split_once('`') else {
            return self;
        };
        let best = expected
            .split('`')
            .skip(1)
            .step_by(2)
            .map(|known| (edit_distance(unknown, known), known))
            .filter(|(d, known)| *d <= known.len() / 3 + 1)
            .min();
        match best {
            Some((_, known)) => {
                let known = known.to_string();
                self.with_help(format!("did you mean `{known}`?"))
            }
            None => self,
        }
    }

    /// `path:line:column`, the way editors and terminals make it clickable.
    pub fn location(&self) -> String {
        format!("{}:{}:{}", self.path.display(), self.line, self.column)
    }

    /// The text of the line the error points at, without its line break.
    pub fn line_text(&self) -> &str {
        let start = self.source[..self.span.start].rfind('\n').map_or(0, |i| i + 1);
        let end = self.source[self.span.start..]
            .find('\n')
            .map_or(self.source.len(), |i| self.span.start + i);
        self.source[start..end].trim_end_matches('\r')
    }
}

/// The message alone when there is a snippet to show (its header names the place); with the
/// path in front when the error concerns a whole file.
impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.source.is_empty() {
            write!(f, "{}: {}", self.path.display(), self.message)
        } else {
            f.write_str(&self.message)
        }
    }
}

impl std::error::Error for SourceError {}

/// Rendered by the CLI with miette: the headline, then the file with the line and a caret.
impl Diagnostic for SourceError {
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        if self.source.is_empty() { None } else { Some(self) }
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.source.is_empty() {
            return None;
        }
        let len = (self.span.end - self.span.start).max(usize::from(self.span.start < self.source.len()));
        Some(Box::new(std::iter::once(LabeledSpan::new(
            Some(self.label.clone()),
            self.span.start,
            len,
        ))))
    }
}

/// The snippet shows the path the user knows, not an internal name.
impl SourceCode for SourceError {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let inner = self
            .source
            .as_ref()
            .read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.path.display().to_string(),
            inner.data(),
            *inner.span(),
            inner.line(),
            inner.column(),
            inner.line_count(),
        )))
    }
}

/// 1-based line and column (counted in characters) of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Byte offset of the start of 1-based `line` (and 1-based character `column`) in `text`.
pub fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for _ in 1..line.max(1) {
        match text[offset..].find('\n') {
            Some(i) => offset += i + 1,
            None => return text.len(),
        }
    }
    let rest = &text[offset..];
    offset
        + rest
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(rest.len(), |(i, _)| i)
}

/// Byte range of the line that assigns `key` (`key =` in TOML, `key:` in YAML) inside `text`,
/// used to point semantic errors (a bad value that parsed fine) at the right line.
pub fn find_key(text: &str, key: &str) -> Option<Range<usize>> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix(key) {
            let rest = rest.trim_start();
            if rest.starts_with('=') || rest.starts_with(':') {
                let start = offset + (line.len() - trimmed.len());
                return Some(start..start + key.len());
            }
        }
        offset += line.len();
    }
    None
}

/// Levenshtein distance, for "did you mean" hints.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Everything that can stop a stage: problems in the user's input (exit code 1), or the
/// environment failing underneath us (exit code 2: every variant but `Input`). The typed
/// variants are the cases a caller can act on; `Environment` holds the rest.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{} problem{} in the input", .0.len(), if .0.len() == 1 { "" } else { "s" })]
    Input(Vec<SourceError>),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The directory nashr runs in has no `nashr.toml`; `config` is the path looked for.
    #[error("{} not found: run nashr inside a nashr project or pass --root DIR", config.display())]
    NotAProject { config: PathBuf },
    /// A locale that is not a BCP 47 language tag.
    #[error("`{code}` is not a locale code")]
    InvalidLocale { code: String },
    /// A locale the project does not translate into; `translated`, when not empty, is listed
    /// in the message.
    #[error("`{locale}` is not a translated locale of this project{}", listed(translated))]
    UntranslatedLocale { locale: String, translated: Vec<String> },
    /// A translation tree given by directory whose name is no language tag.
    #[error(
        "cannot tell the language of {} from its name; pass --locale CODE (for example --locale fa)",
        dir.display()
    )]
    LocaleOfDirectory { dir: PathBuf },
    /// A directory the command needs is missing; `role` says which (`source`, `translation`).
    #[error("the {role} directory {} does not exist", dir.display())]
    MissingDirectory { role: &'static str, dir: PathBuf },
    /// A server cannot listen on its address (in use, not allowed).
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: String,
        #[source]
        source: std::io::Error,
    },
    /// The store (its database or files) cannot be reached or failed.
    #[error("{0}")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A secret the command needs is not in the environment. Holds the variable's name only.
    #[error("{}", secret.missing_text(var))]
    MissingSecret { var: String, secret: Secret },
    /// The incremental build state cannot be used; a full build repairs it.
    #[error(transparent)]
    BuildState(#[from] BuildStateError),
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("{0}")]
    Environment(String),
}

/// `" (translated: fa, ar)"`, or nothing for an empty list.
fn listed(locales: &[String]) -> String {
    if locales.is_empty() {
        String::new()
    } else {
        format!(" (translated: {})", locales.join(", "))
    }
}

/// What a secret in the environment is for; the message about a missing one says how to set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Secret {
    /// The application password of `user` on the WordPress site `site`.
    WordPressPassword { site: String, user: String },
    /// The key that signs newsletter unsubscribe links.
    UnsubscribeKey,
}

impl Secret {
    fn missing_text(&self, var: &str) -> String {
        match self {
            Secret::WordPressPassword { site, user } => format!(
                "publishing to {site} needs the WordPress application password of `{user}` in the environment variable {var}: create one in WordPress under Users → Profile → Application Passwords, then `export {var}=\"…\"`"
            ),
            Secret::UnsubscribeKey => format!(
                "set {var} to a long random secret before sending over SMTP: it signs the unsubscribe links (e.g. `export {var}=$(openssl rand -hex 32)`, kept the same for every send)"
            ),
        }
    }
}

/// Why the incremental build state cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BuildStateError {
    #[error("the incremental build state is missing an article; run a full build (`nashr build --full`)")]
    MissingArticle,
    #[error("build state: {0}")]
    Encode(String),
}

impl Error {
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }
}

impl From<SourceError> for Error {
    fn from(e: SourceError) -> Self {
        Error::Input(vec![e])
    }
}

impl From<Vec<SourceError>> for Error {
    fn from(e: Vec<SourceError>) -> Self {
        Error::Input(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let text = "a = 1\nعنوان = «x»\n";
        let off = text.find('«').unwrap();
        assert_eq!(line_col(text, off), (2, 9));
        assert_eq!(offset_of(text, 2, 9), off);
    }

    #[test]
    fn error_shows_its_line() {
        let e = SourceError::new("x.toml", "a = 1\nb = oops\nc = 3\n", 10..14, "bad value");
        assert_eq!(e.location(), "x.toml:2:5");
        assert_eq!(e.line_text(), "b = oops");
        assert_eq!(e.to_string(), "bad value");
        assert_eq!(SourceError::whole_file("a.md", "gone").to_string(), "a.md: gone");
    }

    #[test]
    fn unknown_fields_get_a_suggestion() {
        let e = SourceError::new(
            "a.md",
            "x",
            0..1,
            "unknown field `reviwed_by`, expected one of `title`, `reviewed_by`",
        )
        .suggest_field();
        assert_eq!(e.help.as_deref(), Some("did you mean `reviewed_by`?"));
        let far =
            SourceError::new("a.md", "x", 0..1, "unknown field `colour`, expected `title` or `date`").suggest_field();
        assert_eq!(far.help, None);
    }

    #[test]
    fn typed_errors_say_what_to_do() {
        let not_a_project = Error::NotAProject {
            config: PathBuf::from("site/nashr.toml"),
        };
        assert_eq!(
            not_a_project.to_string(),
            "site/nashr.toml not found: run nashr inside a nashr project or pass --root DIR"
        );
        let untranslated = |translated: &[&str]| Error::UntranslatedLocale {
            locale: "de".into(),
            translated: translated.iter().map(|l| l.to_string()).collect(),
        };
        assert_eq!(
            untranslated(&["fa", "ar"]).to_string(),
            "`de` is not a translated locale of this project (translated: fa, ar)"
        );
        assert_eq!(
            untranslated(&[]).to_string(),
            "`de` is not a translated locale of this project"
        );
        let bind = Error::Bind {
            address: "127.0.0.1:80".into(),
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        };
        assert!(
            bind.to_string().starts_with("cannot listen on 127.0.0.1:80: "),
            "{bind}"
        );
        let secret = Error::MissingSecret {
            var: "NASHR_UNSUBSCRIBE_KEY".into(),
            secret: Secret::UnsubscribeKey,
        };
        assert!(
            secret
                .to_string()
                .starts_with("set NASHR_UNSUBSCRIBE_KEY to a long random secret before sending over SMTP"),
            "{secret}"
        );
        let password = Error::MissingSecret {
            var: "WP_PASSWORD".into(),
            secret: Secret::WordPressPassword {
                site: "https://example.org".into(),
                user: "editor".into(),
            },
        };
        assert!(
            password.to_string().starts_with(
                "publishing to https://example.org needs the WordPress application password of `editor` in the environment variable WP_PASSWORD:"
            ),
            "{password}"
        );
        assert_eq!(
            Error::from(BuildStateError::MissingArticle).to_string(),
            "the incremental build state is missing an article; run a full build (`nashr build --full`)"
        );
    }

    #[test]
    fn find_key_matches_toml_and_yaml() {
        let t = "title = \"x\"\n  tags: [a]\n";
        assert_eq!(find_key(t, "title"), Some(0..5));
        assert_eq!(find_key(t, "tags"), Some(14..18));
        assert_eq!(find_key(t, "tag"), None);
    }
}
