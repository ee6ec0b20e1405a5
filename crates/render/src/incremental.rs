//! Incremental builds: re-render only what an edit affects.
//!
//! A full [`build`](crate::build) with [`BuildOptions::state`](crate::BuildOptions) set
//! records, in `.nashr/build-state.json`:
//!
//! - a fingerprint of the *global* inputs: `nashr.toml`, the UI Fluent files of every locale
//!   (`locales/<lang>/*.ftl`), the lock files when a locale shows fallback text for stale
//!   translations, the output directory and the nashr version. Any change → a full build.
//! - per template, a fingerprint of its text and of everything it extends or includes;
//! - per article: the size and modification time of each of its inputs (`index.md`, every
//!   file in its directory, `locales/<lang>/articles/<slug>.ftl` of every locale), whether it
//!   is live (and when a scheduled one goes live), the articles it links to, the files it
//!   produced, and its *cards* (what index, tag and feed pages show of it);
//! - per listing page (index, tag, tag list, feed, root, sitemap): a fingerprint of everything
//!   it shows.
//!
//! [`plan`] compares the inputs with the state, reading no file but the state: only
//! directory listings and `stat`s. It answers *nothing to do* (the build writes nothing),
//! *full build* (and why), or the articles to render again: the ones whose inputs changed,
//! those linking to an article that appeared, disappeared or went live, and the newest few
//! the feeds carry in full. [`build_changed`] renders those articles (a project loaded with
//! [`Project::load_only`](nashr_content::Project::load_only)), takes every other article's
//! cards from the state, and renders only the listing pages whose fingerprint changed. The
//! result is byte for byte the site a full build makes (the tests compare them).
//!
//! A file modified within the last 100 ms before the state is written is recorded
//! without its time, so it is looked at again by the next build: a second edit in the same
//! clock tick, with the same size, is not missed (git's "racy clean" problem).

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use nashr_content::{Config, Error, Project};
use serde::{Deserialize, Serialize};

use crate::site::{ArticleView, SiteDone, SiteRenderer};
use crate::{BuildOptions, BuildReport, DiskSink, Progress};

/// Where `nashr build` keeps the state, relative to the project root.
pub const STATE_FILE: &str = ".nashr/build-state.json";

/// Bumped when the state's shape or meaning changes; an older state means a full build.
const FORMAT: u32 = 1;

/// Files modified this shortly before the state is written are recorded without their time
/// (see the module documentation). Kernel file times advance in ticks of at most 10 ms.
const RACY_WINDOW: Duration = Duration::from_millis(100);

/// `(path relative to the project root, size, modification time in ns since the epoch)`.
type Stamp = (String, u64, u64);

#[derive(Serialize, Deserialize, Default)]
pub struct State {
    format: u32,
    nashr: String,
    out_dir: PathBuf,
    global: u64,
    templates: BTreeMap<String, u64>,
    static_files: Vec<Stamp>,
    articles: BTreeMap<String, ArticleState>,
    listings: BTreeMap<String, u64>,
}

#[derive(Serialize, Deserialize, Default, Clone)]
struct ArticleState {
    stamps: Vec<Stamp>,
    live: bool,
    /// When an article that is not live yet goes live (`publish_at`, RFC 3339).
    live_from: Option<String>,
    links: Vec<String>,
    views: BTreeMap<String, ArticleView>,
    outputs: Vec<String>,
}

/// What the next build has to do.
pub enum Plan {
    /// Nothing changed since the last build: nothing to render or write. `articles` is the
    /// number of live articles.
    Nothing { articles: usize },
    /// A full build, and why.
    Full(String),
    /// Render these articles again (load them with `Project::load_only`), and the listing
    /// pages whose inputs changed.
    Changed {
        articles: BTreeSet<String>,
        state: Box<State>,
    },
}

/// Removes the state (before a build that may fail).
pub fn forget(state: &Path) {
    let _ = std::fs::remove_file(state);
}

