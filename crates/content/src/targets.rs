//! `[target.<name>]` and `[store]` in `nashr.toml`: where `nashr publish` sends articles, and
//! where it remembers what it sent. Parsed with the rest of the configuration, so a mistake
//! here is reported with its line like any other.
//!
//! ```toml
//! [target.wordpress]
//! kind = "wordpress"
//! user = "editor"
//! password_env = "NASHR_WP_PASSWORD"        # the application password is read from here
//! site.en = "https://downtownphysio.example/"  # one WordPress site per locale …
//! site.fa = "https://fa.downtownphysio.example/"
//! # url = "https://downtownphysio.example/"  # … or one site for every locale
//! ```

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::diag::{SourceError, find_key};

/// The environment variable a WordPress target reads its application password from, unless
/// `password_env` names another.
pub const DEFAULT_PASSWORD_ENV: &str = "NASHR_WP_PASSWORD";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    /// Each article and locale as an HTML fragment plus JSON metadata in a folder.
    Filesystem,
    /// A WordPress site (or one per locale), through its REST API.
    Wordpress,
}

/// Where a locale's post slug comes from on WordPress.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SlugSource {
    /// The article's directory name (ASCII); on a site shared by several locales, the other
    /// locales add `-<locale>`.
    #[default]
    Article,
    /// The article's slug in the post's language: front matter `slug`, or else its title made
    /// into a slug by [`crate::slugify`] (Persian letters kept, ZWNJ removed, ASCII digits).
    Title,
}

/// One `[target.<name>]` table. Fields that do not apply to its `kind` are errors.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetConfig {
    pub kind: TargetKind,
    /// filesystem: the folder (relative to the project) to write into. Default `publish`.
    #[serde(default)]
    pub dir: Option<PathBuf>,
    /// wordpress: one site for every locale; each post gets a language category.
    #[serde(default)]
    pub url: Option<String>,
    /// wordpress: one site per locale (`site.fa = "https://fa.clinic.example/"`), or a table
    /// with `url`, `user` and `password_env` when a site has its own account.
    #[serde(default)]
    pub site: BTreeMap<String, SiteEntry>,
    /// wordpress: the WordPress user name (or e-mail) the application password belongs to.
    #[serde(default)]
    pub user: Option<String>,
    /// wordpress: the environment variable holding the application password.
    #[serde(default)]
    pub password_env: Option<String>,
    /// wordpress: `article` (default) or `title`.
    #[serde(default)]
    pub slug: SlugSource,
    /// wordpress: category keys every post gets (labels from `category-<key>` in site.ftl).
    #[serde(default)]
    pub categories: Vec<String>,
    /// wordpress: requests in flight at once. Default 4.
    #[serde(default)]
    pub concurrency: Option<usize>,
    /// wordpress: seconds before a request is given up (and retried). Default 30.
    #[serde(default)]
    pub timeout_secs: Option<u64>,
    /// wordpress: attempts after the first for a request that failed transiently. Default 6.
    #[serde(default)]
    pub retries: Option<u32>,
    /// wordpress: first wait before a retry, in milliseconds; doubled each time. Default 500.
    #[serde(default)]
    pub retry_base_ms: Option<u64>,
    /// wordpress: the longest wait nashr accepts, from backoff or `Retry-After`. Default 60.
    #[serde(default)]
    pub max_retry_wait_secs: Option<u64>,
}

/// `site.<locale>`: a URL, or a table when the site has its own account.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum SiteEntry {
    Url(String),
    Full(SiteTable),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteTable {
    pub url: String,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub password_env: Option<String>,
}

impl SiteEntry {
    pub fn url(&self) -> &str {
        match self {
            SiteEntry::Url(u) => u,
            SiteEntry::Full(t) => &t.url,
        }
    }
}

/// `[store]`: the state store (publish ledger, subscribers, deliveries, jobs).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// The SQLite file, relative to the project. Default `.nashr/state.db`.
    pub path: PathBuf,
    /// A store URL (`postgres://user@host/database`) instead of the SQLite file; the
    /// `NASHR_STORE_URL` environment variable overrides it (and is where a password belongs).
    pub url: Option<String>,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            path: ".nashr/state.db".into(),
            url: None,
        }
    }
}

