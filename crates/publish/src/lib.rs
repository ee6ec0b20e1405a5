//! Stage 4 of nashr: publish every article in every locale to the project's targets.
//!
//! A *target* is where articles go: `filesystem` (the default: a folder of HTML fragments and
//! JSON metadata, what a headless CMS imports) or `wordpress` (posts through the REST API).
//! Targets are configured in `nashr.toml` as `[target.<name>]`; without any, nashr publishes
//! to one filesystem target, `files`, writing into `publish/`.
//!
//! What was sent where is kept in the publish ledger ([`nashr_store`]), so publishing again
//! sends nothing that has not changed, updates what has, and never creates a second post.
//!
//! ```no_run
//! # fn main() -> Result<(), nashr_publish::Error> {
//! let project = nashr_content::Project::load(std::path::Path::new("."))?;
//! let l10n = nashr_l10n::Localizer::load(&project)?;
//! let options = nashr_publish::PublishOptions { dry_run: true, ..Default::default() };
//! let report = nashr_publish::publish_blocking(&project, &l10n, &options, &|_, _, _| {})?;
//! for target in &report.targets {
//!     for item in &target.items {
//!         println!("{} {}/{}: {}", target.name, item.article, item.locale, item.reason);
//!     }
//! }
//! # Ok(()) }
//! ```

mod filesystem;
pub mod item;
mod retry;
pub mod slug;
mod wordpress;

use std::path::PathBuf;
use std::sync::Arc;

use nashr_content::Project;
use nashr_content::targets::{TargetConfig, TargetKind};
use nashr_l10n::Localizer;
use serde::Serialize;

pub use item::Item;
pub use slug::wordpress_slug;

/// The name of the target used when `nashr.toml` configures none.
pub const DEFAULT_TARGET: &str = "files";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A problem with the project (configuration, articles: reported with file and line), or
    /// with its environment (a missing password, no async runtime).
    #[error(transparent)]
    Input(#[from] nashr_content::Error),
    #[error(transparent)]
    Store(#[from] nashr_store::StoreError),
    /// `--target` names no target of `nashr.toml`; `known` are the ones it has.
    #[error("no target `{name}` in nashr.toml; targets: {}", known.join(", "))]
    UnknownTarget { name: String, known: Vec<String> },
    /// Something else missing from the environment.
    #[error("{0}")]
    Environment(String),
    /// A target failed; what was published before the failure is in the ledger.
    #[error("target `{target}`, {item}: {message}")]
    Remote {
        target: String,
        item: String,
        message: String,
    },
}

/// Called as work completes: `(target, done, total)`.
pub type Progress<'a> = dyn Fn(&str, usize, usize) + Sync + 'a;

#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// Plan only: send nothing, write nothing, need no password.
    pub dry_run: bool,
    /// Only this target (by name).
    pub target: Option<String>,
    /// What counts as now for scheduled articles.
    pub now: jiff::Timestamp,
}

impl Default for PublishOptions {
    fn default() -> Self {
        PublishOptions {
            dry_run: false,
            target: None,
            now: jiff::Timestamp::now(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    Skip,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Skip => "skip",
        }
    }
}

/// One article in one locale on one target.
#[derive(Debug, Clone, Serialize)]
pub struct ItemReport {
    pub article: String,
    pub locale: String,
    pub action: Action,
    pub reason: String,
    /// Where it is (the post's link, or the file).
    pub url: Option<String>,
    /// The target's id (WordPress post id).
    pub remote_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetReport {
    pub name: String,
    pub kind: &'static str,
    pub items: Vec<ItemReport>,
    /// HTTP requests made (WordPress), of which `writes` changed something (POST); for a
    /// folder, `writes` counts files written.
    pub requests: usize,
    pub writes: usize,
    /// Requests repeated after a transient failure.
    pub retries: usize,
    pub seconds: f64,
    /// Why the target stopped early, if it did. Run again to resume.
    pub error: Option<String>,
}

impl TargetReport {
    fn new(name: &str, kind: &'static str) -> TargetReport {
        TargetReport {
            name: name.to_string(),
            kind,
            items: Vec::new(),
            requests: 0,
            writes: 0,
            retries: 0,
            seconds: 0.0,
            error: None,
        }
    }

