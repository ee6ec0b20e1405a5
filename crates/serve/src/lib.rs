//! `nashr serve`: a preview of the site for editors and translators.
//!
//! - The site is rendered in memory by `nashr_site::Preview`, through the checks and stale
//!   detection of `nashr build`, and served from memory; nothing is written to `public/`.
//! - Files under `content/`, `locales/`, `templates/`, `static/` and `nashr.toml` are watched
//!   (`notify`, debounced); a change re-renders what it can affect, reusing the rest: a
//!   `.ftl` edit reloads the translations but not the articles, a template or stylesheet edit
//!   reloads neither, a newsletter edit renders no page at all. Open pages learn about it
//!   over server-sent events (`/_nashr/events`) and reload themselves.
//! - An error in the input (a Fluent syntax error, a broken template, a bad front matter
//!   field) keeps the last good site on screen with an overlay naming the file, line and the
//!   offending line; `nashr l10n lint` errors show there too. Fixing the file clears it.
//! - `?marks=1`: translation marks (`nashr_l10n::marks`), a side panel and hover details.
//! - `/_newsletter/<issue>/<locale>`: a newsletter issue as it will be sent.
//!
//! The server binds 127.0.0.1 unless told otherwise, and answers `GET` and `HEAD` only.

mod http;
mod inject;
mod newsletter;

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use nashr_content::html::{Escape, escape};
use nashr_content::{Error, Project};
use nashr_http::axum::extract::State as Shared;
use nashr_http::axum::http::{Method, Uri, header};
use nashr_http::axum::response::IntoResponse;
use nashr_http::axum::routing::get;
use nashr_http::axum::{self, Router};
use nashr_l10n::Localizer;
use nashr_render::marks::Mark;
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::net::TcpListener;

use crate::http::{Request, Response};
use crate::inject::Injection;

/// A line for the person running the server (what changed, how long it took, warnings).
pub type Log = Arc<dyn Fn(&str) + Send + Sync>;

pub struct Options {
    /// The project directory.
    pub root: PathBuf,
    /// The address to listen on: 127.0.0.1 unless the user says otherwise.
    pub bind: IpAddr,
    /// 0 picks a free port.
    pub port: u16,
    /// How long the file system must be quiet before a rebuild.
    pub debounce: Duration,
    pub log: Log,
    /// What a client may send, and how slowly (`nashr_http`'s defaults).
    pub limits: nashr_http::Limits,
}

impl Options {
    pub fn new(root: impl Into<PathBuf>) -> Options {
        Options {
            root: root.into(),
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: DEFAULT_PORT,
            debounce: Duration::from_millis(150),
            log: Arc::new(|line| eprintln!("{line}")),
            limits: nashr_http::Limits::default(),
        }
    }
}

pub const DEFAULT_PORT: u16 = 4000;

/// A problem shown in the browser's overlay.
#[derive(Debug, Clone)]
pub struct Problem {
    /// The file, relative to the project (none for an environment error).
    pub file: Option<String>,
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// The offending line.
    pub line_text: String,
    pub label: String,
    pub help: String,
    /// Whether the site could not be rebuilt (else a lint error: the page is current).
    pub blocking: bool,
}

impl Problem {
    fn from_error(e: &Error) -> Vec<Problem> {
        match e {
            Error::Input(errors) => errors
                .iter()
                .map(|s| Problem {
                    file: Some(s.path.to_string_lossy().replace('\\', "/")),
                    line: s.line,
                    column: s.column,
                    message: s.message.clone(),
                    line_text: s.line_text().to_string(),
                    label: s.label.clone(),
                    help: s.help.clone().unwrap_or_default(),
                    blocking: true,
                })
                .collect(),
            other => vec![Problem {
                file: None,
                line: 0,
                column: 0,
                message: other.to_string(),
                line_text: String::new(),
                label: String::new(),
                help: String::new(),
                blocking: true,
            }],
        }
    }
}

/// What a change can affect.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Scope {
    config: bool,
    content: bool,
    locales: bool,
    /// Templates and static files: only the rendering.
    render: bool,
    newsletter: bool,
}

impl Scope {
    fn all() -> Scope {
        Scope {
            config: true,
            content: true,
            locales: true,
            render: true,
            newsletter: true,
        }
    }

