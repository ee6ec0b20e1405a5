//! The minijinja environment: templates from the project's `templates/` over built-in
//! defaults, HTML autoescaping, and the localization helpers every template uses:
//!
//! - `t("message-id", name=value, …)`: a Fluent message in the page's locale (`lang`), with
//!   fallback; ids ending in `-html` may contain sanitised inline HTML, all others are escaped;
//! - `value|date`: an ISO date (`2026-10-14`) or RFC 3339 timestamp for readers, in the
//!   locale's calendar and digits; takes `DATETIME`'s options (`value|date(dateStyle="full")`);
//! - `value|number`: a number with the locale's digits and grouping; takes `NUMBER`'s
//!   options (`value|number(minimumFractionDigits=1)`).
//!
//! The filters and the Fluent functions share `nashr_l10n::format::LocaleFormat`, so a date
//! looks the same whether a template or a translator formats it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use minijinja::value::{Kwargs, ValueKind};
use minijinja::{Environment, ErrorKind, State, UndefinedBehavior, Value};
use nashr_content::html::{Escape, escape_into};
use nashr_content::{Error, Project, SourceError};
use nashr_l10n::format::DateTimeOptions;
use nashr_l10n::{DateInput, FluentArgs, FluentDate, FluentValue, Localizer};

/// Templates nashr ships: a project without `templates/` (or missing one of them) gets these.
const BUILTIN: &[(&str, &str)] = &[
    ("base.html", include_str!("../../../templates/base.html")),
    ("article.html", include_str!("../../../templates/article.html")),
    ("card.html", include_str!("../../../templates/card.html")),
    ("index.html", include_str!("../../../templates/index.html")),
    ("tags.html", include_str!("../../../templates/tags.html")),
    ("tag.html", include_str!("../../../templates/tag.html")),
    ("root.html", include_str!("../../../templates/root.html")),
    ("atom.xml", include_str!("../../../templates/atom.xml")),
    ("sitemap.xml", include_str!("../../../templates/sitemap.xml")),
    (
        "email/newsletter.html",
        include_str!("../../../templates/email/newsletter.html"),
    ),
    (
        "email/newsletter.txt",
        include_str!("../../../templates/email/newsletter.txt"),
    ),
    (
        "email/unsubscribe.html",
        include_str!("../../../templates/email/unsubscribe.html"),
    ),
];

/// Where a template came from, to point errors at the right file.
struct TemplateSource {
    shown: PathBuf,
    text: Arc<str>,
}

pub struct Templates {
    pub env: Environment<'static>,
    sources: BTreeMap<String, TemplateSource>,
    /// Per template: a fingerprint of its text and of every template it extends, includes or
    /// imports, so an incremental build re-renders exactly the pages a template edit affects.
    fingerprints: BTreeMap<String, u64>,
}

impl Templates {
    pub fn load(project: &Project, l10n: Arc<Localizer>) -> Result<Templates, Error> {
        let sources = read_sources(project)?;
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        match minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
        {
            Ok(syntax) => env.set_syntax(syntax),
            Err(e) => return Err(Error::Environment(format!("template syntax settings: {e}"))),
        }
        // minijinja's escaper also writes `/` as `&#x2f;`; URLs in attributes, feeds and the
        // sitemap stay readable when only the five characters that matter are escaped.
        env.set_formatter(|out, state, value| {
            if value.is_safe()
                || value.is_undefined()
                || value.is_none()
                || !matches!(state.auto_escape(), minijinja::AutoEscape::Html)
            {
                return minijinja::escape_formatter(out, state, value);
            }
            match value.as_str() {
                Some(text) => escape_into(out, text, Escape::Html),
                None => escape_into(out, &value.to_string(), Escape::Html),
            }
            .map_err(minijinja::Error::from)
        });
        let mut errors = Vec::new();
        for (name, src) in &sources {
            if let Err(e) = env.add_template_owned(name.clone(), src.text.to_string()) {
                errors.push(source_error(&sources, name, &e));
            }
        }
        if !errors.is_empty() {
            return Err(Error::Input(errors));
        }
        register_helpers(&mut env, l10n);
        let fingerprints = sources
            .keys()
            .map(|name| (name.clone(), closure_fingerprint(&sources, name)))
            .collect();
        Ok(Templates {
            env,
            sources,
            fingerprints,
        })
    }

    /// The fingerprint of template `name` with everything it uses (0 for an unknown name).
    pub fn fingerprint(&self, name: &str) -> u64 {
        self.fingerprints.get(name).copied().unwrap_or(0)
    }

    /// Every template's fingerprint, by name.
    pub fn fingerprints(&self) -> &BTreeMap<String, u64> {
        &self.fingerprints
    }

