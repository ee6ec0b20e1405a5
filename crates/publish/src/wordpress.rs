//! The `wordpress` target: posts through the REST API (`/wp/v2`), authenticated with an
//! application password read from the environment.
//!
//! For each article × locale nashr computes the post it wants (title, content, excerpt, slug,
//! status and date, tags, categories, featured image, links to its translations) and a hash of
//! it. The ledger says what was last sent: the same hash → nothing is sent, not even a request;
//! another hash → the same post is updated; no ledger entry → a post with the slug is looked
//! for (`status=any`, `context=edit`) and adopted, or created. Each ledger row is written as
//! soon as its post is, so an interrupted run resumes where it stopped.
//!
//! Links between posts (an article's `@/` links, its translations) point to addresses
//! WordPress gives only when a post is created, so a run makes a second pass for posts whose
//! links became known in the first; a later run finds nothing to do.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nashr_content::html::{Escape, escape};
use nashr_content::targets::{SlugSource, TargetConfig};
use nashr_l10n::Localizer;
use nashr_store::{LedgerEntry, MediaEntry, Store};
use reqwest::Method;
use serde_json::{Value, json};

use crate::item::{self, Item, PostStatus};
use crate::retry::{RetryPolicy, is_transient, parse_retry_after};
use crate::slug::wordpress_slug;
use crate::{Action, Error, ItemReport, TargetReport};

/// Bump when what nashr sends changes shape, so every post is sent again once.
const FORMAT: &str = "nashr-wordpress-1";

/// One WordPress site and the locales published to it.
#[derive(Debug, Clone)]
pub(crate) struct Site {
    /// With exactly one trailing slash.
    pub url: String,
    pub user: String,
    pub password_env: String,
    pub locales: Vec<String>,
    /// Whether several locales share the site (then each post gets a language category, and
    /// slugs of other locales than the source one get `-<locale>`).
    pub shared: bool,
}

pub(crate) struct WordPressTarget {
    pub name: String,
    pub sites: Vec<Site>,
    pub slug: SlugSource,
    /// Category keys and their labels per locale.
    pub categories: Vec<String>,
    pub concurrency: usize,
    pub timeout: Duration,
    pub policy: RetryPolicy,
    pub source_locale: String,
    /// Labels (`category-<key>`, `language-name`, `language-switcher-label`) per locale.
    pub labels: BTreeMap<(String, String), String>,
    /// `ltr` or `rtl` per locale.
    pub dirs: BTreeMap<String, &'static str>,
}

impl WordPressTarget {
    pub(crate) fn from_config(
        name: &str,
        t: &TargetConfig,
        locales: &[String],
        source_locale: &str,
        l10n: &Localizer,
    ) -> WordPressTarget {
        let default_env = t
            .password_env
            .clone()
            .unwrap_or_else(|| nashr_content::targets::DEFAULT_PASSWORD_ENV.to_string());
        let slash = |u: &str| format!("{}/", u.trim_end_matches('/'));
        let sites = match &t.url {
            Some(url) => vec![Site {
                url: slash(url),
                user: t.user.clone().unwrap_or_default(),
                password_env: default_env,
                locales: locales.to_vec(),
                shared: locales.len() > 1,
            }],
            None => {
                // One site per locale; locales sharing a URL share the site.
                let mut sites: Vec<Site> = Vec::new();
                for locale in locales {
                    let Some(entry) = t.site.get(locale) else { continue };
                    let (user, env) = match entry {
                        nashr_content::targets::SiteEntry::Url(_) => (t.user.clone(), default_env.clone()),
                        nashr_content::targets::SiteEntry::Full(s) => (
                            s.user.clone().or_else(|| t.user.clone()),
                            s.password_env.clone().unwrap_or_else(|| default_env.clone()),
                        ),
                    };
                    let url = slash(entry.url());
                    if let Some(site) = sites.iter_mut().find(|s| s.url == url) {
                        site.locales.push(locale.clone());
                        site.shared = true;
                    } else {
                        sites.push(Site {
                            url,
                            user: user.unwrap_or_default(),
                            password_env: env,
                            locales: vec![locale.clone()],
                            shared: false,
                        });
                    }
                }
                sites
            }
        };
        let mut labels = BTreeMap::new();
        let mut dirs = BTreeMap::new();
        for locale in locales {
            let rtl = l10n.locale(locale).is_some_and(|l| l.rtl);
            dirs.insert(locale.clone(), if rtl { "rtl" } else { "ltr" });
            for key in &t.categories {
                labels.insert(
                    (locale.clone(), format!("category-{key}")),
                    item::label(l10n, locale, "category", key),
                );
            }
            for id in ["language-name", "language-switcher-label"] {
                let text = l10n
                    .message(locale, id, None)
                    .map(|f| nashr_l10n::bidi::for_sink(&f.text, nashr_l10n::bidi::Sink::Value).into_owned())
                    .unwrap_or_else(|_| locale.clone());
                labels.insert((locale.clone(), id.to_string()), text);
            }
        }
        WordPressTarget {
            name: name.to_string(),
            sites,
            slug: t.slug,
            categories: t.categories.clone(),
            concurrency: t.concurrency.unwrap_or(4).max(1),
            timeout: Duration::from_secs(t.timeout_secs.unwrap_or(30)),
            policy: RetryPolicy {
                retries: t.retries.unwrap_or(6),
                base: Duration::from_millis(t.retry_base_ms.unwrap_or(500)),
                max_wait: Duration::from_secs(t.max_retry_wait_secs.unwrap_or(60)),
            },
            source_locale: source_locale.to_string(),
            labels,
            dirs,
        }
    }