    fn merge(self, o: Scope) -> Scope {
        Scope {
            config: self.config || o.config,
            content: self.content || o.content,
            locales: self.locales || o.locales,
            render: self.render || o.render,
            newsletter: self.newsletter || o.newsletter,
        }
    }

    fn is_empty(self) -> bool {
        self == Scope::default()
    }

    /// What a change of `rel` (relative to the project, `/`-separated) affects.
    fn of(rel: &str) -> Scope {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        // Editor droppings, and the lock file nashr itself writes while rebuilding.
        let ignored = name.starts_with('.')
            || name.starts_with('#')
            || name.ends_with('~')
            || name.ends_with(".swp")
            || name.ends_with(".swx")
            || name.ends_with(".tmp")
            || name == "4913"
            || name == nashr_check::tree::LOCK_FILE;
        let mut s = Scope::default();
        if ignored {
            return s;
        }
        // `dir` itself (created or removed) or anything in it.
        let under = |dir: &str| rel == dir || rel.strip_prefix(dir).is_some_and(|r| r.starts_with('/'));
        if rel == nashr_content::config::CONFIG_FILE {
            s.config = true;
        } else if under("content/newsletters") {
            s.newsletter = true;
        } else if under("content") {
            s.content = true;
        } else if under("locales") {
            s.locales = true;
            s.newsletter = rel.contains("/newsletters");
        } else if under("templates") || under("static") {
            s.render = true;
            s.newsletter = under("templates/email");
        }
        s
    }
}

/// The project and translations of the last good build, reused by the next one.
#[derive(Clone)]
struct Loaded {
    project: Arc<Project>,
    l10n: Arc<Localizer>,
    preview: nashr_site::Preview,
}

impl From<nashr_site::Preview> for Loaded {
    fn from(preview: nashr_site::Preview) -> Loaded {
        Loaded {
            project: preview.project().clone(),
            l10n: preview.l10n().clone(),
            preview,
        }
    }
}

/// The rendered site.
struct Site {
    files: HashMap<String, Vec<u8>>,
    marks: BTreeMap<String, Vec<Mark>>,
}

/// What the server shows now.
#[derive(Clone, Default)]
struct Snapshot {
    /// Changes whenever open pages should reload (a new site, a newsletter edit).
    site_version: u64,
    site: Option<Arc<Site>>,
    loaded: Option<Loaded>,
    problems: Vec<Problem>,
    /// The last rebuild, in milliseconds.
    build_ms: u64,
}

struct State {
    root: PathBuf,
    snapshot: RwLock<Arc<Snapshot>>,
    /// The site rendered with marks, for one site version; rendered on the first request.
    marked: Mutex<Option<(u64, Arc<Site>)>>,
    /// Bumped after every rebuild; the event streams send the new state.
    events: tokio::sync::watch::Sender<u64>,
    log: Log,
}

