//! `nashr.toml`: the project configuration. Every field has a default so that a project needs
//! only `[site]` with its URL and locales; unknown keys are errors that name the line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::diag::{Error, SourceError, find_key};

pub const CONFIG_FILE: &str = "nashr.toml";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub site: SiteConfig,
    /// Per-locale settings, keyed by locale code (`[locale.fa]`).
    #[serde(default)]
    pub locale: BTreeMap<String, LocaleConfig>,
    #[serde(default)]
    pub build: BuildConfig,
    /// Where `nashr publish` sends articles (`[target.<name>]`); none means the default
    /// filesystem target.
    #[serde(default)]
    pub target: BTreeMap<String, crate::targets::TargetConfig>,
    /// The state store (`[store]`).
    #[serde(default)]
    pub store: crate::targets::StoreConfig,
    /// The newsletter (`[newsletter]`): sender, footer, unsubscribe endpoint, transport.
    #[serde(default)]
    pub newsletter: crate::newsletter::NewsletterConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// Absolute URL the site is served from, e.g. `https://clinic.example/`.
    pub base_url: String,
    /// The language articles are written in; translations are made from it.
    #[serde(default = "default_source_locale")]
    pub source_locale: String,
    /// Every locale the site is published in, in the order the language switcher shows them.
    pub locales: Vec<String>,
    /// Articles per index page.
    #[serde(default = "default_per_page")]
    pub per_page: usize,
    /// Newest articles in each locale's Atom feed.
    #[serde(default = "default_feed_entries")]
    pub feed_entries: usize,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocaleConfig {
    /// Locales to try, in order, when a message or segment is missing (the source locale is
    /// always tried last).
    #[serde(default)]
    pub fallback: Vec<String>,
    /// Calendar for dates shown to readers. Unset: Solar Hijri for Persian, otherwise the
    /// locale's CLDR default (Gregorian for English). Set it explicitly for a diaspora site:
    /// CLDR gives `fa-CA` the Gregorian calendar.
    #[serde(default)]
    pub calendar: Option<Calendar>,
    /// Digits for numbers and dates shown to readers. Unset: the locale's CLDR default
    /// (Persian digits for `fa`, Latin for `en`).
    #[serde(default)]
    pub digits: Option<Digits>,
    /// What readers see where a translation is stale (its source changed since).
    #[serde(default)]
    pub stale: StaleMode,
}

/// `[locale.<code>] stale = "show" | "fallback"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StaleMode {
    /// Keep showing the old translation: it is closer to the reader's language than the
    /// source text.
    #[default]
    Show,
    /// Show the fallback locale's text (normally the source) until the translation is updated.
    Fallback,
}

/// A calendar for readers' dates (`[locale.<code>] calendar`). The names are the CLDR ones,
/// except that the Gregorian calendar is spelt out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Calendar {
    Gregorian,
    /// Solar Hijri (Jalali), the calendar of Iran and Afghanistan.
    Persian,
    Buddhist,
    Chinese,
    Coptic,
    Dangi,
    Ethiopic,
    Hebrew,
    Indian,
    /// Hijri, Umm al-Qura.
    IslamicUmalqura,
    /// Hijri, tabular, civil epoch.
    IslamicCivil,
    Japanese,
    Roc,
}

impl Calendar {
    /// The BCP 47 `-u-ca-` value.
    pub fn bcp47(self) -> &'static str {
        match self {
            Calendar::Gregorian => "gregory",
            Calendar::Persian => "persian",
            Calendar::Buddhist => "buddhist",
            Calendar::Chinese => "chinese",
            Calendar::Coptic => "coptic",
            Calendar::Dangi => "dangi",
            Calendar::Ethiopic => "ethiopic",
            Calendar::Hebrew => "hebrew",
            Calendar::Indian => "indian",
            Calendar::IslamicUmalqura => "islamic-umalqura",
            Calendar::IslamicCivil => "islamic-civil",
            Calendar::Japanese => "japanese",
            Calendar::Roc => "roc",
        }
    }
}

/// Digits for readers' numbers and dates (`[locale.<code>] digits`), by CLDR numbering
/// system name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Digits {
    /// 0123456789
    Latn,
    /// ۰۱۲۳۴۵۶۷۸۹, Persian (extended Arabic-Indic) digits.
    Arabext,
    /// ٠١٢٣٤٥٦٧٨٩, Arabic-Indic digits (Arabic, not Persian).
    Arab,
}