impl State {
    pub fn load(path: &Path) -> Option<State> {
        let text = std::fs::read(path).ok()?;
        serde_json::from_slice(&text).ok()
    }

    pub fn save(&self, path: &Path) -> Result<(), Error> {
        let json = serde_json::to_vec(self).map_err(|e| Error::Environment(format!("build state: {e}")))?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        nashr_content::fs::write_if_changed(path, &json).map_err(|e| Error::io(path, e))?;
        Ok(())
    }
}

fn stamp(root: &Path, path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as u64);
    Some((nashr_content::fs::relative_slash(path, root), meta.len(), mtime))
}

/// The inputs of article `slug`: every file in its directory and its catalog in every locale.
fn article_stamps(root: &Path, config: &Config, dir: &Path, slug: &str) -> Vec<Stamp> {
    let mut stamps: Vec<Stamp> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| stamp(root, &e.path()))
        .collect();
    stamps.sort();
    let locales = root.join(&config.build.locales_dir);
    for lang in &config.site.locales {
        let path = locales.join(lang).join("articles").join(format!("{slug}.ftl"));
        stamps.push(stamp(root, &path).unwrap_or_else(|| (nashr_content::fs::relative_slash(&path, root), 0, 0)));
    }
    stamps
}

/// The global inputs: a change in any of them means a full build.
fn global_fingerprint(root: &Path, config: &Config, out_dir: &Path) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    env!("CARGO_PKG_VERSION").hash(&mut h);
    out_dir.hash(&mut h);
    std::fs::read(root.join(nashr_content::config::CONFIG_FILE))
        .ok()
        .hash(&mut h);
    let locales = root.join(&config.build.locales_dir);
    let stale_fallback = config
        .locale
        .values()
        .any(|c| c.stale == nashr_content::StaleMode::Fallback);
    for lang in &config.site.locales {
        let dir = locales.join(lang);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().is_some_and(|e| e == "ftl")
                    || (stale_fallback && p.file_name().is_some_and(|n| n == "nashr-l10n.lock"))
            })
            .collect();
        files.sort();
        for f in files {
            stamp(root, &f).hash(&mut h);
        }
    }
    h.finish()
}

fn static_stamps(root: &Path, config: &Config) -> Vec<Stamp> {
    let dir = root.join(&config.build.static_dir);
    nashr_content::fs::walk_files(&dir)
        .unwrap_or_default()
        .iter()
        .filter_map(|p| stamp(root, p))
        .collect()
}

fn empty_project(root: &Path, config: &Config) -> Project {
    Project {
        root: root.to_path_buf(),
        config: config.clone(),
        articles: Vec::new(),
    }
}