impl State {
    fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.read().map(|s| s.clone()).unwrap_or_default()
    }

    /// Rebuilds what `scope` affects. Returns the scope still to redo (what failed).
    fn rebuild(&self, scope: Scope, changed: &[String]) -> Scope {
        let prev = self.snapshot();
        let started = Instant::now();
        let mut next = (*prev).clone();
        let mut failed = Scope::default();
        let needs_site = scope.config || scope.content || scope.locales || scope.render || prev.site.is_none();
        if needs_site {
            match build(&self.root, prev.loaded.as_ref(), scope) {
                Ok(built) => {
                    for w in &built.warnings {
                        (self.log)(&format!("warning: {w}"));
                    }
                    next.site = Some(Arc::new(built.site));
                    next.loaded = Some(built.loaded);
                    next.site_version += 1;
                    next.problems = match built.lint {
                        Some(lint) => lint,
                        // Lint problems stay until a change to the translations clears them.
                        None => prev.problems.iter().filter(|p| !p.blocking).cloned().collect(),
                    };
                }
                Err(e) => {
                    next.problems = Problem::from_error(&e);
                    failed = scope;
                }
            }
        } else if scope.newsletter {
            next.site_version += 1;
        }
        next.build_ms = started.elapsed().as_millis() as u64;
        let what = if changed.is_empty() {
            String::new()
        } else {
            format!(" ({})", changed.join(", "))
        };
        if next.problems.iter().any(|p| p.blocking) {
            for p in &next.problems {
                let at = p.file.as_ref().map(|f| format!("{f}:{}:{}: ", p.line, p.column));
                (self.log)(&format!("error: {}{}", at.unwrap_or_default(), p.message));
            }
            (self.log)(&format!(
                "the browser shows the error; still serving the last good version{what}"
            ));
        } else {
            (self.log)(&format!("rebuilt in {} ms{what}", next.build_ms));
        }
        if let Ok(mut s) = self.snapshot.write() {
            *s = Arc::new(next);
        }
        self.events.send_modify(|v| *v += 1);
        failed
    }

    /// The state the event stream sends: the site version and the overlay.
    fn event(&self) -> String {
        let s = self.snapshot();
        serde_json::json!({
            "site_version": s.site_version,
            "overlay": inject::overlay(&s.problems),
            "problems": s.problems.len(),
            "build_ms": s.build_ms,
        })
        .to_string()
    }

    /// The site with translation marks for the current version.
    fn marked_site(&self) -> Option<Arc<Site>> {
        let snap = self.snapshot();
        if let Ok(m) = self.marked.lock()
            && let Some((v, site)) = m.as_ref()
            && *v == snap.site_version
        {
            return Some(site.clone());
        }
        let loaded = snap.loaded.as_ref()?;
        match loaded.preview.render(true) {
            Ok(rendered) => {
                let site = Arc::new(Site::from(rendered));
                if let Ok(mut m) = self.marked.lock() {
                    *m = Some((snap.site_version, site.clone()));
                }
                Some(site)
            }
            Err(e) => {
                (self.log)(&format!("error: rendering with marks: {e}"));
                None
            }
        }
    }
}

/// `/_nashr/status`: the site version, the last rebuild, the overlay's problems, and the
/// stale translations of the last good build (as `nashr build` finds them).
fn status(snap: &Snapshot) -> serde_json::Value {
    let stale: Vec<serde_json::Value> = snap
        .loaded
        .iter()
        .flat_map(|l| l.preview.stale())
        .flat_map(|(locale, messages)| {
            messages
                .iter()
                .map(move |m| serde_json::json!({ "locale": locale, "file": m.file, "id": m.id }))
        })
        .collect();
    serde_json::json!({
        "site_version": snap.site_version,
        "build_ms": snap.build_ms,
        "problems": snap.problems.iter().map(|p| serde_json::json!({
            "file": p.file, "line": p.line, "column": p.column, "message": p.message,
            "line_text": p.line_text, "blocking": p.blocking,
        })).collect::<Vec<_>>(),
        "stale": stale,
    })
}

struct Built {
    loaded: Loaded,
    site: Site,
    /// Lint errors, when the translations were checked again.
    lint: Option<Vec<Problem>>,
    warnings: Vec<String>,
}

/// Loads what `scope` says changed (reusing the rest of `prev`) and renders the site, with
/// the checks and stale detection of `nashr build` (`nashr_site`).
fn build(root: &Path, prev: Option<&Loaded>, scope: Scope) -> Result<Built, Error> {
    // Stale marks depend on the articles (their source text) as well as on the translations.
    let reload = nashr_site::Reload {
        project: scope.config || scope.content,
        translations: scope.config || scope.content || scope.locales,
    };
    let (preview, mut rendered) = nashr_site::Preview::load(root, prev.map(|p| &p.preview), reload)?;
    let lint = if reload.translations {
        Some(lint(&nashr_check::tree::project_trees(preview.project())?)?)
    } else {
        None
    };
    let warnings = std::mem::take(&mut rendered.warnings);
    Ok(Built {
        loaded: Loaded::from(preview),
        site: Site::from(rendered),
        lint,
        warnings,
    })
}