impl Digits {
    /// The BCP 47 `-u-nu-` value.
    pub fn bcp47(self) -> &'static str {
        match self {
            Digits::Latn => "latn",
            Digits::Arabext => "arabext",
            Digits::Arab => "arab",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BuildConfig {
    pub content_dir: PathBuf,
    pub locales_dir: PathBuf,
    pub templates_dir: PathBuf,
    pub static_dir: PathBuf,
    pub output_dir: PathBuf,
}

impl Default for BuildConfig {
    fn default() -> Self {
        BuildConfig {
            content_dir: "content".into(),
            locales_dir: "locales".into(),
            templates_dir: "templates".into(),
            static_dir: "static".into(),
            output_dir: "public".into(),
        }
    }
}

fn default_source_locale() -> String {
    "en".into()
}

fn default_per_page() -> usize {
    10
}

fn default_feed_entries() -> usize {
    20
}

impl Config {
    /// Reads and validates `<root>/nashr.toml`.
    pub fn load(root: &Path) -> Result<Config, Error> {
        let path = root.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::NotAProject { config: path.clone() }
            } else {
                Error::io(&path, e)
            }
        })?;
        Self::parse(&text, Path::new(CONFIG_FILE))
    }

    /// Parses configuration text; `shown_path` is what error messages call the file.
    pub fn parse(text: &str, shown_path: &Path) -> Result<Config, Error> {
        let config: Config = toml::from_str(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            SourceError::new(shown_path, text, span, e.message().trim_end().to_string()).suggest_field()
        })?;
        let mut errors = Vec::new();
        let at = |key: &str| find_key(text, key).unwrap_or(0..0);
        for code in config.site.locales.iter().chain([&config.site.source_locale]) {
            if !is_locale_code(code) {
                errors.push(
                    SourceError::new(
                        shown_path,
                        text,
                        at("locales"),
                        format!("`{code}` is not a locale code"),
                    )
                    .with_help("use BCP 47 codes such as \"en\", \"fa\" or \"fa-CA\""),
                );
            }
        }
        if !config.site.locales.contains(&config.site.source_locale) {
            errors.push(
                SourceError::new(
                    shown_path,
                    text,
                    at("source_locale"),
                    format!("source locale `{}` is not in `locales`", config.site.source_locale),
                )
                .with_help("add it to [site] locales"),
            );
        }
        for (code, lc) in &config.locale {
            if !config.site.locales.contains(code) {
                errors.push(SourceError::new(
                    shown_path,
                    text,
                    find_key(text, &format!("[locale.{code}]")).unwrap_or(0..0),
                    format!("[locale.{code}] configures a locale that is not in [site] locales"),
                ));
            }
            for fb in &lc.fallback {
                if !config.site.locales.contains(fb) {
                    errors.push(SourceError::new(
                        shown_path,
                        text,
                        at("fallback"),
                        format!("fallback locale `{fb}` is not in [site] locales"),
                    ));
                }
            }
        }
        if config.site.per_page == 0 {
            errors.push(SourceError::new(
                shown_path,
                text,
                at("per_page"),
                "per_page must be at least 1",
            ));
        }
        if !(config.site.base_url.starts_with("https://") || config.site.base_url.starts_with("http://")) {
            errors.push(
                SourceError::new(
                    shown_path,
                    text,
                    at("base_url"),
                    "base_url must be an absolute http(s) URL",
                )
                .with_help("for example base_url = \"https://clinic.example/\""),
            );
        }
        crate::targets::validate(&config.target, &config.site.locales, text, shown_path, &mut errors);
        if errors.is_empty() {
            Ok(config)
        } else {
            Err(Error::Input(errors))
        }
    }

    /// The chain of locales tried for `locale`: itself, its configured fallbacks, then the
    /// source locale.
    pub fn fallback_chain(&self, locale: &str) -> Vec<String> {
        let mut chain = vec![locale.to_string()];
        if let Some(lc) = self.locale.get(locale) {
            for fb in &lc.fallback {
                if !chain.contains(fb) {
                    chain.push(fb.clone());
                }
            }
        }
        if !chain.contains(&self.site.source_locale) {
            chain.push(self.site.source_locale.clone());
        }
        chain
    }

    /// The configured calendar of `locale`, or its default: Solar Hijri for Persian (`fa`,
    /// whatever the region, so `fa-CA` does not silently become Gregorian), `None` (the
    /// locale's CLDR default) for everything else.
    pub fn calendar(&self, locale: &str) -> Option<Calendar> {
        self.locale
            .get(locale)
            .and_then(|lc| lc.calendar)
            .or_else(|| (language_of(locale) == "fa").then_some(Calendar::Persian))
    }

    /// The configured digits of `locale`, or its default: Persian digits for `fa`, `None`
    /// (the locale's CLDR default) for everything else.
    pub fn digits(&self, locale: &str) -> Option<Digits> {
        self.locale
            .get(locale)
            .and_then(|lc| lc.digits)
            .or_else(|| (language_of(locale) == "fa").then_some(Digits::Arabext))
    }

    /// `base_url` with exactly one trailing slash.
    pub fn base_url(&self) -> String {
        format!("{}/", self.site.base_url.trim_end_matches('/'))
    }

    /// The path part of `base_url` (`/` or `/clinic/`), which prefixes every internal link.
    pub fn base_path(&self) -> String {
        let rest = self.site.base_url.split_once("://").map_or("", |(_, r)| r);
        let path = rest.find('/').map_or("", |i| &rest[i..]);
        format!("/{}", path.trim_matches('/')).trim_end_matches('/').to_string() + "/"
    }
}