    fn label(&self, locale: &str, id: &str) -> String {
        self.labels
            .get(&(locale.to_string(), id.to_string()))
            .cloned()
            .unwrap_or_else(|| locale.to_string())
    }

    fn site_of(&self, locale: &str) -> Option<usize> {
        self.sites.iter().position(|s| s.locales.iter().any(|l| l == locale))
    }

    /// The slug the post has on WordPress (as WordPress stores it).
    pub(crate) fn slug_for(&self, item: &Item) -> String {
        let shared = self.site_of(&item.locale).is_some_and(|i| self.sites[i].shared);
        let from_article = || {
            if shared && item.locale != self.source_locale {
                format!("{}-{}", item.article, item.locale.to_ascii_lowercase())
            } else {
                item.article.clone()
            }
        };
        match self.slug {
            SlugSource::Article => wordpress_slug(&from_article()),
            // The project's slug in this language (front matter `slug`, else the title through
            // `slugify`), in the form WordPress stores it.
            SlugSource::Title => {
                let slug = wordpress_slug(&item.slug);
                if slug.is_empty() {
                    wordpress_slug(&from_article())
                } else {
                    slug
                }
            }
        }
    }

    /// The post nashr wants for `item`, given what the ledger knows about the other posts.
    fn desired(&self, item: &Item, ledger: &HashMap<(String, String), LedgerEntry>) -> Desired {
        let url_of = |locale: &str, slug: &str| {
            ledger
                .get(&(slug.to_string(), locale.to_string()))
                .map(|e| e.remote_url.clone())
        };
        let body = item::resolve_links(&item.html, |locale, slug| {
            // Before the linked post exists here, the static site has the article.
            url_of(locale, slug).unwrap_or_else(|| item.site_url_of(locale, slug))
        });
        // Links to the other languages' posts, hreflang-style.
        let mut translations = String::new();
        for site in &self.sites {
            for locale in &site.locales {
                if *locale == item.locale {
                    continue;
                }
                if let Some(url) = url_of(locale, &item.article) {
                    let dir = self.dirs.get(locale).copied().unwrap_or("ltr");
                    translations.push_str(&format!(
                        " <a href=\"{}\" hreflang=\"{locale}\" lang=\"{locale}\" dir=\"{dir}\" rel=\"alternate\">{}</a>",
                        escape(&url, Escape::DoubleQuoted),
                        escape(&self.label(locale, "language-name"), Escape::Text)
                    ));
                }
            }
        }
        let mut content = format!("<div lang=\"{}\" dir=\"{}\">\n{body}", item.locale, item.dir);
        if !translations.is_empty() {
            content.push_str(&format!(
                "<p class=\"nashr-translations\">{}:{translations}</p>\n",
                escape(&self.label(&item.locale, "language-switcher-label"), Escape::Text)
            ));
        }
        content.push_str("</div>\n");

        let site = self.site_of(&item.locale).unwrap_or(0);
        let shared = self.sites[site].shared;
        let suffix = |key: &str| {
            if shared && item.locale != self.source_locale {
                format!("{key}-{}", item.locale.to_ascii_lowercase())
            } else {
                key.to_string()
            }
        };
        let tags = item.tags.iter().map(|t| (suffix(&t.key), t.label.clone())).collect();
        let mut categories: Vec<(String, String)> = self
            .categories
            .iter()
            .map(|key| (suffix(key), self.label(&item.locale, &format!("category-{key}"))))
            .collect();
        if shared {
            categories.push((
                format!("language-{}", item.locale.to_ascii_lowercase()),
                self.label(&item.locale, "language-name"),
            ));
        }
        let (date_field, date) = match (item.status, item.publish_at) {
            (_, Some(at)) => ("date_gmt", at.strftime("%Y-%m-%dT%H:%M:%S").to_string()),
            // A plain date is a day in the site's own time zone.
            _ => ("date", format!("{}T00:00:00", item.date)),
        };
        let desired = Desired {
            site,
            slug: self.slug_for(item),
            title: escape(&item.title, Escape::Text),
            excerpt: item
                .excerpt
                .as_deref()
                .map(|e| escape(e, Escape::Text))
                .unwrap_or_default(),
            content,
            status: item.status,
            date_field,
            date,
            tags,
            categories,
            images: item.images.clone(),
            hero: item.hero.clone(),
            hash: String::new(),
        };
        let hash = desired.compute_hash();
        Desired { hash, ..desired }
    }

