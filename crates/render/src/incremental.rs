//! Incremental builds: re-render only what an edit affects.
//!
//! A full [`build`](crate::build) with [`BuildOptions::state`](crate::BuildOptions) set
//! records its state in three files under `.nashr/`, each a small header (format, nashr
//! version, an id) and a [postcard](https://docs.rs/postcard) body:
//!
//! - `build-state.bin`, what [`plan`] reads on every build (under 300 bytes per article):
//!   - a fingerprint of the *global* inputs: `nashr.toml`, the UI Fluent files of every locale
//!     (`locales/<lang>/*.ftl`), the lock files when a locale shows fallback text for stale
//!     translations, the output directory and the nashr version. Any change → a full build.
//!   - per template, a fingerprint of its text and of everything it extends or includes;
//!   - per article: the size and modification time of each of its inputs (`index.md`, every
//!     file in its directory, `locales/<lang>/articles/<slug>.ftl` of every locale), whether it
//!     is live (and when a scheduled one goes live), its date, the articles it links to, the
//!     files it produced, and a fingerprint of its *cards* (what index, tag and feed pages show
//!     of it, bodies left out);
//!   - per listing page (index, tag, tag list, feed, root, sitemap): a fingerprint of
//!     everything it shows; the ids of the two other files.
//! - `build-cards.bin`: the cards of every live article, read only when a listing page may
//!   change (a card changed, an article came, went or went live, a listing template changed).
//! - `build-feed.bin`: the cards *with their bodies* of the `2 × feed_entries` newest articles,
//!   read only when a feed entry was rendered again: the feeds carry bodies, and this is where
//!   the entries that were not rendered again take theirs from.
//!
//! [`plan`] compares the inputs with the state, reading no file but the state: only
//! directory listings and `stat`s, in parallel. It answers *nothing to do* (the build writes
//! nothing), *full build* (and why), or the articles to render again: the ones whose inputs
//! changed, those linking to an article that appeared, disappeared or changed (it may have gone
//! live), and, rarely, a newest article whose body the feed file lacks (after removals).
//! [`build_changed`] renders those articles (a project loaded with
//! [`Project::load_only`](nashr_content::Project::load_only)), compares their cards with the
//! state's fingerprints and, when every card is as before, looks at the feeds only; otherwise
//! it loads the other articles' cards and renders the listing pages whose fingerprint changed.
//! The cards and feed files are rewritten only when what they hold changed, the output
//! manifest only when the set of output files changed. The result is byte for byte the site a
//! full build makes (the tests compare them).
//!
//! A file modified within the last 100 ms before the state is written is recorded
//! without its time, so it is looked at again by the next build: a second edit in the same
//! clock tick, with the same size, is not missed (git's "racy clean" problem).
//!
//! The state describes the output directory: it is removed just before a build changes that
//! directory and written after it succeeded. A build that fails while rendering changes
//! nothing (the sink stages files until the commit), so the state stays valid. A missing,
//! corrupt or older state means a full build.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::hash::{Hash, Hasher};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use nashr_content::fs::size_time;
use nashr_content::{Config, Error, Project};
use rayon::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::site::{ArticleDone, ArticleView, Cards, SiteDone, SiteRenderer, kept_bodies};
use crate::{BuildOptions, BuildReport, DiskSink, Progress};

/// Where `nashr build` keeps the state, relative to the project root. The cards and feed files
/// are next to it.
pub const STATE_FILE: &str = ".nashr/build-state.bin";
/// Every live article's cards, next to the state.
pub const CARDS_FILE: &str = ".nashr/build-cards.bin";
/// The newest articles' cards with their bodies, next to the state.
pub const FEED_FILE: &str = ".nashr/build-feed.bin";
/// The JSON state of earlier versions, removed when the new one is written.
const OLD_STATE_FILE: &str = ".nashr/build-state.json";

/// Bumped when the state's shape or meaning changes; an older state means a full build.
const FORMAT: u32 = 2;
const MAGIC: &[u8; 8] = b"nashr-st";

/// Files modified this shortly before the state is written are recorded without their time
/// (see the module documentation). Kernel file times advance in ticks of at most 10 ms.
const RACY_WINDOW: Duration = Duration::from_millis(100);

/// `(path relative to the project root, size, modification time in ns since the epoch)`.
type Stamp = (String, u64, u64);

/// What each file starts with: a file of another kind, format or nashr is not read further.
#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Header {
    format: u32,
    nashr: String,
    kind: u8,
    /// The state names the cards and feed files it goes with by their ids.
    id: u64,
}