/// `nashr l10n lint` errors (warnings are for `nashr l10n lint` itself).
fn lint(trees: &[nashr_check::tree::LocaleTree]) -> Result<Vec<Problem>, Error> {
    let findings = nashr_check::lint::lint(trees)?;
    Ok(findings
        .into_iter()
        .filter(|f| matches!(f.level, nashr_check::lint::Level::Error))
        .map(|f| Problem {
            file: Some(f.path.to_string_lossy().replace('\\', "/")),
            line: f.line,
            column: f.column,
            message: format!("{} [{}]", f.message, f.code),
            line_text: f.source_line.clone(),
            label: String::new(),
            help: f.hint.clone(),
            blocking: false,
        })
        .collect())
}

impl From<nashr_site::Rendered> for Site {
    fn from(rendered: nashr_site::Rendered) -> Site {
        Site {
            files: rendered.outputs.into_iter().map(|o| (o.path, o.bytes)).collect(),
            marks: rendered.marks,
        }
    }
}

/// A running preview server; dropping it stops it.
pub struct Running {
    pub addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
    _watcher: Arc<Mutex<RecommendedWatcher>>,
}

impl Running {
    /// Serves until the process ends.
    pub fn wait(self) {
        loop {
            std::thread::park();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// Builds the site once, starts serving and watching; returns when the server listens.
/// Input errors do not stop it (the browser shows them); a directory without `nashr.toml`
/// or an address that cannot be bound does.
pub fn start(options: Options) -> Result<Running, Error> {
    let root = std::fs::canonicalize(&options.root).map_err(|e| Error::io(&options.root, e))?;
    if !root.join(nashr_content::config::CONFIG_FILE).is_file() {
        return Err(Error::NotAProject {
            config: root.join(nashr_content::config::CONFIG_FILE),
        });
    }
    let (events, _) = tokio::sync::watch::channel(0);
    let state = Arc::new(State {
        root: root.clone(),
        snapshot: RwLock::default(),
        marked: Mutex::default(),
        events,
        log: options.log.clone(),
    });
    state.rebuild(Scope::all(), &[]);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    let listener = runtime
        .block_on(TcpListener::bind((options.bind, options.port)))
        .map_err(|source| Error::Bind {
            address: SocketAddr::new(options.bind, options.port).to_string(),
            source,
        })?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Environment(format!("listening socket: {e}")))?;
    runtime.spawn(nashr_http::serve(listener, router(state.clone()), options.limits));

    let watcher = watch(&root, options.debounce, state)?;
    Ok(Running {
        addr,
        runtime: Some(runtime),
        _watcher: watcher,
    })
}

/// The directories watched recursively (when they exist; watched from when they appear).
const WATCHED: [&str; 4] = ["content", "locales", "templates", "static"];

/// Watches the project's inputs; a thread rebuilds after each quiet period.
fn watch(root: &Path, debounce: Duration, state: Arc<State>) -> Result<Arc<Mutex<RecommendedWatcher>>, Error> {
    let (tx, rx) = std::sync::mpsc::channel::<notify::Result<notify::Event>>();
    let mut watcher =
        notify::recommended_watcher(tx).map_err(|e| Error::Environment(format!("cannot watch files: {e}")))?;
    watcher
        .watch(root, RecursiveMode::NonRecursive)
        .map_err(|e| Error::Environment(format!("cannot watch {}: {e}", root.display())))?;
    for dir in WATCHED {
        let path = root.join(dir);
        if path.is_dir() {
            watcher
                .watch(&path, RecursiveMode::Recursive)
                .map_err(|e| Error::Environment(format!("cannot watch {}: {e}", path.display())))?;
        }
    }
    let watcher = Arc::new(Mutex::new(watcher));
    // Weak: dropping the server drops the watcher, which ends the thread.
    let weak = Arc::downgrade(&watcher);
    let root = root.to_path_buf();
    std::thread::Builder::new()
        .name("nashr-serve-watch".into())
        .spawn(move || {
            let mut retry = Scope::default();
            // Ends when the watcher (and with it the sender) is dropped.
            while let Ok(first) = rx.recv() {
                // Debounce: wait until nothing has happened for `debounce` (at most 2 s).
                let mut events = vec![first];
                let started = Instant::now();
                loop {
                    match rx.recv_timeout(debounce) {
                        Ok(e) => events.push(e),
                        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => break,
                        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
                    }
                    if started.elapsed() > Duration::from_secs(2) {
                        break;
                    }
                }
                let mut scope = Scope::default();
                let mut changed = Vec::new();
                for event in events {
                    let event = match event {
                        Ok(e) => e,
                        Err(e) => {
                            (state.log)(&format!("warning: watching files: {e}"));
                            continue;
                        }
                    };
                    // Reading a file (the rebuild does) opens it and may update its access
                    // time: neither is a change.
                    if matches!(
                        event.kind,
                        EventKind::Access(_) | EventKind::Modify(notify::event::ModifyKind::Metadata(_))
                    ) {
                        continue;
                    }
                    for path in &event.paths {
                        // A watched directory that did not exist at the start (`templates/`).
                        if path.parent() == Some(root.as_path())
                            && path.is_dir()
                            && WATCHED.iter().any(|d| path.file_name().is_some_and(|n| n == *d))
                            && let Some(w) = weak.upgrade()
                            && let Ok(mut w) = w.lock()
                        {
                            let _ = w.watch(path, RecursiveMode::Recursive);
                        }
                        let rel = path.strip_prefix(&root).unwrap_or(path);
                        let rel = rel.to_string_lossy().replace('\\', "/");
                        let s = Scope::of(&rel);
                        if !s.is_empty() {
                            scope = scope.merge(s);
                            // Editors' temporary files (`sedX4UOI7`) are not worth naming.
                            let named =
                                root.join(&rel).exists() || rel.rsplit('/').next().is_some_and(|n| n.contains('.'));
                            if named && !changed.contains(&rel) {
                                changed.push(rel);
                            }
                        }
                    }
                }
                if scope.is_empty() {
                    continue;
                }
                // What failed last time is redone too: a template edit must not hide a
                // still-broken article.
                retry = state.rebuild(scope.merge(retry), &changed);
            }
        })
        .map_err(|e| Error::Environment(format!("cannot start the watcher thread: {e}")))?;
    Ok(watcher)
}

/// The preview's routes: the event stream, and everything else by `route`.
fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/_nashr/events", get(events).fallback(method_not_allowed))
        .fallback(page)
        .with_state(state)
}

async fn method_not_allowed() -> axum::response::Response {
    Response::text(405, "method not allowed\n").into_response()
}

async fn page(Shared(state): Shared<Arc<State>>, method: Method, uri: Uri) -> axum::response::Response {
    if method != Method::GET && method != Method::HEAD {
        return method_not_allowed().await;
    }
    let req = Request::from_uri(&uri);
    // Rendering with marks renders the whole site: off the async threads.
    tokio::task::spawn_blocking(move || route(&state, &req))
        .await
        .unwrap_or_else(|_| Response::text(500, "internal error\n"))
        .into_response()
}

/// Server-sent events: the state now, then after every rebuild; a comment every 15 s keeps
/// the connection open through proxies. The stream ends when the client goes away.
async fn events(Shared(state): Shared<Arc<State>>) -> axum::response::Response {
    let rx = state.events.subscribe();
    let stream = futures_util::stream::unfold((state, rx, true), |(state, mut rx, first)| async move {
        let mut chunk = String::new();
        if first {
            chunk.push_str("retry: 500\n\n");
        } else {
            tokio::select! {
                changed = rx.changed() => changed.ok()?,
                () = tokio::time::sleep(Duration::from_secs(15)) => {
                    return Some((Ok::<_, std::convert::Infallible>(": ping\n\n".to_string()), (state, rx, false)));
                }
            }
        }
        rx.mark_unchanged();
        chunk.push_str(&format!("event: state\ndata: {}\n\n", state.event()));
        Some((Ok(chunk), (state, rx, false)))
    });
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        axum::body::Body::from_stream(stream),
    )
        .into_response()
}