    /// Publishes (or, with `dry_run`, plans) `items`.
    pub(crate) async fn publish(
        self: Arc<Self>,
        items: Vec<Item>,
        store: Store,
        dry_run: bool,
        progress: &crate::Progress<'_>,
    ) -> Result<TargetReport, Error> {
        let started = std::time::Instant::now();
        let mut report = TargetReport::new(&self.name, "wordpress");
        let items: Vec<Item> = items
            .into_iter()
            .filter(|i| self.site_of(&i.locale).is_some())
            .collect();
        let stats = Arc::new(Stats::default());
        let clients = if dry_run {
            Vec::new()
        } else {
            self.sites
                .iter()
                .map(|s| Client::new(s, self.timeout, self.policy, stats.clone()))
                .collect::<Result<Vec<_>, Error>>()?
        };
        let ctx = Arc::new(Ctx {
            target: self.clone(),
            clients,
            store: store.clone(),
            terms: tokio::sync::Mutex::new(HashMap::new()),
            media_locks: Mutex::new(HashMap::new()),
            stats,
            stop: AtomicBool::new(false),
        });
        let mut reports: BTreeMap<(String, String), ItemReport> = BTreeMap::new();
        let mut first_error: Option<Error> = None;
        // Pass 2 sends posts whose links to other posts became known in pass 1; pass 3 is a
        // guard that normally finds nothing.
        for pass in 0..3 {
            let ledger: HashMap<(String, String), LedgerEntry> = store
                .ledger_entries(&self.name)
                .await?
                .into_iter()
                .map(|e| ((e.article.clone(), e.locale.clone()), e))
                .collect();
            let mut todo = Vec::new();
            for it in &items {
                let desired = self.desired(it, &ledger);
                let known = ledger.get(&(it.article.clone(), it.locale.clone()));
                let site_url = &self.sites[desired.site].url;
                let (action, reason) = match known {
                    Some(e) if e.hash == desired.hash => (Action::Skip, format!("unchanged since {}", e.updated_at)),
                    Some(e) => (
                        Action::Update,
                        if pass == 0 {
                            format!("changed since {}: post {}", e.updated_at, e.remote_id)
                        } else {
                            "links to the other posts are now known".to_string()
                        },
                    ),
                    None => (
                        Action::Create,
                        format!(
                            "not published yet: a post with slug `{}` on {site_url} is adopted if there is one, else created",
                            crate::slug::decode_slug(&desired.slug)
                        ),
                    ),
                };
                let key = (it.article.clone(), it.locale.clone());
                if pass == 0 {
                    reports.insert(
                        key.clone(),
                        ItemReport {
                            article: it.article.clone(),
                            locale: it.locale.clone(),
                            action,
                            reason,
                            url: known.map(|e| e.remote_url.clone()),
                            remote_id: known.map(|e| e.remote_id),
                        },
                    );
                }
                if action != Action::Skip {
                    todo.push((it.clone(), desired, known.cloned()));
                }
            }
            if dry_run || todo.is_empty() {
                break;
            }
            for (_, desired, _) in &todo {
                ctx.clients[desired.site].check_password()?;
            }
            let total = todo.len();
            let semaphore = Arc::new(tokio::sync::Semaphore::new(self.concurrency));
            let mut set = tokio::task::JoinSet::new();
            for (it, desired, known) in todo {
                let ctx = ctx.clone();
                let semaphore = semaphore.clone();
                set.spawn(async move {
                    let _permit = semaphore.acquire_owned().await;
                    if ctx.stop.load(Ordering::SeqCst) {
                        return (it, Err(None));
                    }
                    let result = ctx.send(&it, &desired, known.as_ref()).await;
                    if result.is_err() {
                        ctx.stop.store(true, Ordering::SeqCst);
                    }
                    (it, result.map_err(Some))
                });
            }
            let mut done = 0;
            while let Some(joined) = set.join_next().await {
                done += 1;
                progress(&self.name, done, total);
                let (it, result) = match joined {
                    Ok(r) => r,
                    Err(e) => {
                        first_error.get_or_insert(Error::Remote {
                            target: self.name.clone(),
                            item: "?".into(),
                            message: format!("internal error: {e}"),
                        });
                        continue;
                    }
                };
                let key = (it.article.clone(), it.locale.clone());
                match result {
                    Ok(sent) => {
                        if let Some(r) = reports.get_mut(&key) {
                            if pass == 0
                                && let Some(note) = sent.note
                            {
                                r.reason = note;
                                r.action = sent.action;
                            }
                            r.url = Some(sent.url);
                            r.remote_id = Some(sent.id);
                        }
                    }
                    Err(Some(e)) => {
                        if first_error.is_none() {
                            first_error = Some(Error::Remote {
                                target: self.name.clone(),
                                item: it.key(),
                                message: e.to_string(),
                            });
                        }
                    }
                    Err(None) => {}
                }
            }
            if first_error.is_some() {
                break;
            }
        }
        report.items = reports.into_values().collect();
        report.requests = ctx.stats.requests.load(Ordering::SeqCst);
        report.writes = ctx.stats.writes.load(Ordering::SeqCst);
        report.retries = ctx.stats.retries.load(Ordering::SeqCst);
        report.seconds = started.elapsed().as_secs_f64();
        if let Some(e) = first_error {
            report.error = Some(e.to_string());
        }
        Ok(report)
    }
}