    /// Whether template `name` reads no variable but `allowed` and the environment's globals
    /// (functions such as `t`): what it renders then depends on nothing else of the page
    /// that includes it.
    pub fn reads_only(&self, name: &str, allowed: &[String]) -> bool {
        let Ok(tmpl) = self.env.get_template(name) else {
            return false;
        };
        let globals: std::collections::HashSet<&str> = self.env.globals().map(|(n, _)| n).collect();
        tmpl.undeclared_variables(false)
            .iter()
            .all(|v| globals.contains(v.as_str()) || allowed.iter().any(|a| a == v))
    }

    /// [`Templates::render`] into a buffer made for `size` bytes: an article page is its body
    /// and a few kilobytes around it, and a string grown from minijinja's guess (the template's
    /// own text) copied the body several times over.
    pub fn render_sized(&self, name: &str, ctx: Value, size: usize) -> Result<String, SourceError> {
        let tmpl = self
            .env
            .get_template(name)
            .map_err(|e| source_error(&self.sources, name, &e))?;
        let mut out = Vec::with_capacity(size);
        tmpl.render_captured_to(ctx, &mut out)
            .map_err(|e| source_error(&self.sources, e.name().unwrap_or(name), &e))?;
        // minijinja writes only `str`s: this is UTF-8, and checked (fast) rather than assumed.
        nashr_content::fs::string_from_utf8(out).map_err(|_| {
            source_error(
                &self.sources,
                name,
                &minijinja::Error::new(ErrorKind::InvalidOperation, "the page is not UTF-8"),
            )
        })
    }

    /// Renders template `name` with `ctx`; errors point at the template line.
    pub fn render(&self, name: &str, ctx: Value) -> Result<String, SourceError> {
        let tmpl = self
            .env
            .get_template(name)
            .map_err(|e| source_error(&self.sources, name, &e))?;
        tmpl.render(ctx)
            .map_err(|e| source_error(&self.sources, e.name().unwrap_or(name), &e))
    }
}

/// The built-in templates overlaid with the project's `templates/`.
fn read_sources(project: &Project) -> Result<BTreeMap<String, TemplateSource>, Error> {
    let mut sources: BTreeMap<String, TemplateSource> = BUILTIN
        .iter()
        .map(|(name, text)| {
            (
                name.to_string(),
                TemplateSource {
                    shown: PathBuf::from(format!("(built-in) templates/{name}")),
                    text: Arc::from(*text),
                },
            )
        })
        .collect();
    let dir = project.templates_dir();
    for path in nashr_content::fs::walk_files(&dir).map_err(|e| Error::io(&dir, e))? {
        let name = nashr_content::fs::relative_slash(&path, &dir);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        sources.insert(
            name,
            TemplateSource {
                shown: project.shown(&path),
                text: Arc::from(text),
            },
        );
    }
    Ok(sources)
}

/// Every template's fingerprint (see [`Templates::fingerprint`]) without compiling them.
pub fn fingerprints(project: &Project) -> Result<BTreeMap<String, u64>, Error> {
    let sources = read_sources(project)?;
    Ok(sources
        .keys()
        .map(|name| (name.clone(), closure_fingerprint(&sources, name)))
        .collect())
}

/// Names of the templates `text` extends, includes or imports: the string literals in
/// `{% extends %}`, `{% include %}`, `{% import %}` and `{% from %}` tags. A name computed at
/// run time is not seen; such a template depends on whatever it names, which is why the
/// fingerprint of a template that has one covers every template (see `closure_fingerprint`).
fn dependencies(text: &str) -> (Vec<String>, bool) {
    let mut names = Vec::new();
    let mut dynamic = false;
    let mut rest = text;
    while let Some(start) = rest.find("{%") {
        let after = &rest[start + 2..];
        let end = after.find("%}").unwrap_or(after.len());
        let tag = after[..end].trim_start_matches(['-', '+']).trim();
        let keyword = tag.split_whitespace().next().unwrap_or_default();
        if matches!(keyword, "extends" | "include" | "import" | "from") {
            let args = &tag[keyword.len()..];
            let mut found = false;
            let mut parts = args.split('"');
            parts.next();
            while let Some(name) = parts.next() {
                names.push(name.to_string());
                found = true;
                parts.next();
            }
            if !found {
                dynamic = true;
            }
        }
        rest = &after[end.min(after.len())..];
    }
    (names, dynamic)
}

fn closure_fingerprint(sources: &BTreeMap<String, TemplateSource>, name: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut seen = std::collections::BTreeSet::new();
    let mut stack = vec![name.to_string()];
    let mut dynamic = false;
    while let Some(n) = stack.pop() {
        if !seen.insert(n.clone()) {
            continue;
        }
        if let Some(src) = sources.get(&n) {
            let (deps, d) = dependencies(&src.text);
            dynamic |= d;
            stack.extend(deps);
        }
    }
    if dynamic {
        seen.extend(sources.keys().cloned());
    }
    let mut h = std::hash::DefaultHasher::new();
    for n in &seen {
        n.hash(&mut h);
        sources.get(n).map(|s| &*s.text).hash(&mut h);
    }
    h.finish()
}