/// Decides what the next build into `options.out_dir` has to do, from the state file and the
/// inputs' sizes and times.
pub fn plan(root: &Path, config: &Config, options: &BuildOptions) -> Result<Plan, Error> {
    let Some(state_path) = &options.state else {
        return Ok(Plan::Full("no incremental state is kept".into()));
    };
    let Some(state) = State::load(state_path) else {
        return Ok(Plan::Full("no earlier build to start from".into()));
    };
    if state.format != FORMAT || state.nashr != env!("CARGO_PKG_VERSION") {
        return Ok(Plan::Full(
            "the earlier build was made by another version of nashr".into(),
        ));
    }
    if state.out_dir != options.out_dir || !options.out_dir.join(crate::MANIFEST).is_file() {
        return Ok(Plan::Full(
            "the output directory is not the one of the earlier build".into(),
        ));
    }
    if state.global != global_fingerprint(root, config, &options.out_dir) {
        return Ok(Plan::Full(
            "nashr.toml or a UI translation file changed since the earlier build".into(),
        ));
    }
    let templates = crate::templates::fingerprints(&empty_project(root, config))?;
    let article_templates = ["article.html"];
    if article_templates
        .iter()
        .any(|t| templates.get(*t) != state.templates.get(*t))
    {
        return Ok(Plan::Full("the article template changed".into()));
    }

    // Which articles changed: added, removed, edited, or live since.
    let now = options.render.now;
    let dirs = nashr_content::article_dirs(root, config)?;
    let mut changed = BTreeSet::new();
    let mut on_disk = BTreeSet::new();
    for dir in &dirs {
        if !dir.join("index.md").is_file() {
            continue;
        }
        let slug = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stamps = article_stamps(root, config, dir, &slug);
        let unchanged = state.articles.get(&slug).is_some_and(|a| {
            let goes_live = a
                .live_from
                .as_deref()
                .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                .is_some_and(|t| t <= now);
            a.stamps == stamps && !goes_live
        });
        if !unchanged {
            changed.insert(slug.clone());
        }
        on_disk.insert(slug);
    }
    let removed: BTreeSet<String> = state
        .articles
        .keys()
        .filter(|s| !on_disk.contains(*s))
        .cloned()
        .collect();
    let templates_changed = templates != state.templates;
    let static_changed = static_stamps(root, config) != state.static_files;
    if changed.is_empty() && removed.is_empty() && !templates_changed && !static_changed {
        return Ok(Plan::Nothing {
            articles: state.articles.values().filter(|a| a.live).count(),
        });
    }

    // Articles whose links may change: they link to an article that came, went, or changed
    // (it may have become a draft or gone live).
    let moved: BTreeSet<&String> = changed.iter().chain(&removed).collect();
    let mut articles: BTreeSet<String> = changed.clone();
    for (slug, a) in &state.articles {
        if on_disk.contains(slug) && a.links.iter().any(|l| moved.contains(l)) {
            articles.insert(slug.clone());
        }
    }
    // The feeds carry the newest articles in full: render them again (their pages are
    // unchanged and not rewritten) so the feeds have their bodies.
    let feed = config.site.feed_entries + moved.len();
    let mut live: Vec<(&String, &String)> = state
        .articles
        .iter()
        .filter(|(s, a)| a.live && on_disk.contains(*s))
        .filter_map(|(s, a)| a.views.values().next().map(|v| (&v.date, s)))
        .collect();
    live.sort_by(|a, b| b.0.cmp(a.0).then(a.1.cmp(b.1)));
    articles.extend(live.iter().take(feed).map(|(_, s)| (*s).clone()));
    Ok(Plan::Changed {
        articles,
        state: Box::new(state),
    })
}