/// The post nashr wants, before media and terms are turned into WordPress ids.
#[derive(Debug, Clone)]
struct Desired {
    site: usize,
    slug: String,
    title: String,
    excerpt: String,
    content: String,
    status: PostStatus,
    date_field: &'static str,
    date: String,
    /// (slug, name)
    tags: Vec<(String, String)>,
    categories: Vec<(String, String)>,
    images: Vec<item::Image>,
    hero: Option<(item::Image, String)>,
    hash: String,
}

impl Desired {
    fn compute_hash(&self) -> String {
        let logical = json!({
            "format": FORMAT,
            "slug": self.slug,
            "title": self.title,
            "excerpt": self.excerpt,
            "content": self.content,
            "status": self.status.as_str(),
            self.date_field: self.date,
            "tags": self.tags,
            "categories": self.categories,
            "images": self.images.iter().map(|i| (&i.name, &i.hash)).collect::<Vec<_>>(),
            "hero": self.hero.as_ref().map(|(i, alt)| (&i.hash, alt)),
        });
        item::sha256_hex(logical.to_string().as_bytes())
    }
}

#[derive(Default)]
struct Stats {
    requests: AtomicUsize,
    writes: AtomicUsize,
    retries: AtomicUsize,
}

/// Held while one image is looked up or uploaded to one site, so it is uploaded once.
type MediaLock = Arc<tokio::sync::Mutex<()>>;