const KIND_STATE: u8 = 1;
const KIND_CARDS: u8 = 2;
const KIND_FEED: u8 = 3;

#[derive(Serialize, Deserialize, Default, PartialEq, Debug)]
pub struct State {
    out_dir: String,
    global: u64,
    templates: BTreeMap<String, u64>,
    static_files: Vec<Stamp>,
    /// Files of `static/` copied to the site (relative to the site root).
    static_outputs: Vec<String>,
    articles: BTreeMap<String, ArticleState>,
    listings: BTreeMap<String, u64>,
    /// Id of the cards file.
    cards: u64,
    /// Id of the feed file, and the articles whose bodies it holds.
    feed: u64,
    feed_held: BTreeSet<String>,
}

#[derive(Serialize, Deserialize, Default, Clone, PartialEq, Debug)]
struct ArticleState {
    stamps: Vec<Stamp>,
    live: bool,
    /// When an article that is not live yet goes live (`publish_at`, RFC 3339).
    live_from: Option<String>,
    /// ISO date: the order of listings and feeds.
    date: String,
    links: Vec<String>,
    outputs: Vec<String>,
    /// Size and time of its directory: while they hold, no file came or went in it, and
    /// [`plan`] `stat`s the files it knows instead of listing the directory.
    dir: (u64, u64),
    /// Fingerprint of its cards (every locale, bodies left out); 0 when it is not live.
    card: u64,
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
        /// Articles of the earlier build whose directory is gone.
        removed: BTreeSet<String>,
        /// Every article on disk (a directory with an `index.md`), sorted: for
        /// `Project::load_only_among`.
        slugs: Vec<String>,
    },
}

/// Removes the state (before a build that may fail).
pub fn forget(state: &Path) {
    let _ = std::fs::remove_file(state);
}

/// The file next to the state named as `name` (one of the constants above) is.
fn side_file(state: &Path, name: &str) -> PathBuf {
    state.with_file_name(Path::new(name).file_name().unwrap_or_default())
}

/// A unique enough id for a newly written cards or feed file.
fn new_id() -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    SystemTime::now().hash(&mut h);
    std::process::id().hash(&mut h);
    h.finish()
}

fn encode<T: Serialize>(kind: u8, id: u64, value: &T) -> Result<Vec<u8>, Error> {
    let header = Header {
        format: FORMAT,
        nashr: env!("CARGO_PKG_VERSION").to_string(),
        kind,
        id,
    };
    let fail = |e: postcard::Error| Error::from(nashr_content::BuildStateError::Encode(e.to_string()));
    let mut bytes = MAGIC.to_vec();
    bytes.extend(postcard::to_allocvec(&header).map_err(fail)?);
    bytes.extend(postcard::to_allocvec(value).map_err(fail)?);
    Ok(bytes)
}

/// The header of `bytes` when it is one of ours (of any format), and what follows it.
fn header(bytes: &[u8]) -> Option<(Header, &[u8])> {
    let rest = bytes.strip_prefix(MAGIC)?;
    postcard::take_from_bytes::<Header>(rest).ok()
}

fn current(h: &Header, kind: u8) -> bool {
    h.format == FORMAT && h.nashr == env!("CARGO_PKG_VERSION") && h.kind == kind
}

/// The body of a file of `kind` with id `id`; `None` when it is missing, another one, or
/// corrupt.
fn decode<T: DeserializeOwned>(bytes: &[u8], kind: u8, id: u64) -> Option<T> {
    let (h, rest) = header(bytes)?;
    if !current(&h, kind) || h.id != id {
        return None;
    }
    postcard::from_bytes(rest).ok()
}

/// The id of the file at `path` when it is a current file of `kind`, reading only its start.
fn file_id(path: &Path, kind: u8) -> Option<u64> {
    let mut start = Vec::with_capacity(128);
    std::fs::File::open(path).ok()?.take(128).read_to_end(&mut start).ok()?;
    header(&start).filter(|(h, _)| current(h, kind)).map(|(h, _)| h.id)
}

/// Writes `bytes` to `path` atomically (a temporary file renamed into place). Never compared
/// with what is there: a new cards or feed file has a new id anyway, and reading 12 MB to
/// compare would cost more than writing them.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write as _;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io(dir, e))?;
    tmp.write_all(bytes).map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