fn route(state: &State, req: &Request) -> Response {
    let path = req.path.as_str();
    // The site lives in memory; still, no `..` (or `.`) ever names a file.
    if path.contains('\0') || path.split(['/', '\\']).any(|seg| seg == ".." || seg == ".") {
        return Response::text(400, "bad path\n");
    }
    let snap = state.snapshot();
    let marks = req.param("marks").is_some_and(|v| v != "0" && v != "false");
    match path {
        "/_nashr/client.js" => return Response::new(200, "text/javascript; charset=utf-8", inject::CLIENT_JS),
        "/_nashr/client.css" => return Response::new(200, "text/css; charset=utf-8", inject::CLIENT_CSS),
        "/_nashr/status" => return Response::json(&status(&snap)),
        "/_nashr/marks" => return marks_json(state, req),
        _ => {}
    }
    if path == "/_newsletter" || path.starts_with("/_newsletter/") {
        return newsletter_route(&snap, path);
    }
    let injection = |marks| injection(&snap, marks);
    let Some(site) = (if marks { state.marked_site() } else { None }).or_else(|| snap.site.clone()) else {
        let body =
            "<h1>The site could not be built</h1><p>Fix the problems shown and save: this page updates by itself.</p>";
        return Response::html(503, inject::own_page("nashr: errors", body, &injection(None)));
    };
    let base_path = snap
        .loaded
        .as_ref()
        .map_or_else(|| "/".to_string(), |l| l.project.config.base_path());
    let Some(rel) = path
        .strip_prefix(base_path.as_str())
        .or_else(|| (path == "/").then_some(""))
    else {
        return not_found(&injection(None), path);
    };
    let key = if rel.is_empty() || rel.ends_with('/') {
        format!("{rel}index.html")
    } else {
        rel.to_string()
    };
    let Some(bytes) = site.files.get(&key) else {
        if site.files.contains_key(&format!("{rel}/index.html")) {
            let query = if req.query.is_empty() {
                String::new()
            } else {
                format!("?{}", req.query)
            };
            let to = format!("{base_path}{rel}/{query}");
            let to = percent_encoding::utf8_percent_encode(&to, URL_PATH).to_string();
            return Response::redirect(to);
        }
        return not_found(&injection(None), path);
    };
    let content_type = nashr_content::mime::of_path(&key);
    if content_type.starts_with("text/html") {
        let page_marks = marks.then(|| site.marks.get(&key).map_or(&[][..], Vec::as_slice));
        return Response::html(200, inject::inject(bytes, &injection(page_marks).html()));
    }
    Response::new(200, content_type, bytes.clone())
}