struct Ctx {
    target: Arc<WordPressTarget>,
    clients: Vec<Client>,
    store: Store,
    /// (site, taxonomy, slug) → term id, for this run.
    terms: tokio::sync::Mutex<HashMap<(usize, &'static str, String), i64>>,
    media_locks: Mutex<HashMap<(usize, String), MediaLock>>,
    stats: Arc<Stats>,
    /// Set after the first failure: start nothing new.
    stop: AtomicBool,
}

struct Sent {
    id: i64,
    url: String,
    action: Action,
    /// What happened, when it differs from the plan (adopted, recreated, renamed).
    note: Option<String>,
}

impl Ctx {
    async fn send(&self, it: &Item, d: &Desired, known: Option<&LedgerEntry>) -> Result<Sent, WpError> {
        let client = &self.clients[d.site];
        // Media first: the content refers to their URLs.
        let mut urls = BTreeMap::new();
        for img in &d.images {
            let (_, url) = self.media(d.site, img, None).await?;
            urls.insert(img.name.clone(), url);
        }
        let featured = match &d.hero {
            Some((img, alt)) => self.media(d.site, img, Some(alt)).await?.0,
            None => 0,
        };
        let mut tags = Vec::new();
        for (slug, name) in &d.tags {
            tags.push(self.term(d.site, "tags", slug, name).await?);
        }
        let mut categories = Vec::new();
        for (slug, name) in &d.categories {
            categories.push(self.term(d.site, "categories", slug, name).await?);
        }
        let mut body = json!({
            "title": d.title,
            "content": item::rewrite_images(&d.content, &urls),
            "excerpt": d.excerpt,
            "slug": d.slug,
            "status": d.status.as_str(),
            "tags": tags,
            "categories": categories,
            "featured_media": featured,
        });
        body[d.date_field] = Value::String(d.date.clone());

        let mut note = None;
        let mut action = if known.is_some() {
            Action::Update
        } else {
            Action::Create
        };
        let post = match known {
            Some(e) => match client
                .request(
                    Method::POST,
                    &format!("/wp/v2/posts/{}", e.remote_id),
                    &[],
                    Body::Json(&body),
                )
                .await
            {
                Err(WpError::Http { status: 404, .. }) => {
                    note = Some(format!("post {} is gone from WordPress: published again", e.remote_id));
                    self.create_or_adopt(client, d, &body, &mut note, &mut action).await?
                }
                other => other?,
            },
            None => self.create_or_adopt(client, d, &body, &mut note, &mut action).await?,
        };
        let id = post["id"]
            .as_i64()
            .ok_or_else(|| WpError::Unexpected("a post without an id".into()))?;
        if note.is_none() && action == Action::Create {
            note = Some(format!("new post {id}"));
        }
        let url = post["link"].as_str().unwrap_or_default().to_string();
        if let Some(stored) = post["slug"].as_str()
            && stored != d.slug
            && !d.slug.is_empty()
        {
            note = Some(format!(
                "WordPress stored the slug `{}` instead of `{}`: another post (perhaps in the trash) has that slug",
                crate::slug::decode_slug(stored),
                crate::slug::decode_slug(&d.slug)
            ));
        }
        self.store
            .ledger_put(&LedgerEntry {
                target: self.target.name.clone(),
                article: it.article.clone(),
                locale: it.locale.clone(),
                remote_id: id,
                remote_url: url.clone(),
                hash: d.hash.clone(),
                updated_at: jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            })
            .await
            .map_err(|e| WpError::Store(e.to_string()))?;
        Ok(Sent { id, url, action, note })
    }

    /// Finds the post by slug and updates it, or creates it. A create that may have reached
    /// WordPress before the connection failed is not blindly repeated: the next attempt looks
    /// for the post first, so a flaky network never makes duplicates.
    async fn create_or_adopt(
        &self,
        client: &Client,
        d: &Desired,
        body: &Value,
        note: &mut Option<String>,
        action: &mut Action,
    ) -> Result<Value, WpError> {
        let mut attempt = 0;
        loop {
            let found = client
                .request(
                    Method::GET,
                    "/wp/v2/posts",
                    &[
                        ("slug", d.slug.clone()),
                        ("status", "any".into()),
                        ("context", "edit".into()),
                        ("_fields", "id,slug,link,status".into()),
                    ],
                    Body::None,
                )
                .await?;
            if let Some(existing) = found
                .as_array()
                .and_then(|a| a.iter().filter_map(|p| p["id"].as_i64()).min())
            {
                *note = Some(format!(
                    "adopted the existing post {existing} with slug `{}` (the ledger did not know it)",
                    crate::slug::decode_slug(&d.slug)
                ));
                *action = Action::Update;
                return client
                    .request(Method::POST, &format!("/wp/v2/posts/{existing}"), &[], Body::Json(body))
                    .await;
            }
            match client.once(Method::POST, "/wp/v2/posts", &[], &Body::Json(body)).await {
                Ok(v) => return Ok(v),
                Err(Failure::Transient { reason, retry_after }) if attempt < client.policy.retries => {
                    client.backoff(attempt, retry_after, &reason).await;
                    attempt += 1;
                }
                Err(f) => return Err(f.into_error(client)),
            }
        }
    }