/// Why the state at `path` cannot be used, or the state.
fn load(path: &Path) -> Result<State, &'static str> {
    let bytes = std::fs::read(path).map_err(|_| "no earlier build to start from")?;
    let (h, rest) = header(&bytes).ok_or("the state of the earlier build cannot be read")?;
    if !current(&h, KIND_STATE) {
        return Err("the earlier build was made by another version of nashr");
    }
    let state: State = postcard::from_bytes(rest).map_err(|_| "the state of the earlier build cannot be read")?;
    let side_ok = |name, kind, id| file_id(&side_file(path, name), kind) == Some(id);
    if !side_ok(CARDS_FILE, KIND_CARDS, state.cards) || !side_ok(FEED_FILE, KIND_FEED, state.feed) {
        return Err("the cards of the earlier build are missing");
    }
    Ok(state)
}

impl State {
    /// The state at `path`, when it is a current, readable one whose cards and feed files are
    /// there.
    pub fn load(path: &Path) -> Option<State> {
        load(path).ok()
    }

    /// Writes the state (after the cards and feed files it names).
    pub fn save(&self, path: &Path) -> Result<(), Error> {
        write_file(path, &encode(KIND_STATE, 0, self)?)?;
        let _ = std::fs::remove_file(side_file(path, OLD_STATE_FILE));
        Ok(())
    }

    /// Live articles.
    fn live_count(&self) -> usize {
        self.articles.values().filter(|a| a.live).count()
    }
}

fn stamp(root: &Path, path: &Path) -> Option<Stamp> {
    let (size, mtime) = size_time(&std::fs::metadata(path).ok()?);
    Some((nashr_content::fs::relative_slash(path, root), size, mtime))
}

/// The files of article directory `dir` (names, sizes, times; sorted), and whether it has an
/// `index.md` (a directory without one is not an article).
fn dir_stamps(dir: &Path) -> (bool, Vec<Stamp>) {
    let entries = nashr_content::fs::list_dir(dir).unwrap_or_default();
    let has_index = entries
        .iter()
        .any(|(name, meta)| name == "index.md" && meta.as_ref().is_some_and(std::fs::Metadata::is_file));
    (has_index, nashr_content::fs::listing(&entries))
}

/// [`dir_stamps`] when the directory still has the files of `known` (its time did not change):
/// a `stat` per file, no listing. `None` when one of them is gone.
fn known_stamps(dir: &Path, known: &[Stamp]) -> Option<(bool, Vec<Stamp>)> {
    let mut has_index = false;
    let mut stamps = Vec::with_capacity(known.len());
    for (name, ..) in known {
        let meta = std::fs::metadata(dir.join(name)).ok()?;
        has_index |= name == "index.md" && meta.is_file();
        let (size, mtime) = size_time(&meta);
        stamps.push((name.clone(), size, mtime));
    }
    Some((has_index, stamps))
}

/// The stamp of an article's catalog in one locale (named by the locale: its place in the
/// list says whose it is); size and time 0 when there is none.
fn catalog_stamp(lang: &str, meta: Option<&std::fs::Metadata>) -> Stamp {
    let (size, mtime) = meta.map_or((0, 0), size_time);
    (lang.to_string(), size, mtime)
}

/// The stamps of article `slug`'s catalog in every locale.
fn catalog_stamps(root: &Path, config: &Config, slug: &str) -> impl Iterator<Item = Stamp> {
    let locales = root.join(&config.build.locales_dir);
    config.site.locales.iter().map(move |lang| {
        let path = locales.join(lang).join("articles").join(format!("{slug}.ftl"));
        catalog_stamp(lang, std::fs::metadata(path).ok().as_ref())
    })
}

/// Size and time of every article catalog of every locale, by locale and slug: one directory
/// listing per locale instead of a path lookup per article.
fn all_catalogs(root: &Path, config: &Config) -> Vec<std::collections::HashMap<String, std::fs::Metadata>> {
    let locales = root.join(&config.build.locales_dir);
    config
        .site
        .locales
        .iter()
        .map(|lang| {
            let entries: Vec<std::fs::DirEntry> = std::fs::read_dir(locales.join(lang).join("articles"))
                .into_iter()
                .flatten()
                .filter_map(|e| e.ok())
                .collect();
            entries
                .par_iter()
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    let slug = name.strip_suffix(".ftl")?.to_string();
                    Some((slug, nashr_content::fs::entry_meta(e)?))
                })
                .collect()
        })
        .collect()
}