fn injection<'a>(snap: &'a Snapshot, marks: Option<&'a [Mark]>) -> Injection<'a> {
    Injection {
        site_version: snap.site_version,
        problems: &snap.problems,
        marks,
    }
}

/// What a `Location` may carry as it is; everything else is percent-encoded.
const URL_PATH: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS.add(b' ').add(b'"').add(b'<').add(b'>');

fn not_found(injection: &Injection, path: &str) -> Response {
    let body = format!(
        "<h1>Not found</h1><p><code>{}</code> is not a page of the site.</p><p><a href=\"/\">The site's first page</a></p>",
        escape(path, Escape::Html)
    );
    Response::html(404, inject::own_page("nashr: not found", &body, injection))
}

/// `/_nashr/marks?path=/fa/slug/`: the marks of a page as JSON.
fn marks_json(state: &State, req: &Request) -> Response {
    let Some(site) = state.marked_site() else {
        return Response::text(503, "the site could not be built; see /_nashr/status\n");
    };
    let path = req.param("path").unwrap_or_else(|| "/".into());
    let snap = state.snapshot();
    let base_path = snap
        .loaded
        .as_ref()
        .map_or_else(|| "/".to_string(), |l| l.project.config.base_path());
    let rel = path
        .strip_prefix(base_path.as_str())
        .unwrap_or(path.trim_start_matches('/'));
    let key = if rel.is_empty() || rel.ends_with('/') {
        format!("{rel}index.html")
    } else {
        rel.to_string()
    };
    let marks: Vec<serde_json::Value> = site
        .marks
        .get(&key)
        .map(|m| m.iter().map(inject::mark_json).collect())
        .unwrap_or_default();
    Response::json(&serde_json::json!({ "path": path, "file": key, "marks": marks }))
}