    async fn term(&self, site: usize, taxonomy: &'static str, slug: &str, name: &str) -> Result<i64, WpError> {
        let mut terms = self.terms.lock().await;
        let key = (site, taxonomy, slug.to_string());
        if let Some(id) = terms.get(&key) {
            return Ok(*id);
        }
        let client = &self.clients[site];
        let route = format!("/wp/v2/{taxonomy}");
        let mut attempt = 0;
        let id = loop {
            let found = client
                .request(
                    Method::GET,
                    &route,
                    &[
                        ("slug", slug.to_string()),
                        ("context", "edit".into()),
                        ("_fields", "id,slug".into()),
                    ],
                    Body::None,
                )
                .await?;
            if let Some(id) = found.as_array().and_then(|a| a.first()).and_then(|t| t["id"].as_i64()) {
                break id;
            }
            let body = json!({ "name": name, "slug": slug });
            match client.once(Method::POST, &route, &[], &Body::Json(&body)).await {
                Ok(v) => {
                    break v["id"]
                        .as_i64()
                        .ok_or_else(|| WpError::Unexpected(format!("a {taxonomy} term without an id")))?;
                }
                // Created meanwhile (or by the attempt whose answer was lost).
                Err(Failure::Fatal(WpError::Http { code, data, .. })) if code == "term_exists" => {
                    if let Some(id) = data["term_id"].as_i64() {
                        break id;
                    }
                }
                Err(Failure::Transient { reason, retry_after }) if attempt < client.policy.retries => {
                    client.backoff(attempt, retry_after, &reason).await;
                }
                Err(f) => return Err(f.into_error(client)),
            }
            attempt += 1;
            if attempt > client.policy.retries + 1 {
                return Err(WpError::Unexpected(format!(
                    "cannot create the {taxonomy} term `{slug}`"
                )));
            }
        };
        terms.insert(key, id);
        Ok(id)
    }

    /// The media id and URL of `img` on `site`: from the ledger, else found by its slug (which
    /// carries the content hash), else uploaded.
    async fn media(&self, site: usize, img: &item::Image, alt: Option<&str>) -> Result<(i64, String), WpError> {
        let target = &self.target.name;
        let site_url = self.target.sites[site].url.clone();
        let lock = {
            let mut locks = self.media_locks.lock().unwrap_or_else(|e| e.into_inner());
            locks.entry((site, img.hash.clone())).or_default().clone()
        };
        let _guard = lock.lock().await;
        let store_err = |e: nashr_store::StoreError| WpError::Store(e.to_string());
        if let Some(m) = self
            .store
            .media_get(target, &site_url, &img.hash)
            .await
            .map_err(store_err)?
        {
            return Ok((m.remote_id, m.remote_url));
        }
        let client = &self.clients[site];
        let (stem, ext) = img.name.rsplit_once('.').unwrap_or((&img.name, "bin"));
        let stem = wordpress_slug(stem.rsplit('/').next().unwrap_or(stem));
        let stem = if stem.is_empty() || !stem.is_ascii() {
            "image".to_string()
        } else {
            stem
        };
        let slug = format!("{stem}-{}", &img.hash[..12]);
        let filename = format!("{slug}.{}", ext.to_ascii_lowercase());
        let mut attempt = 0;
        let media = loop {
            let found = client
                .request(
                    Method::GET,
                    "/wp/v2/media",
                    &[
                        ("slug", slug.clone()),
                        ("context", "edit".into()),
                        ("_fields", "id,source_url".into()),
                    ],
                    Body::None,
                )
                .await?;
            if let Some(m) = found.as_array().and_then(|a| a.first()) {
                break m.clone();
            }
            let mut query = vec![("slug", slug.clone()), ("title", stem.clone())];
            if let Some(alt) = alt {
                query.push(("alt_text", alt.to_string()));
            }
            let body = Body::File {
                bytes: img.bytes.clone(),
                mime: img.mime,
                filename: &filename,
            };
            match client.once(Method::POST, "/wp/v2/media", &query, &body).await {
                Ok(v) => break v,
                Err(Failure::Transient { reason, retry_after }) if attempt < client.policy.retries => {
                    client.backoff(attempt, retry_after, &reason).await;
                    attempt += 1;
                }
                Err(Failure::Fatal(WpError::Http { code, message, .. })) if code.starts_with("rest_upload") => {
                    return Err(WpError::Unexpected(format!(
                        "WordPress refused the image {} ({}): {message}. Sites that do not accept SVG need a plugin such as Safe SVG, or use PNG or JPEG images",
                        img.name, img.mime
                    )));
                }
                Err(f) => return Err(f.into_error(client)),
            }
        };
        let id = media["id"]
            .as_i64()
            .ok_or_else(|| WpError::Unexpected("a media item without an id".into()))?;
        let url = media["source_url"].as_str().unwrap_or_default().to_string();
        self.store
            .media_put(&MediaEntry {
                target: target.clone(),
                site: site_url,
                hash: img.hash.clone(),
                remote_id: id,
                remote_url: url.clone(),
            })
            .await
            .map_err(store_err)?;
        Ok((id, url))
    }
}

/// What went wrong talking to WordPress, said so the editor knows what to do.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WpError {
    #[error("{0}")]
    Auth(String),
    #[error("WordPress answered {status} ({code}): {message}")]
    Http {
        status: u16,
        code: String,
        message: String,
        data: Value,
    },
    #[error("{0}")]
    Transport(String),
    #[error("{0}")]
    Unexpected(String),
    #[error("the publish ledger: {0}")]
    Store(String),
}