    pub fn count(&self, action: Action) -> usize {
        self.items.iter().filter(|i| i.action == action).count()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub dry_run: bool,
    pub targets: Vec<TargetReport>,
}

impl Report {
    pub fn failed(&self) -> bool {
        self.targets.iter().any(|t| t.error.is_some())
    }
}

/// The targets `nashr.toml` configures, or the default filesystem target.
pub fn targets(project: &Project) -> Vec<(String, TargetConfig)> {
    if project.config.target.is_empty() {
        return vec![(
            DEFAULT_TARGET.to_string(),
            TargetConfig {
                kind: TargetKind::Filesystem,
                dir: None,
                url: None,
                site: Default::default(),
                user: None,
                password_env: None,
                slug: Default::default(),
                categories: Vec::new(),
                concurrency: None,
                timeout_secs: None,
                retries: None,
                retry_base_ms: None,
                max_retry_wait_secs: None,
            },
        )];
    }
    project
        .config
        .target
        .iter()
        .map(|(n, t)| (n.clone(), t.clone()))
        .collect()
}

/// The state store file of the project (SQLite).
pub fn store_path(project: &Project) -> PathBuf {
    project.root.join(&project.config.store.path)
}

/// The environment variable that chooses the store (`postgres://…`), over `[store]`.
pub const STORE_URL_ENV: &str = "NASHR_STORE_URL";

/// Where the project's state is: `NASHR_STORE_URL`, else `[store] url`, else the SQLite file
/// `[store] path`.
pub fn store_location(project: &Project) -> Result<nashr_store::Location, nashr_store::StoreError> {
    let from_env = std::env::var(STORE_URL_ENV).ok().filter(|u| !u.trim().is_empty());
    match from_env.as_deref().or(project.config.store.url.as_deref()) {
        Some(url) => nashr_store::Location::from_url(url, &project.root).map_err(|e| {
            let source = if from_env.is_some() {
                STORE_URL_ENV
            } else {
                "[store] url in nashr.toml"
            };
            nashr_store::StoreError::Url(format!("{source}: {e}"))
        }),
        None => Ok(nashr_store::Location::Sqlite(store_path(project))),
    }
}

/// Publishes to every target (or `options.target`), one after the other.
pub async fn publish(
    project: &Project,
    l10n: &Localizer,
    options: &PublishOptions,
    progress: &Progress<'_>,
) -> Result<Report, Error> {
    let all = targets(project);
    let chosen: Vec<&(String, TargetConfig)> = match &options.target {
        Some(name) => {
            let found: Vec<_> = all.iter().filter(|(n, _)| n == name).collect();
            if found.is_empty() {
                return Err(Error::UnknownTarget {
                    name: name.clone(),
                    known: all.iter().map(|(n, _)| n.clone()).collect(),
                });
            }
            found
        }
        None => all.iter().collect(),
    };
    let items = item::items(project, l10n, options.now)?;
    let mut report = Report {
        dry_run: options.dry_run,
        targets: Vec::new(),
    };
    let mut store = None;
    for (name, config) in chosen {
        let target_report = match config.kind {
            TargetKind::Filesystem => {
                let shown = config.dir.clone().unwrap_or_else(|| PathBuf::from("publish"));
                let target = filesystem::FilesystemTarget {
                    name: name.clone(),
                    dir: project.root.join(&shown),
                    shown,
                };
                target.publish(&items, options.dry_run, progress)?
            }
            TargetKind::Wordpress => {
                if store.is_none() {
                    // A dry run reads the ledger but must not create it.
                    let location = store_location(project)?;
                    store = Some(match &location {
                        nashr_store::Location::Sqlite(path) if options.dry_run && !path.exists() => {
                            nashr_store::Store::in_memory().await?
                        }
                        _ => nashr_store::Store::connect(&location).await?,
                    });
                }
                let Some(store) = store.clone() else { continue };
                let target = Arc::new(wordpress::WordPressTarget::from_config(
                    name,
                    config,
                    &project.config.site.locales,
                    &project.config.site.source_locale,
                    l10n,
                ));
                target.publish(items.clone(), store, options.dry_run, progress).await?
            }
        };
        let failed = target_report.error.is_some();
        report.targets.push(target_report);
        if failed {
            break;
        }
    }
    if let Some(store) = store {
        store.close().await;
    }
    Ok(report)
}

/// [`publish`] on a runtime of its own, for callers that are not async.
pub fn publish_blocking(
    project: &Project,
    l10n: &Localizer,
    options: &PublishOptions,
    progress: &Progress<'_>,
) -> Result<Report, Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(nashr_content::Error::Runtime)?;
    runtime.block_on(publish(project, l10n, options, progress))
}