/// A minijinja error as a located error in the template file, with the cause chain (a
/// missing Fluent message, say) in the message.
fn source_error(sources: &BTreeMap<String, TemplateSource>, name: &str, e: &minijinja::Error) -> SourceError {
    let mut message = match e.detail() {
        Some(d) => format!("{}: {d}", e.kind()),
        None => e.kind().to_string(),
    };
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        message.push_str(&format!(": {c}"));
        cause = c.source();
    }
    let Some(src) = sources.get(e.name().unwrap_or(name)).or_else(|| sources.get(name)) else {
        return SourceError::whole_file(format!("templates/{name}"), message);
    };
    let span = match (e.range(), e.line()) {
        (Some(r), _) => r,
        (None, Some(line)) => {
            let start = nashr_content::diag::offset_of(&src.text, line, 1);
            start..start
        }
        _ => 0..0,
    };
    SourceError::new(&src.shown, src.text.clone(), span, format!("template error: {message}"))
        .with_label("while rendering this")
}

fn lang_of(state: &State) -> Result<Value, minijinja::Error> {
    state.lookup("lang").filter(|v| v.as_str().is_some()).ok_or_else(|| {
        minijinja::Error::new(
            ErrorKind::InvalidOperation,
            "this template has no `lang` to translate into",
        )
    })
}

/// Formatted texts by what they were formatted from, one map per rendering thread: a map
/// shared behind a lock made both cores write its reader count on every `t()` (300,000 calls
/// in a 10,000-article build). Bounded (50,000 entries, a few MB, per thread): a newsletter
/// worker formats per-subscriber arguments for days.
#[derive(Default)]
struct Memo(thread_local::ThreadLocal<std::cell::RefCell<rustc_hash::FxHashMap<String, Value>>>);

impl Memo {
    const ENTRIES: usize = 50_000;

    fn get(&self, key: &str) -> Option<Value> {
        self.0.get()?.borrow().get(key).cloned()
    }

    fn put(&self, key: String, value: Value) {
        let mut map = self.0.get_or_default().borrow_mut();
        if map.len() < Memo::ENTRIES {
            map.insert(key, value);
        }
    }
}

/// A [`Memo`] key: the locale, what is formatted and every keyword argument (Debug tells the
/// number 3 from the string "3").
fn memo_key(lang: &str, what: &str, kwargs: &Kwargs) -> Result<String, minijinja::Error> {
    use std::fmt::Write as _;
    let mut key = String::with_capacity(lang.len() + what.len() + 32);
    key.push_str(lang);
    key.push('\0');
    key.push_str(what);
    for name in kwargs.args() {
        let v: Value = kwargs.peek(name)?;
        key.push('\0');
        key.push_str(name);
        // Strings and integers (nearly every argument) written as they are, tagged with
        // their kind; anything else as Debug shows it.
        match (v.as_str(), v.as_i64()) {
            (Some(text), _) => {
                let _ = write!(key, "=s{}:", text.len());
                key.push_str(text);
            }
            (None, Some(n)) if v.is_integer() => {
                let _ = write!(key, "=i{n}");
            }
            _ => {
                let _ = write!(key, "={v:?}");
            }
        }
    }
    Ok(key)
}

/// Marks every keyword argument as used (a memoized call does not look at them again).
fn use_all(kwargs: &Kwargs) -> Result<(), minijinja::Error> {
    for name in kwargs.args() {
        let _: Value = kwargs.get(name)?;
    }
    Ok(())
}