enum Failure {
    Transient {
        reason: String,
        retry_after: Option<Duration>,
    },
    Fatal(WpError),
}

impl Failure {
    fn into_error(self, client: &Client) -> WpError {
        match self {
            Failure::Transient { reason, .. } => WpError::Transport(format!(
                "{} did not answer properly after {} attempts: {reason}; run `nashr publish` again to resume",
                client.site,
                client.policy.retries + 1
            )),
            Failure::Fatal(e) => e,
        }
    }
}

enum Body<'a> {
    None,
    Json(&'a Value),
    File {
        bytes: Arc<Vec<u8>>,
        mime: &'static str,
        filename: &'a str,
    },
}

/// A REST client for one site. It holds the password and never prints it (no `Debug`).
struct Client {
    http: reqwest::Client,
    site: String,
    user: String,
    password: String,
    password_env: String,
    policy: RetryPolicy,
    stats: Arc<Stats>,
}

impl Client {
    fn new(site: &Site, timeout: Duration, policy: RetryPolicy, stats: Arc<Stats>) -> Result<Client, Error> {
        // Read now, checked only when something must be sent: an unchanged project needs no
        // password.
        let password = std::env::var(&site.password_env).unwrap_or_default();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("nashr/", env!("CARGO_PKG_VERSION")))
            // A redirect would turn a POST into a GET; say where the site really is instead.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Environment(format!("cannot set up HTTP: {e}")))?;
        Ok(Client {
            http,
            site: site.url.clone(),
            user: site.user.clone(),
            password,
            password_env: site.password_env.clone(),
            policy,
            stats,
        })
    }

    fn check_password(&self) -> Result<(), Error> {
        if self.password.trim().is_empty() {
            return Err(nashr_content::Error::MissingSecret {
                var: self.password_env.clone(),
                secret: nashr_content::Secret::WordPressPassword {
                    site: self.site.clone(),
                    user: self.user.clone(),
                },
            }
            .into());
        }
        Ok(())
    }

    async fn backoff(&self, attempt: u32, retry_after: Option<Duration>, reason: &str) {
        let wait = self.policy.wait(attempt, retry_after);
        tracing::debug!("{}: {reason}; retrying in {wait:?}", self.site);
        self.stats.retries.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(wait).await;
    }

    /// An idempotent request (GET, or an update with the same body), retried on transient
    /// failures.
    async fn request(
        &self,
        method: Method,
        route: &str,
        query: &[(&str, String)],
        body: Body<'_>,
    ) -> Result<Value, WpError> {
        let mut attempt = 0;
        loop {
            match self.once(method.clone(), route, query, &body).await {
                Ok(v) => return Ok(v),
                Err(Failure::Transient { reason, retry_after }) if attempt < self.policy.retries => {
                    self.backoff(attempt, retry_after, &reason).await;
                    attempt += 1;
                }
                Err(f) => return Err(f.into_error(self)),
            }
        }
    }

    /// One request, no retry.
    async fn once(
        &self,
        method: Method,
        route: &str,
        query: &[(&str, String)],
        body: &Body<'_>,
    ) -> Result<Value, Failure> {
        self.stats.requests.fetch_add(1, Ordering::SeqCst);
        if method != Method::GET {
            self.stats.writes.fetch_add(1, Ordering::SeqCst);
        }
        // `?rest_route=` works whether or not the site has pretty permalinks.
        let mut req = self
            .http
            .request(method, &self.site)
            .query(&[("rest_route", route)])
            .query(query)
            .basic_auth(&self.user, Some(&self.password));
        req = match body {
            Body::None => req,
            Body::Json(v) => req.json(v),
            Body::File { bytes, mime, filename } => req
                .header(reqwest::header::CONTENT_TYPE, *mime)
                .header(
                    reqwest::header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{filename}\""),
                )
                .body(bytes.to_vec()),
        };
        let response = req.send().await.map_err(|e| Failure::Transient {
            reason: describe(&e),
            retry_after: None,
        })?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, jiff::Timestamp::now()));
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(|l| l.split('?').next().unwrap_or(l).to_string());
        let text = response.text().await.map_err(|e| Failure::Transient {
            reason: describe(&e),
            retry_after: None,
        })?;
        if (300..400).contains(&status) {
            return Err(Failure::Fatal(WpError::Unexpected(format!(
                "{} redirects to {} ({status}): write the address it redirects to as the site's URL in nashr.toml",
                self.site,
                location.as_deref().unwrap_or("another address")
            ))));
        }
        let json: Result<Value, _> = serde_json::from_str(&text);
        // WordPress reports a refused upload (a file type it does not allow) as a 500 with its
        // own error code: that is an answer, not an accident. Other upload 500s are retried
        // (two first uploads of a month race to create its folder: "Unable to create directory").
        let permanent = json.as_ref().ok().is_some_and(|j| {
            j["code"].as_str().is_some_and(|c| c.starts_with("rest_upload"))
                && j["message"].as_str().is_some_and(|m| m.contains("file type"))
        });
        if is_transient(status) && !permanent {
            return Err(Failure::Transient {
                reason: format!("HTTP {status}"),
                retry_after,
            });
        }
        if (200..300).contains(&status) {
            return json.map_err(|_| {
                Failure::Fatal(WpError::Unexpected(format!(
                    "{} answered {route} with something that is not JSON (is it a WordPress site? is the REST API enabled?): {}",
                    self.site,
                    snippet(&text)
                )))
            });
        }
        let json = json.unwrap_or(Value::Null);
        let code = json["code"].as_str().unwrap_or("").to_string();
        let message = json["message"].as_str().map_or_else(|| snippet(&text), str::to_string);
        Err(Failure::Fatal(match status {
            401 => WpError::Auth(format!(
                "WordPress at {} refused the login of `{}` (401 {code}: {message}). Check the application password in the environment variable {} (WordPress → Users → Profile → Application Passwords) and the user name in nashr.toml",
                self.site, self.user, self.password_env
            )),
            403 => WpError::Auth(format!(
                "WordPress at {} does not let `{}` do this (403 {code}: {message}); the user needs a role that may publish posts and upload files, such as Editor",
                self.site, self.user
            )),
            404 if code == "rest_no_route" || code.is_empty() => WpError::Unexpected(format!(
                "{} has no WordPress REST API route {route} (404): is the URL in nashr.toml the WordPress site's address?",
                self.site
            )),
            _ => WpError::Http {
                status,
                code,
                message,
                data: json["data"].clone(),
            },
        }))
    }
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        // The error chain (the URL carries no credentials: they go in a header).
        let mut s = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(inner) = source {
            s.push_str(": ");
            s.push_str(&inner.to_string());
            source = inner.source();
        }
        s
    }
}

fn snippet(text: &str) -> String {
    let t: String = text.chars().take(160).collect();
    t.replace('\n', " ")
}
