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
                Error::Environment(format!(
                    "{} not found: run nashr inside a nashr project or pass --root DIR",
                    path.display()
                ))
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
    fn semantic_errors_point_at_the_key() {
        let text = "[site]\nbase_url = \"https://c.example\"\nsource_locale = \"de\"\nlocales = [\"en\"]\n";
        let Err(Error::Input(errs)) = Config::parse(text, Path::new("nashr.toml")) else {
            panic!()
        };
        assert_eq!(errs[0].location(), "nashr.toml:3:1");
    }
}