/// The language subtag of a locale code: `fa` for `fa-CA`.
fn language_of(code: &str) -> &str {
    code.split('-').next().unwrap_or(code)
}

/// A BCP 47 language tag as nashr accepts it: `fa`, `en-CA`, `fa-Latn`, `fa-CA-u-ca-persian`.
pub fn is_locale_code(code: &str) -> bool {
    let mut parts = code.split('-');
    let lang_ok = parts
        .next()
        .is_some_and(|l| (2..=3).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_lowercase()));
    lang_ok && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_without_nashr_toml_is_not_a_project() {
        let root = std::env::temp_dir().join(format!("nashr-not-a-project-{}", std::process::id()));
        match Config::load(&root) {
            Err(Error::NotAProject { config }) => assert_eq!(config, root.join(CONFIG_FILE)),
            other => panic!("expected NotAProject, got {other:?}"),
        }
    }

    const OK: &str = "[site]\nbase_url = \"https://c.example/blog\"\nlocales = [\"en\", \"fa\"]\n";

    #[test]
    fn defaults_and_chain() {
        let c = Config::parse(OK, Path::new("nashr.toml")).unwrap();
        assert_eq!(c.site.source_locale, "en");
        assert_eq!(c.fallback_chain("fa"), ["fa", "en"]);
        assert_eq!(c.base_path(), "/blog/");
        assert_eq!(c.base_url(), "https://c.example/blog/");
        assert_eq!(c.build.output_dir, PathBuf::from("public"));
    }

    #[test]
    fn unknown_key_names_line_and_column() {
        let text = format!("{OK}per_pages = 3\n");
        let Err(Error::Input(errs)) = Config::parse(&text, Path::new("nashr.toml")) else {
            panic!()
        };
        assert_eq!(errs[0].location(), "nashr.toml:4:1");
        assert!(
            errs[0].message.contains("unknown field `per_pages`"),
            "{}",
            errs[0].message
        );
    }

    #[test]
    fn calendar_and_digit_defaults_and_settings() {
        let c = Config::parse(OK, Path::new("nashr.toml")).unwrap();
        assert_eq!(c.calendar("fa"), Some(Calendar::Persian));
        assert_eq!(c.digits("fa"), Some(Digits::Arabext));
        assert_eq!(c.calendar("en"), None);
        assert_eq!(c.digits("en"), None);
        let text = format!("{OK}[locale.fa]\ncalendar = \"gregorian\"\ndigits = \"latn\"\n");
        let c = Config::parse(&text, Path::new("nashr.toml")).unwrap();
        assert_eq!(c.calendar("fa"), Some(Calendar::Gregorian));
        assert_eq!(c.digits("fa"), Some(Digits::Latn));
        let text = format!("{OK}[locale.en]\ncalendar = \"islamic-umalqura\"\n");
        let c = Config::parse(&text, Path::new("nashr.toml")).unwrap();
        assert_eq!(c.calendar("en").map(Calendar::bcp47), Some("islamic-umalqura"));
    }

    #[test]
    fn unknown_calendar_names_line_and_column() {
        let text = format!("{OK}[locale.fa]\ncalendar = \"mayan\"\n");
        let Err(Error::Input(errs)) = Config::parse(&text, Path::new("nashr.toml")) else {
            panic!()
        };
        assert_eq!(errs[0].location(), "nashr.toml:5:12");
        assert!(
            errs[0].message.contains("unknown variant `mayan`"),
            "{}",
            errs[0].message
        );
        assert!(errs[0].message.contains("`persian`"), "{}", errs[0].message);
        assert_eq!(errs[0].line_text(), "calendar = \"mayan\"");
        assert_eq!(errs[0].help, None, "nothing is close to mayan");
        let text = format!("{OK}[locale.fa]\ncalendar = \"persain\"\n");
        let Err(Error::Input(errs)) = Config::parse(&text, Path::new("nashr.toml")) else {
            panic!()
        };
        assert_eq!(errs[0].help.as_deref(), Some("did you mean `persian`?"));
    }

    #[test]
    fn semantic_errors_point_at_the_key() {
        let text = "[site]\nbase_url = \"https://c.example\"\nsource_locale = \"de\"\nlocales = [\"en\"]\n";
        let Err(Error::Input(errs)) = Config::parse(text, Path::new("nashr.toml")) else {
            panic!()
        };
        assert_eq!(errs[0].location(), "nashr.toml:3:1");
    }
}