fn register_helpers(env: &mut Environment<'static>, l10n: Arc<Localizer>) {
    let t_l10n = l10n.clone();
    // A message reads the same wherever it is shown with the same arguments (Fluent is pure):
    // formatted once per locale and arguments. The dates and reading times of 20,000 cards,
    // each shown on an index and three tag pages, are formatted once each.
    let formatted = Memo::default();
    env.add_function(
        "t",
        move |state: &State, id: &str, kwargs: Kwargs| -> Result<Value, minijinja::Error> {
            let lang = lang_of(state)?;
            let lang = lang.as_str().unwrap_or_default();
            // Not while marks are collected: each page must see its own fallbacks.
            let cached = !nashr_l10n::marks::collecting();
            let key = memo_key(lang, id, &kwargs)?;
            if cached && let Some(hit) = formatted.get(&key) {
                use_all(&kwargs)?;
                return Ok(hit);
            }
            let args = fluent_args(&kwargs)?;
            let formatted_text = t_l10n
                .message(lang, id, Some(&args))
                .map_err(|e| minijinja::Error::new(ErrorKind::InvalidOperation, e.to_string()))?;
            let value = if id.ends_with("-html") {
                Value::from_safe_string(crate::markdown::sanitize_inline(&formatted_text.text))
            } else {
                Value::from(formatted_text.text)
            };
            if cached {
                formatted.put(key, value.clone());
            }
            Ok(value)
        },
    );
    let date_l10n = l10n.clone();
    let dates = Memo::default();
    env.add_filter(
        "date",
        move |state: &State, value: Value, kwargs: Kwargs| -> Result<Value, minijinja::Error> {
            let lang = lang_of(state)?;
            let lang = lang.as_str().unwrap_or_default();
            let text = value.to_string();
            let key = memo_key(lang, &text, &kwargs)?;
            if let Some(hit) = dates.get(&key) {
                use_all(&kwargs)?;
                return Ok(hit);
            }
            let input = DateInput::parse(&text).ok_or_else(|| {
                invalid(format!(
                    "`{text}` is not a date (YYYY-MM-DD) or a timestamp (2026-12-01T09:00:00-08:00)"
                ))
            })?;
            let options = DateTimeOptions::from_args(&fluent_args(&kwargs)?).map_err(invalid)?;
            let data = date_l10n
                .locale(lang)
                .ok_or_else(|| invalid(format!("unknown locale `{lang}`")))?;
            let formatted = Value::from(data.format.datetime(&input, &options));
            dates.put(key, formatted.clone());
            Ok(formatted)
        },
    );
    env.add_filter(
        "number",
        move |state: &State, value: Value, kwargs: Kwargs| -> Result<String, minijinja::Error> {
            let lang = lang_of(state)?;
            let lang = lang.as_str().unwrap_or_default();
            let data = l10n
                .locale(lang)
                .ok_or_else(|| invalid(format!("unknown locale `{lang}`")))?;
            let args = fluent_args(&kwargs)?;
            if let Some((key, _)) = args.iter().find(|(k, _)| !NUMBER_OPTIONS.contains(k)) {
                return Err(invalid(format!(
                    "unknown number option `{key}` (expected one of {})",
                    NUMBER_OPTIONS.join(", ")
                )));
            }
            let mut options = nashr_l10n::format::FluentNumberOptions::default();
            options.merge(&args);
            let text = value.to_string();
            data.format
                .number_with(&text, &options)
                .ok_or_else(|| invalid(format!("`{text}` is not a number")))
        },
    );
}

/// The `NUMBER` options the `number` filter takes too.
const NUMBER_OPTIONS: &[&str] = &[
    "style",
    "useGrouping",
    "minimumIntegerDigits",
    "minimumFractionDigits",
    "maximumFractionDigits",
    "maximumSignificantDigits",
];

fn invalid(message: impl Into<String>) -> minijinja::Error {
    minijinja::Error::new(ErrorKind::InvalidOperation, message.into())
}

/// A filter's keyword arguments as Fluent named arguments (the filters take the options of
/// the Fluent functions, with the same names).
fn fluent_args(kwargs: &Kwargs) -> Result<FluentArgs<'static>, minijinja::Error> {
    let mut args = FluentArgs::new();
    for key in kwargs.args().map(str::to_string).collect::<Vec<_>>() {
        let v: Value = kwargs.get(&key)?;
        args.set(key, to_fluent(&v));
    }
    kwargs.assert_all_used()?;
    Ok(args)
}

/// Template values to Fluent arguments: numbers stay numbers, so plural selection works and
/// they get the locale's digits; ISO dates (`article.date`, `2026-10-14`) and RFC 3339
/// timestamps become dates, shown in the locale's calendar (`{ $date }` or `DATETIME`).
fn to_fluent(v: &Value) -> FluentValue<'static> {
    match v.kind() {
        // As `Intl.NumberFormat` has it, a number shows no trailing zeros unless
        // `minimumFractionDigits` asks for them (`try_number` would keep those of `3.50`).
        ValueKind::Number => match v.as_i64() {
            Some(i) => FluentValue::from(i),
            None => match f64::try_from(v.clone()) {
                Ok(f) => FluentValue::from(f),
                Err(_) => FluentValue::from(v.to_string()),
            },
        },
        ValueKind::String => {
            let text = v.to_string();
            match looks_like_date(&text).then(|| DateInput::parse(&text)).flatten() {
                Some(date) => FluentValue::Custom(Box::new(FluentDate::new(date))),
                None => FluentValue::from(text),
            }
        }
        _ => FluentValue::from(v.to_string()),
    }
}

/// `2026-10-14` or `2026-10-14T…`: only strings shaped like dates are read as dates.
fn looks_like_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
        && (b.len() == 10 || b[10] == b'T')
}