/// The byte range of `key` inside the `[target.<name>]` table (or the table header itself).
fn target_key(text: &str, name: &str, key: Option<&str>) -> Range<usize> {
    let header = format!("[target.{name}]");
    let Some(start) = text.find(&header) else {
        return find_key(text, name).unwrap_or(0..0);
    };
    let header_range = start..start + header.len();
    let Some(key) = key else {
        return header_range;
    };
    let body_start = start + header.len();
    // The table ends at the next header that is not one of its sub-tables.
    let own_sub = format!("[target.{name}.");
    let mut end = text.len();
    let mut offset = body_start;
    for line in text[body_start..].split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with('[') && !t.starts_with(&own_sub) && offset > body_start {
            end = offset;
            break;
        }
        offset += line.len();
    }
    find_key(&text[body_start..end], key).map_or(header_range, |r| r.start + body_start..r.end + body_start)
}

fn is_http_url(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://")) && url.len() > "https://".len()
}

fn is_env_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Checks what serde cannot: fields that belong to the kind, URLs, locales, names.
pub(crate) fn validate(
    targets: &BTreeMap<String, TargetConfig>,
    locales: &[String],
    text: &str,
    path: &Path,
    errors: &mut Vec<SourceError>,
) {
    for (name, t) in targets {
        let mut err = |key: Option<&str>, msg: String, help: Option<&str>| {
            let e = SourceError::new(path, text, target_key(text, name, key), msg);
            errors.push(match help {
                Some(h) => e.with_help(h),
                None => e,
            });
        };
        if !crate::article::is_slug(name) {
            err(
                None,
                format!("target name `{name}` must be lowercase ASCII letters, digits and hyphens"),
                None,
            );
        }
        match t.kind {
            TargetKind::Filesystem => {
                let wp_only: [(&str, bool); 10] = [
                    ("url", t.url.is_some()),
                    ("site", !t.site.is_empty()),
                    ("user", t.user.is_some()),
                    ("password_env", t.password_env.is_some()),
                    ("categories", !t.categories.is_empty()),
                    ("concurrency", t.concurrency.is_some()),
                    ("timeout_secs", t.timeout_secs.is_some()),
                    ("retries", t.retries.is_some()),
                    ("retry_base_ms", t.retry_base_ms.is_some()),
                    ("max_retry_wait_secs", t.max_retry_wait_secs.is_some()),
                ];
                for (key, set) in wp_only {
                    if set {
                        err(
                            Some(key),
                            format!("`{key}` is a WordPress setting; target `{name}` is a filesystem target"),
                            Some("remove it, or set kind = \"wordpress\""),
                        );
                    }
                }
                if t.dir
                    .as_ref()
                    .is_some_and(|d| d.is_absolute() || d.components().any(|c| c == std::path::Component::ParentDir))
                {
                    err(
                        Some("dir"),
                        "`dir` must be a folder inside the project".into(),
                        Some("for example dir = \"publish\""),
                    );
                }
            }
            TargetKind::Wordpress => {
                if t.dir.is_some() {
                    err(
                        Some("dir"),
                        format!("`dir` is a filesystem setting; target `{name}` is a WordPress target"),
                        None,
                    );
                }
                match (&t.url, t.site.is_empty()) {
                    (None, true) => err(
                        Some("kind"),
                        format!(
                            "WordPress target `{name}` needs `url` (one site for every locale) or `site.<locale>` (one site per locale)"
                        ),
                        Some("for example url = \"https://clinic.example/\""),
                    ),
                    (Some(_), false) => err(
                        Some("url"),
                        format!("WordPress target `{name}` sets both `url` and `site`; choose one"),
                        Some("`url`: one site with a language category per post; `site.<locale>`: one site per locale"),
                    ),
                    _ => {}
                }
                if let Some(url) = &t.url
                    && !is_http_url(url)
                {
                    err(
                        Some("url"),
                        format!("`{url}` is not an http(s) URL"),
                        Some("for example url = \"https://clinic.example/\""),
                    );
                }
                for (locale, site) in &t.site {
                    let key = format!("site.{locale}");
                    let at = if text.contains(&format!("[target.{name}.site.{locale}]")) {
                        None
                    } else {
                        Some(key.as_str())
                    };
                    if !locales.contains(locale) {
                        err(
                            at,
                            format!(
                                "`site.{locale}`: `{locale}` is not one of the site's locales ({})",
                                locales.join(", ")
                            ),
                            None,
                        );
                    }
                    if !is_http_url(site.url()) {
                        err(at, format!("`{}` is not an http(s) URL", site.url()), None);
                    }
                    if let SiteEntry::Full(SiteTable {
                        password_env: Some(env),
                        ..
                    }) = site
                        && !is_env_name(env)
                    {
                        err(at, format!("`{env}` is not an environment variable name"), None);
                    }
                }
                let needs_user = t
                    .site
                    .values()
                    .any(|s| !matches!(s, SiteEntry::Full(SiteTable { user: Some(_), .. })));
                if t.user.is_none() && (t.url.is_some() || needs_user) {
                    err(
                        Some("kind"),
                        format!(
                            "WordPress target `{name}` needs `user`, the WordPress account the application password belongs to"
                        ),
                        Some("add user = \"<your WordPress user name>\""),
                    );
                }
                if let Some(env) = &t.password_env
                    && !is_env_name(env)
                {
                    err(
                        Some("password_env"),
                        format!("`{env}` is not an environment variable name"),
                        Some(
                            "password_env names the variable, e.g. password_env = \"NASHR_WP_PASSWORD\"; the password itself never goes into nashr.toml",
                        ),
                    );
                }
                if t.concurrency == Some(0) {
                    err(Some("concurrency"), "concurrency must be at least 1".into(), None);
                }
                if t.timeout_secs == Some(0) {
                    err(Some("timeout_secs"), "timeout_secs must be at least 1".into(), None);
                }
                for key in &t.categories {
                    if !crate::article::is_slug(key) {
                        err(
                            Some("categories"),
                            format!("category `{key}` must be lowercase ASCII letters, digits and hyphens"),
                            Some("categories are keys; their names are translated in site.ftl as `category-<key>`"),
                        );
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::diag::Error;
    use std::path::Path;

    const SITE: &str = "[site]\nbase_url = \"https://c.example/\"\nlocales = [\"en\", \"fa\"]\n";

    fn errors(extra: &str) -> Vec<(String, String)> {
        match Config::parse(&format!("{SITE}{extra}"), Path::new("nashr.toml")) {
            Err(Error::Input(errs)) => errs.iter().map(|e| (e.location(), e.message.clone())).collect(),
            Err(e) => panic!("{e}"),
            Ok(_) => vec![],
        }
    }

    #[test]
    fn a_wordpress_target_per_locale() {
        let text = format!(
            "{SITE}\n[target.wordpress]\nkind = \"wordpress\"\nuser = \"editor\"\nsite.en = \"https://c.example/\"\n\n[target.wordpress.site.fa]\nurl = \"https://fa.c.example/\"\npassword_env = \"FA_PASSWORD\"\n\n[store]\npath = \"state/ledger.db\"\n"
        );
        let c = Config::parse(&text, Path::new("nashr.toml")).unwrap();
        let t = &c.target["wordpress"];
        assert_eq!(t.site["en"].url(), "https://c.example/");
        assert_eq!(t.site["fa"].url(), "https://fa.c.example/");
        assert_eq!(c.store.path, Path::new("state/ledger.db"));
    }

    #[test]
    fn mistakes_point_at_their_line() {
        // A misspelt key: serde names it, on its line.
        let errs = errors(
            "[target.wp]\nkind = \"wordpress\"\nurl = \"https://c.example/\"\nuser = \"e\"\npasword_env = \"X\"\n",
        );
        assert_eq!(errs[0].0, "nashr.toml:8:1", "{errs:?}");
        assert!(errs[0].1.contains("unknown field `pasword_env`"), "{errs:?}");

        // Both ways of naming sites; a locale the site does not have; a WordPress key on a folder.
        let errs = errors(
            "[target.wp]\nkind = \"wordpress\"\nuser = \"e\"\nurl = \"https://c.example/\"\nsite.de = \"https://de.c.example/\"\n\n[target.files]\nkind = \"filesystem\"\nuser = \"x\"\n",
        );
        let msgs: Vec<String> = errs.iter().map(|(l, m)| format!("{l} {m}")).collect();
        assert!(
            msgs.iter()
                .any(|m| m.starts_with("nashr.toml:12:1") && m.contains("`user` is a WordPress setting")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m.starts_with("nashr.toml:7:1") && m.contains("sets both `url` and `site`")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m.starts_with("nashr.toml:8:1") && m.contains("`de` is not one of the site's locales")),
            "{msgs:?}"
        );

        let errs =
            errors("[target.wp]\nkind = \"wordpress\"\nurl = \"ftp://c.example/\"\npassword_env = \"my secret\"\n");
        let msgs: Vec<String> = errs.iter().map(|(l, m)| format!("{l} {m}")).collect();
        assert!(msgs.iter().any(|m| m.contains("needs `user`")), "{msgs:?}");
        assert!(
            msgs.iter()
                .any(|m| m.starts_with("nashr.toml:6:1") && m.contains("not an http(s) URL")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m.starts_with("nashr.toml:7:1") && m.contains("not an environment variable name")),
            "{msgs:?}"
        );

        let errs = errors("[target.wp]\nkind = \"ghost\"\n");
        assert!(errs[0].1.contains("unknown variant `ghost`"), "{errs:?}");
    }
}