/// The global inputs: a change in any of them means a full build.
/// The fingerprint of what every page depends on: nashr's version, the output directory,
/// `nashr.toml`'s bytes and the stamps of the UI catalogs. When recording, `racy` marks what
/// was modified since the build started: such a file may have been read before its edit, so
/// the recorded fingerprint is made not to match, and the next build is a full one.
fn global_fingerprint(root: &Path, config: &Config, out_dir: &Path, racy: &dyn Fn(Stamp) -> Stamp) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    env!("CARGO_PKG_VERSION").hash(&mut h);
    out_dir.hash(&mut h);
    let config_file = root.join(nashr_content::config::CONFIG_FILE);
    std::fs::read(&config_file).ok().hash(&mut h);
    if let Some(s) = stamp(root, &config_file)
        && racy(s.clone()) != s
    {
        "modified while the build ran".hash(&mut h);
    }
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
            stamp(root, &f).map(racy).hash(&mut h);
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

/// Newest first; the slug breaks ties (as listings order them).
fn newest_first(a: &(&str, &str), b: &(&str, &str)) -> std::cmp::Ordering {
    b.0.cmp(a.0).then(a.1.cmp(b.1))
}

/// One article directory as [`plan`] finds it.
struct Seen {
    slug: String,
    /// Its inputs differ from the state's, or it goes live now.
    changed: bool,
    /// It is new, or its directory changed: its date or live status may have changed.
    may_move: bool,
}