/// Renders the articles of `project` (loaded with `Project::load_only` from the plan's
/// articles) and the listing pages whose inputs changed, into `options.out_dir`; takes every
/// other article from `state`. Writes the new state.
pub fn build_changed(
    project: &Project,
    l10n: &std::sync::Arc<nashr_l10n::Localizer>,
    options: &BuildOptions,
    state: &State,
    progress: &Progress<'_>,
) -> Result<BuildReport, Error> {
    let renderer = SiteRenderer::new(project, l10n.clone(), options.render.now, options.render.marks)?;
    let loaded: BTreeSet<&str> = project.articles.iter().map(|a| a.slug.as_str()).collect();
    let dirs = nashr_content::article_dirs(&project.root, &project.config)?;
    let on_disk: BTreeSet<String> = dirs
        .iter()
        .filter(|d| d.join("index.md").is_file())
        .filter_map(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    // Live articles: the loaded ones as they are now, the others as the state has them.
    let mut live: BTreeSet<String> = renderer.live_articles().iter().map(|a| a.slug.clone()).collect();
    let mut prior_cards = BTreeMap::new();
    let mut prior_outputs = BTreeSet::new();
    for (slug, a) in &state.articles {
        if loaded.contains(slug.as_str()) || !on_disk.contains(slug) {
            continue;
        }
        if a.live {
            live.insert(slug.clone());
            prior_cards.insert(slug.clone(), a.views.clone());
        }
        prior_outputs.extend(a.outputs.iter().cloned());
    }
    let scope = crate::site::Scope {
        live,
        prior_cards: &prior_cards,
        prior_listings: Some(&state.listings),
        prior_outputs,
    };
    std::fs::create_dir_all(&options.out_dir).map_err(|e| Error::io(&options.out_dir, e))?;
    let sink = DiskSink::new(&options.out_dir);
    let state_path = options.state.as_deref();
    if let Some(p) = state_path {
        forget(p);
    }
    let done = renderer.render_site(&scope, &sink, progress)?;
    let (written, unchanged) = sink.commit()?;

    // Every file the site now has: rendered now, or kept from the earlier build.
    let mut produced: BTreeSet<String> = scope.prior_outputs.clone();
    for d in done.articles.values() {
        produced.extend(d.outputs.iter().cloned());
    }
    produced.extend(done.listings.keys().cloned());
    produced.extend(done.static_files.iter().cloned());
    let produced: Vec<String> = produced.into_iter().collect();
    let removed = crate::prune(&options.out_dir, &produced)?;
    let new_state = record(project, &renderer, options, &done, Some((state, &on_disk)))?;
    let articles = new_state.articles.values().filter(|a| a.live).count();
    if let Some(p) = state_path {
        new_state.save(p)?;
    }
    Ok(BuildReport {
        written,
        unchanged,
        removed,
        articles,
        locales: project.config.site.locales.len(),
        rendered: done.rendered,
        warnings: renderer.warnings(),
        full_because: None,
    })
}

/// The state after a build: `done` for what was rendered, `prior` for the rest.
pub(crate) fn record(
    project: &Project,
    renderer: &SiteRenderer,
    options: &BuildOptions,
    done: &SiteDone,
    prior: Option<(&State, &BTreeSet<String>)>,
) -> Result<State, Error> {
    let root = &project.root;
    let config = &project.config;
    let started = SystemTime::now();
    let racy = |mut s: Stamp| {
        // Modified just now: record no time, so the next build looks again.
        let t = SystemTime::UNIX_EPOCH + Duration::from_nanos(s.2);
        if started.duration_since(t).map_or(true, |d| d < RACY_WINDOW) {
            s.2 = 0;
        }
        s
    };
    let mut articles = BTreeMap::new();
    if let Some((state, on_disk)) = prior {
        for (slug, a) in &state.articles {
            if on_disk.contains(slug) {
                articles.insert(slug.clone(), a.clone());
            }
        }
    }
    for article in &project.articles {
        let stamps = article_stamps(root, config, &article.dir, &article.slug)
            .into_iter()
            .map(racy)
            .collect();
        let live = article.is_live(options.render.now);
        let links = std::iter::once(&article.doc)
            .chain(article.translations.values())
            .flat_map(|d| nashr_content::article::references(d.body()))
            .filter_map(|r| nashr_content::article::internal_link(&r.target).map(|(s, _)| s.to_string()))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let (views, outputs) = match done.articles.get(&article.slug) {
            Some(d) => (
                d.views
                    .iter()
                    .map(|(l, v)| {
                        let mut v = v.clone();
                        v.content = String::new();
                        (l.clone(), v)
                    })
                    .collect(),
                d.outputs.clone(),
            ),
            None => Default::default(),
        };
        articles.insert(
            article.slug.clone(),
            ArticleState {
                stamps,
                live,
                live_from: if live {
                    None
                } else {
                    article.front().publish_at.map(|t| t.0.to_string())
                },
                links,
                views,
                outputs,
            },
        );
    }
    Ok(State {
        format: FORMAT,
        nashr: env!("CARGO_PKG_VERSION").to_string(),
        out_dir: options.out_dir.clone(),
        global: global_fingerprint(root, config, &options.out_dir),
        templates: renderer.templates().fingerprints().clone(),
        static_files: static_stamps(root, config).into_iter().map(racy).collect(),
        articles,
        listings: done.listings.clone(),
    })
}