fn newsletter_route(snap: &Snapshot, path: &str) -> Response {
    let injection = Injection {
        site_version: snap.site_version,
        problems: &snap.problems,
        marks: None,
    };
    let Some(loaded) = snap.loaded.as_ref() else {
        let body = "<h1>The project could not be loaded</h1>";
        return Response::html(503, inject::own_page("nashr: errors", body, &injection));
    };
    let project = &loaded.project;
    let parts: Vec<&str> = path
        .trim_start_matches("/_newsletter")
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let locales = &project.config.site.locales;
    match parts.as_slice() {
        [] => {
            let mut body = String::from("<h1>Newsletter issues</h1><ul>");
            for id in nashr_newsletter::issue::issue_ids(project) {
                let links: Vec<String> = locales
                    .iter()
                    .map(|l| {
                        format!(
                            "<a href=\"/_newsletter/{0}/{1}\">{1}</a>",
                            escape(&id, Escape::Html),
                            escape(l, Escape::Html)
                        )
                    })
                    .collect();
                body.push_str(&format!(
                    "<li>{}: {}</li>",
                    escape(&id, Escape::Html),
                    links.join(" · ")
                ));
            }
            body.push_str("</ul>");
            Response::html(200, inject::own_page("nashr: newsletter", &body, &injection))
        }
        [issue, locale, rest @ ..] if rest.len() <= 1 => {
            let preview = match newsletter::preview(project, loaded.l10n.clone(), issue, locale) {
                Ok(Some(p)) => p,
                Ok(None) => return not_found(&injection, path),
                Err(e) => {
                    let problems = Problem::from_error(&e);
                    let with_errors = Injection {
                        problems: &problems,
                        ..injection
                    };
                    let body = format!(
                        "<h1>Newsletter {} ({})</h1><p>It cannot be rendered.</p>",
                        escape(issue, Escape::Html),
                        escape(locale, Escape::Html)
                    );
                    return Response::html(500, inject::own_page("nashr: newsletter", &body, &with_errors));
                }
            };
            match rest.first().copied() {
                None => Response::html(
                    200,
                    inject::own_page(
                        &format!("{}: {issue} ({locale})", preview.subject),
                        &newsletter_page(&preview, issue, locale, locales),
                        &injection,
                    ),
                ),
                Some("html") => Response::html(200, preview.html),
                Some("text") => Response::text(200, preview.text),
                Some("eml") => Response::text(200, preview.raw),
                Some(_) => not_found(&injection, path),
            }
        }
        _ => not_found(&injection, path),
    }
}

fn newsletter_page(p: &newsletter::Preview, issue: &str, locale: &str, locales: &[String]) -> String {
    let base = format!(
        "/_newsletter/{}/{}",
        escape(issue, Escape::Html),
        escape(locale, Escape::Html)
    );
    let others: Vec<String> = locales
        .iter()
        .filter(|l| *l != locale)
        .map(|l| {
            format!(
                "<a href=\"/_newsletter/{}/{1}\">{1}</a>",
                escape(issue, Escape::Html),
                escape(l, Escape::Html)
            )
        })
        .collect();
    let mut html = format!(
        "<h1>Newsletter {} in {}</h1><p>As it will be sent, here to the sample recipient <code>{}</code>. Other languages: {}. <a href=\"{base}/eml\">The whole message</a>.</p>",
        escape(issue, Escape::Html),
        escape(locale, Escape::Html),
        newsletter::SAMPLE_RECIPIENT,
        others.join(" · ")
    );
    if !p.fallback.is_empty() {
        html.push_str(&format!(
            "<p class=\"fallback\">Not translated yet (shown from the fallback language): <code>{}</code></p>",
            escape(&p.fallback.join(", "), Escape::Html)
        ));
    }
    html.push_str(&format!(
        "<h2>Subject</h2><p id=\"subject\" dir=\"auto\">{}</p><h2>Headers</h2><table id=\"headers\">",
        escape(&p.subject, Escape::Html)
    ));
    for (k, v) in &p.headers {
        html.push_str(&format!(
            "<tr><th>{}</th><td dir=\"auto\">{}</td></tr>",
            escape(k, Escape::Html),
            escape(v, Escape::Html)
        ));
    }
    html.push_str(&format!(
        "</table><h2>HTML part</h2><iframe id=\"html-part\" src=\"{base}/html\" sandbox=\"\" title=\"The HTML part\"></iframe><h2>Text part</h2><pre id=\"text-part\" dir=\"auto\">{}</pre>",
        escape(&p.text, Escape::Html)
    ));
    html
}