/// Decides what the next build into `options.out_dir` has to do, from the state file and the
/// inputs' sizes and times.
pub fn plan(root: &Path, config: &Config, options: &BuildOptions) -> Result<Plan, Error> {
    let Some(state_path) = &options.state else {
        return Ok(Plan::Full("no incremental state is kept".into()));
    };
    let started = std::time::Instant::now();
    let state = match load(state_path) {
        Ok(state) => state,
        Err(why) => return Ok(Plan::Full(why.into())),
    };
    tracing::debug!(
        "plan: state of {} articles read by {:.1} ms",
        state.articles.len(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    if state.out_dir != options.out_dir.to_string_lossy() || !options.out_dir.join(crate::MANIFEST).is_file() {
        return Ok(Plan::Full(
            "the output directory is not the one of the earlier build".into(),
        ));
    }
    if state.global != global_fingerprint(root, config, &options.out_dir, &|s| s) {
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

    // Which articles changed: added, removed, edited, or live since. Thousands of directories
    // to list and files to `stat`: in parallel.
    let now = options.render.now;
    let dirs = nashr_content::article_dirs(root, config)?;
    let catalogs = config.site.locales.len();
    let catalog_metas = all_catalogs(root, config);
    let seen: Vec<Seen> = dirs
        .par_iter()
        .filter_map(|dir| {
            let slug = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let known = state.articles.get(&slug);
            let split = |s: &[Stamp]| s.len().saturating_sub(catalogs);
            let dir_now = std::fs::metadata(dir).ok().map(|m| size_time(&m));
            let (has_index, mut stamps) = match known {
                Some(a) if a.dir.1 != 0 && Some(a.dir) == dir_now => {
                    known_stamps(dir, &a.stamps[..split(&a.stamps)]).unwrap_or_else(|| dir_stamps(dir))
                }
                _ => dir_stamps(dir),
            };
            if !has_index {
                return None;
            }
            for (lang, metas) in config.site.locales.iter().zip(&catalog_metas) {
                stamps.push(catalog_stamp(lang, metas.get(&slug)));
            }
            let Some(a) = known else {
                return Some(Seen {
                    slug,
                    changed: true,
                    may_move: true,
                });
            };
            let goes_live = a
                .live_from
                .as_deref()
                .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                .is_some_and(|t| t <= now);
            // Only the article's directory (its front matter) decides whether it is live and
            // its date; its catalogs (the last stamps) hold text only.
            let dir_changed = stamps[..split(&stamps)] != a.stamps[..split(&a.stamps)];
            Some(Seen {
                changed: goes_live || a.stamps != stamps,
                may_move: goes_live || dir_changed,
                slug,
            })
        })
        .collect();
    tracing::debug!(
        "plan: {} article directories looked at by {:.1} ms",
        seen.len(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    let on_disk: HashSet<&str> = seen.iter().map(|s| s.slug.as_str()).collect();
    let removed: BTreeSet<String> = state
        .articles
        .keys()
        .filter(|s| !on_disk.contains(s.as_str()))
        .cloned()
        .collect();
    let changed: BTreeSet<String> = seen.iter().filter(|s| s.changed).map(|s| s.slug.clone()).collect();
    let templates_changed = templates != state.templates;
    let static_changed = static_stamps(root, config) != state.static_files;
    if changed.is_empty() && removed.is_empty() && !templates_changed && !static_changed {
        return Ok(Plan::Nothing {
            articles: state.live_count(),
        });
    }

    // Articles whose links may change: they link to an article that came, went, or whose
    // front matter changed (it may have become a draft or gone live). An edit of its catalogs
    // only changes its own pages.
    let moved: HashSet<&str> = seen
        .iter()
        .filter(|s| s.may_move)
        .map(|s| s.slug.as_str())
        .chain(removed.iter().map(String::as_str))
        .collect();
    let mut articles: BTreeSet<String> = changed.clone();
    for (slug, a) in &state.articles {
        if on_disk.contains(slug.as_str()) && a.links.iter().any(|l| moved.contains(l.as_str())) {
            articles.insert(slug.clone());
        }
    }
    // The feeds carry the newest articles' bodies, which the feed file holds for the newest
    // ones. The new feeds' entries are among the `feed_entries + moved` newest of the earlier
    // build (only a moved article changes its date or live status, and each frees at most one
    // place) and the changed articles: render those of them whose body the feed file lacks.
    let reach = config.site.feed_entries + moved.len();
    let mut live: Vec<(&str, &str)> = state
        .articles
        .iter()
        .filter(|(s, a)| a.live && on_disk.contains(s.as_str()))
        .map(|(s, a)| (a.date.as_str(), s.as_str()))
        .collect();
    if live.len() > reach {
        live.select_nth_unstable_by(reach, newest_first);
        live.truncate(reach);
    }
    for (_, slug) in live {
        if !state.feed_held.contains(slug) {
            articles.insert(slug.to_string());
        }
    }
    let slugs = seen.into_iter().map(|s| s.slug).collect();
    Ok(Plan::Changed {
        articles,
        state: Box::new(state),
        removed,
        slugs,
    })
}

/// The earlier build as the renderer sees it: the state, and the cards and feed files loaded
/// only when asked for.
struct Earlier<'s> {
    state: &'s State,
    path: &'s Path,
    /// Articles of the earlier build rendered again or gone: the state no longer speaks for
    /// them.
    replaced: &'s HashSet<&'s str>,
    /// `(date, slug)` of every live article of the earlier build not rendered again.
    unrendered: Vec<(String, String)>,
    /// The live articles or a listing template changed: every listing is looked at.
    listings_stale: bool,
    cards: OnceLock<Option<Cards>>,
    feed: OnceLock<Option<Cards>>,
}

impl Earlier<'_> {
    fn load_side(&self, name: &str, kind: u8, id: u64) -> Option<Cards> {
        let bytes = std::fs::read(side_file(self.path, name)).ok()?;
        decode(&bytes, kind, id)
    }
}

fn unreadable() -> Error {
    nashr_content::BuildStateError::MissingArticle.into()
}

impl crate::site::Prior for Earlier<'_> {
    fn unrendered(&self) -> &[(String, String)] {
        &self.unrendered
    }

    fn listings(&self) -> &BTreeMap<String, u64> {
        &self.state.listings
    }

    fn listings_stale(&self, rendered: &BTreeMap<String, ArticleDone>) -> bool {
        self.listings_stale
            || rendered.iter().any(|(slug, d)| {
                self.state
                    .articles
                    .get(slug)
                    .is_none_or(|a| !a.live || a.card != d.card_fingerprint())
            })
    }

    fn cards(&self) -> Result<&Cards, Error> {
        self.cards
            .get_or_init(|| self.load_side(CARDS_FILE, KIND_CARDS, self.state.cards))
            .as_ref()
            .ok_or_else(unreadable)
    }

    fn feed(&self) -> Result<&Cards, Error> {
        self.feed
            .get_or_init(|| self.load_side(FEED_FILE, KIND_FEED, self.state.feed))
            .as_ref()
            .ok_or_else(unreadable)
    }

    fn produced(&self, path: &str) -> bool {
        // Article files are `<lang>/<slug>/…`.
        path.split('/').nth(1).is_some_and(|slug| {
            !self.replaced.contains(slug)
                && self
                    .state
                    .articles
                    .get(slug)
                    .is_some_and(|a| a.outputs.iter().any(|o| o == path))
        })
    }
}

/// Renders the articles of `project` (loaded with `Project::load_only` from the plan's
/// articles) and the listing pages whose inputs changed, into `options.out_dir`; takes every
/// other article from `state`. Writes the new state.
pub fn build_changed(
    project: &Project,
    l10n: &std::sync::Arc<nashr_l10n::Localizer>,
    options: &BuildOptions,
    state: State,
    removed: &BTreeSet<String>,
    progress: &Progress<'_>,
) -> Result<BuildReport, Error> {
    let started = std::time::Instant::now();
    let ms = || started.elapsed().as_secs_f64() * 1000.0;
    let now = options.render.now;
    let renderer =
        SiteRenderer::new(project, l10n.clone(), now, options.render.marks)?.with_check(options.check.clone());
    let replaced: HashSet<&str> = project
        .articles
        .iter()
        .map(|a| a.slug.as_str())
        .chain(removed.iter().map(String::as_str))
        .collect();
    // Live articles: the loaded ones as they are now, the others as the state has them.
    let mut live: BTreeSet<String> = renderer.live_articles().iter().map(|a| a.slug.clone()).collect();
    let mut unrendered = Vec::new();
    for (slug, a) in &state.articles {
        if a.live && !replaced.contains(slug.as_str()) {
            live.insert(slug.clone());
            unrendered.push((a.date.clone(), slug.clone()));
        }
    }
    let was_live = |slug: &str| state.articles.get(slug).is_some_and(|a| a.live);
    let live_changed =
        removed.iter().any(|s| was_live(s)) || project.articles.iter().any(|a| a.is_live(now) != was_live(&a.slug));
    let templates_changed = renderer.templates().fingerprints() != &state.templates;
    let state_path = options.state.clone().unwrap_or_else(|| PathBuf::from(STATE_FILE));
    let earlier = Earlier {
        state: &state,
        path: &state_path,
        replaced: &replaced,
        unrendered,
        listings_stale: live_changed || templates_changed,
        cards: OnceLock::new(),
        feed: OnceLock::new(),
    };
    let scope = crate::site::Scope { live, prior: &earlier };
    std::fs::create_dir_all(&options.out_dir).map_err(|e| Error::io(&options.out_dir, e))?;
    let sink = DiskSink::new(&options.out_dir);
    let done = renderer.render_site(&scope, &sink, progress)?;
    // Rendering failed → nothing was written and the state still holds. From here on the
    // output changes: the state must not outlive a failure.
    if let Some(p) = &options.state {
        forget(p);
    }
    let (written, unchanged) = sink.commit()?;
    tracing::debug!(
        "build_changed: {} pages rendered, written by {:.1} ms",
        done.rendered,
        ms()
    );

    // The manifest and pruning only when the set of output files changed.
    let no_outputs: &[String] = &[];
    let outputs_changed = removed
        .iter()
        .any(|s| state.articles.get(s).is_some_and(|a| !a.outputs.is_empty()))
        || project.articles.iter().any(|a| {
            let now = done.articles.get(&a.slug).map_or(no_outputs, |d| &d.outputs);
            let before = state.articles.get(&a.slug).map_or(no_outputs, |s| &s.outputs);
            now != before
        })
        || !done.listings.keys().eq(state.listings.keys())
        || done.static_files != state.static_outputs;
    let removed_files = if outputs_changed {
        // Every file the site now has: rendered now, or kept from the earlier build.
        let mut produced: BTreeSet<String> = BTreeSet::new();
        for (slug, a) in &state.articles {
            if !replaced.contains(slug.as_str()) {
                produced.extend(a.outputs.iter().cloned());
            }
        }
        for d in done.articles.values() {
            produced.extend(d.outputs.iter().cloned());
        }
        produced.extend(done.listings.keys().cloned());
        produced.extend(done.static_files.iter().cloned());
        let produced: Vec<String> = produced.into_iter().collect();
        crate::prune(&options.out_dir, &produced)?
    } else {
        Vec::new()
    };

    let Earlier { cards, feed, .. } = earlier;
    let (cards, feed) = (cards.into_inner().flatten(), feed.into_inner().flatten());
    let card_changed = done.articles.iter().any(|(slug, d)| {
        state
            .articles
            .get(slug)
            .is_none_or(|a| !a.live || a.card != d.card_fingerprint())
    });
    let mut new_state = record(project, &renderer, options, &done, Some((state, removed)))?;
    let articles = new_state.live_count();
    if let Some(p) = &options.state {
        tracing::debug!(
            "build_changed: pruned ({outputs_changed}), state recorded by {:.1} ms",
            ms()
        );
        if live_changed || card_changed {
            // A card changed, so every listing was looked at, and the cards file was read
            // unless every live article was rendered now.
            let mut cards = cards.unwrap_or_default();
            for slug in &replaced {
                cards.remove(*slug);
            }
            for (slug, d) in &done.articles {
                cards.insert(slug.clone(), d.views.clone());
            }
            new_state.cards = new_id();
            write_file(&side_file(p, CARDS_FILE), &encode(KIND_CARDS, new_state.cards, &cards)?)?;
        }
        let held = feed_held(project, &done);
        if held != new_state.feed_held || done.articles.keys().any(|s| held.contains(s)) {
            let old = match feed {
                Some(f) => f,
                None => earlier_side(p, FEED_FILE, KIND_FEED, new_state.feed)?,
            };
            let feed = feed_cards(&held, &done, old.clone(), &project.config.site.locales);
            // A re-rendered entry whose card and body are as before changes nothing.
            if feed != old {
                new_state.feed_held = feed.keys().cloned().collect();
                new_state.feed = new_id();
                write_file(&side_file(p, FEED_FILE), &encode(KIND_FEED, new_state.feed, &feed)?)?;
            }
        }
        new_state.save(p)?;
        tracing::debug!("build_changed: state saved by {:.1} ms", ms());
    }
    Ok(BuildReport {
        written,
        unchanged,
        removed: removed_files,
        articles,
        locales: project.config.site.locales.len(),
        rendered: done.rendered,
        warnings: renderer.warnings(),
        full_because: None,
    })
}

fn earlier_side(state: &Path, name: &str, kind: u8, id: u64) -> Result<Cards, Error> {
    let bytes = std::fs::read(side_file(state, name)).map_err(|_| unreadable())?;
    decode(&bytes, kind, id).ok_or_else(unreadable)
}

/// The feed file's cards: the `held` articles with their bodies, rendered now or from `old`.
fn feed_cards(held: &BTreeSet<String>, done: &SiteDone, mut old: Cards, locales: &[String]) -> Cards {
    let mut feed = Cards::new();
    for slug in held {
        let views = match done.articles.get(slug) {
            Some(d) => locales
                .iter()
                .filter_map(|l| d.full_view(l).map(|v| (l.clone(), v)))
                .collect(),
            None => old.remove(slug).unwrap_or_default(),
        };
        if !views.is_empty() {
            feed.insert(slug.clone(), views);
        }
    }
    feed
}

/// After a full build: writes the state, every live article's cards, and the newest ones'
/// bodies.
pub(crate) fn save_full(
    project: &Project,
    renderer: &SiteRenderer,
    options: &BuildOptions,
    done: &SiteDone,
    path: &Path,
) -> Result<(), Error> {
    let (cards_id, feed_id) = (new_id(), new_id());
    // The cards and feed files (12 MB at 10,000 articles, encoded and written on one thread)
    // while the articles' stamps are taken on the others.
    let (state, side_files) = std::thread::scope(|scope| {
        let side_files = scope.spawn(|| -> Result<BTreeSet<String>, Error> {
            let cards: BTreeMap<&String, &BTreeMap<String, ArticleView>> =
                done.articles.iter().map(|(s, d)| (s, &d.views)).collect();
            write_file(&side_file(path, CARDS_FILE), &encode(KIND_CARDS, cards_id, &cards)?)?;
            let held = feed_held(project, done);
            let feed = feed_cards(&held, done, Cards::new(), &project.config.site.locales);
            write_file(&side_file(path, FEED_FILE), &encode(KIND_FEED, feed_id, &feed)?)?;
            Ok(feed.keys().cloned().collect())
        });
        let state = record(project, renderer, options, done, None);
        let side_files = side_files
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (state, side_files)
    });
    let mut state = state?;
    state.feed_held = side_files?;
    state.cards = cards_id;
    state.feed = feed_id;
    state.save(path)
}

/// The state after a build: `done` for what was rendered, `prior` (the earlier state and the
/// articles gone since) for the rest.
pub(crate) fn record(
    project: &Project,
    renderer: &SiteRenderer,
    options: &BuildOptions,
    done: &SiteDone,
    prior: Option<(State, &BTreeSet<String>)>,
) -> Result<State, Error> {
    let root = &project.root;
    let config = &project.config;
    // Anything modified since the build started (or within a clock tick before) may have
    // been read before the edit: record no time, so the next build looks again.
    let since = options.started.checked_sub(RACY_WINDOW).unwrap_or(options.started);
    let racy = |mut s: Stamp| {
        let t = SystemTime::UNIX_EPOCH + Duration::from_nanos(s.2);
        if t >= since {
            s.2 = 0;
        }
        s
    };
    let mut state = match prior {
        Some((mut state, removed)) => {
            for slug in removed {
                state.articles.remove(slug);
            }
            state
        }
        None => State::default(),
    };
    let recorded: Vec<(String, ArticleState)> = project
        .articles
        .par_iter()
        .map(|article| {
            // The directory and its files as loading saw them, before it read them.
            let (dir_size, dir_time, files) = &article.seen;
            let dir = racy((String::new(), *dir_size, *dir_time));
            let stamps = files
                .iter()
                .cloned()
                .chain(catalog_stamps(root, config, &article.slug))
                .map(racy)
                .collect();
            let live = article.is_live(options.render.now);
            let links = std::iter::once(&article.doc)
                .chain(article.translations.values())
                .flat_map(|d| d.references())
                .filter_map(|r| nashr_content::article::internal_link(&r.target).map(|(s, _)| s.to_string()))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let (card, outputs) = match done.articles.get(&article.slug) {
                Some(d) => (d.card_fingerprint(), d.outputs.clone()),
                None => Default::default(),
            };
            let a = ArticleState {
                stamps,
                live,
                live_from: if live {
                    None
                } else {
                    article.front().publish_at.map(|t| t.0.to_string())
                },
                date: article.front().date.0.to_string(),
                links,
                outputs,
                dir: (dir.1, dir.2),
                card,
            };
            (article.slug.clone(), a)
        })
        .collect();
    state.articles.extend(recorded);
    state.out_dir = options.out_dir.to_string_lossy().into_owned();
    state.global = global_fingerprint(root, config, &options.out_dir, &racy);
    state.templates = renderer.templates().fingerprints().clone();
    state.static_files = static_stamps(root, config).into_iter().map(racy).collect();
    state.static_outputs = done.static_files.clone();
    state.listings = done.listings.clone();
    Ok(state)
}

/// The articles whose bodies the feed file keeps: the newest ones.
fn feed_held(project: &Project, done: &SiteDone) -> BTreeSet<String> {
    done.order
        .iter()
        .take(kept_bodies(project.config.site.feed_entries))
        .map(|(_, s)| s.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_read_only_as_the_kind_and_id_it_was_written_as() {
        let value: BTreeMap<String, u64> = [("article".to_string(), 7), ("مقاله".to_string(), 8)].into();
        let bytes = encode(KIND_CARDS, 42, &value).unwrap();
        assert_eq!(decode::<BTreeMap<String, u64>>(&bytes, KIND_CARDS, 42), Some(value));
        assert_eq!(
            decode::<BTreeMap<String, u64>>(&bytes, KIND_CARDS, 43),
            None,
            "another build's"
        );
        assert_eq!(
            decode::<BTreeMap<String, u64>>(&bytes, KIND_FEED, 42),
            None,
            "another kind"
        );
        // Cut anywhere: never a panic, never a value.
        for n in 0..bytes.len() {
            assert_eq!(
                decode::<BTreeMap<String, u64>>(&bytes[..n], KIND_CARDS, 42),
                None,
                "{n}"
            );
        }
    }

    #[test]
    fn a_state_says_why_it_cannot_be_used() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(STATE_FILE);
        assert_eq!(load(&path).unwrap_err(), "no earlier build to start from");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "{\"format\":1}").unwrap();
        assert_eq!(
            load(&path).unwrap_err(),
            "the state of the earlier build cannot be read"
        );
        let mut other = MAGIC.to_vec();
        let header = Header {
            format: FORMAT,
            nashr: "0.0.1-old".into(),
            kind: KIND_STATE,
            id: 0,
        };
        other.extend(postcard::to_allocvec(&header).unwrap());
        std::fs::write(&path, &other).unwrap();
        assert_eq!(
            load(&path).unwrap_err(),
            "the earlier build was made by another version of nashr"
        );

        // A good state whose cards file is missing, then present with the right id.
        let state = State {
            cards: 5,
            feed: 6,
            ..State::default()
        };
        state.save(&path).unwrap();
        assert_eq!(load(&path).unwrap_err(), "the cards of the earlier build are missing");
        let cards = side_file(&path, CARDS_FILE);
        std::fs::write(&cards, encode(KIND_CARDS, 5, &Cards::new()).unwrap()).unwrap();
        std::fs::write(
            side_file(&path, FEED_FILE),
            encode(KIND_FEED, 6, &Cards::new()).unwrap(),
        )
        .unwrap();
        assert_eq!(load(&path).unwrap(), state);
        std::fs::write(&cards, encode(KIND_CARDS, 4, &Cards::new()).unwrap()).unwrap();
        assert_eq!(load(&path).unwrap_err(), "the cards of the earlier build are missing");
    }
}
