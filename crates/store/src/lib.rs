//! nashr's state store: the publish ledger (per target × article × locale, the remote id and
//! URL and a hash of what was sent), uploaded media, and the newsletter's subscribers,
//! delivery ledger and scheduled jobs (`newsletter`).
//!
//! Two backends behind one [`Store`]: **SQLite** (`.nashr/state.db`), the embedded default for
//! one machine, and **PostgreSQL** (`NASHR_STORE_URL=postgres://…`), where several workers on
//! several machines share the work. Every method has one SQL text that both run (`$1`
//! placeholders, `ON CONFLICT`, `RETURNING`), executed by `with_pool!` on whichever pool the
//! store has; only the claims differ, because PostgreSQL must lock what it hands out
//! (`FOR UPDATE SKIP LOCKED`) and SQLite has one writer anyway. Each backend has its own
//! migrations (`migrations/<backend>/`) with the same versions and the same logical schema;
//! they are embedded in the binary and run when the store is opened.
//!
//! ```no_run
//! # async fn demo() -> Result<(), nashr_store::StoreError> {
//! let store = nashr_store::Store::open(std::path::Path::new(".nashr/state.db")).await?;
//! if let Some(entry) = store.ledger_get("wordpress", "acupuncture", "fa").await? {
//!     println!("post {} at {}", entry.remote_id, entry.remote_url);
//! }
//! # Ok(()) }
//! ```

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::Row;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};

mod newsletter;
mod states;
pub use newsletter::{
    Claimed, DeliveryCounts, FailedDelivery, ImportReport, IssueProgress, Job, Lease, NewSubscriber, Overview,
    Subscriber,
};
pub use states::{DeliveryState, JobKind, JobState, SubscriberStatus};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the state store {store}: {source}")]
    Open { store: String, source: sqlx::Error },
    #[error("cannot update the schema of the state store {store}: {source}")]
    Migrate {
        store: String,
        source: sqlx::migrate::MigrateError,
    },
    #[error("{0}")]
    Url(String),
    #[error("state store: {0}")]
    Query(#[from] sqlx::Error),
    /// A name in a text column that is none of its enum's (a store written by another program).
    #[error("state store: unknown {what} `{value}`")]
    Unknown { what: &'static str, value: String },
}

/// Where the state lives.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file (created with its directory if missing).
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (`postgres://user:password@host:port/database?…`).
    Postgres(String),
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown())
    }
}

impl Location {
    /// Reads a store URL: `postgres://…` or `postgresql://…`, or `sqlite:PATH` (relative to
    /// `base`). Anything else is an error that names the accepted forms (and never the
    /// password).
    pub fn from_url(url: &str, base: &Path) -> Result<Location, StoreError> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // Parse now, so a bad URL is reported before anything runs.
            PgConnectOptions::from_str(url)
                .map_err(|e| StoreError::Url(format!("invalid PostgreSQL URL {}: {e}", redact(url))))?;
            return Ok(Location::Postgres(url.to_string()));
        }
        if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            if path.is_empty() {
                return Err(StoreError::Url("the store URL `sqlite:` names no file".into()));
            }
            return Ok(Location::Sqlite(base.join(path)));
        }
        Err(StoreError::Url(format!(
            "the store URL `{}` is neither postgres://user@host/database nor sqlite:PATH",
            redact(url)
        )))
    }

    /// The location as it may be shown: a path, or the URL with its password replaced.
    pub fn shown(&self) -> String {
        match self {
            Location::Sqlite(p) => p.display().to_string(),
            Location::Postgres(url) => redact(url),
        }
    }
}

/// `url` with the password (in the user info, or a `password=` parameter) replaced by `***`.
pub fn redact(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme_end) = out.find("://") {
        let rest = scheme_end + 3;
        let authority_end = out[rest..].find(['/', '?', '#']).map_or(out.len(), |i| rest + i);
        if let Some(at) = out[rest..authority_end].rfind('@')
            && let Some(colon) = out[rest..rest + at].find(':')
        {
            out.replace_range(rest + colon + 1..rest + at, "***");
        }
    }
    if let Some(q) = out.find('?') {
        let (head, query) = out.split_at(q + 1);
        let params: Vec<String> = query
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => p.to_string(),
            })
            .collect();
        out = format!("{head}{}", params.join("&"));
    }
    out
}

/// One published article in one locale on one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub target: String,
    pub article: String,
    pub locale: String,
    /// The target's id for it (the WordPress post id).
    pub remote_id: i64,
    pub remote_url: String,
    /// Hash of what was sent; equal hash means nothing to send.
    pub hash: String,
    /// When it was last sent (RFC 3339).
    pub updated_at: String,
}

/// One file uploaded to one site of a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaEntry {
    pub target: String,
    /// The site's URL (a target may publish to one site per locale).
    pub site: String,
    /// SHA-256 of the file's bytes, hex.
    pub hash: String,
    pub remote_id: i64,
    pub remote_url: String,
}

/// The migrations of one backend, in order: (version, description, SQL). Both lists have the
/// same versions and descriptions (a test checks it); each runs once, in a transaction.
type Migrations = &'static [(i64, &'static str, &'static str)];

const SQLITE_MIGRATIONS: Migrations = &[
    (
        1,
        "publish ledger",
        include_str!("../migrations/sqlite/0001_publish_ledger.sql"),
    ),
    (
        2,
        "newsletter: subscribers, deliveries, jobs",
        include_str!("../migrations/sqlite/0002_newsletter.sql"),
    ),
    (
        3,
        "workers in the ledger",
        include_str!("../migrations/sqlite/0003_workers.sql"),
    ),
];

const POSTGRES_MIGRATIONS: Migrations = &[
    (
        1,
        "publish ledger",
        include_str!("../migrations/postgres/0001_publish_ledger.sql"),
    ),
    (
        2,
        "newsletter: subscribers, deliveries, jobs",
        include_str!("../migrations/postgres/0002_newsletter.sql"),
    ),
    (
        3,
        "workers in the ledger",
        include_str!("../migrations/postgres/0003_workers.sql"),
    ),
];

fn migrator(list: Migrations) -> Migrator {
    let migrations: Vec<Migration> = list
        .iter()
        .map(|(version, description, sql)| {
            Migration::new(
                *version,
                Cow::Borrowed(*description),
                MigrationType::Simple,
                Cow::Borrowed(*sql),
                false,
            )
        })
        .collect();
    Migrator {
        migrations: Cow::Owned(migrations),
        ..Migrator::DEFAULT
    }
}

/// The schema versions of a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaStatus {
    /// Applied, with their descriptions.
    pub applied: Vec<(i64, String)>,
    /// Known to this nashr and not applied yet.
    pub pending: Vec<(i64, String)>,
    /// Applied by a newer nashr (this one refuses to touch the store).
    pub unknown: Vec<i64>,
}

#[derive(Clone)]
pub(crate) enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the store's pool, whichever backend it is: the body is
/// compiled once per backend, so one SQL text serves both.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.backend {
            $crate::Backend::Sqlite($pool) => $body,
            $crate::Backend::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// Column access shared by both backends' rows.
pub(crate) trait Cols {
    fn text(&self, i: usize) -> Result<String, StoreError>;
    fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError>;
    fn int(&self, i: usize) -> Result<i64, StoreError>;
    fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError>;

    /// A text column holding one of an enum's names.
    fn parsed<T: std::str::FromStr<Err = StoreError>>(&self, i: usize) -> Result<T, StoreError> {
        self.text(i)?.parse()
    }
}

macro_rules! impl_cols {
    ($row:ty) => {
        impl Cols for $row {
            fn text(&self, i: usize) -> Result<String, StoreError> {
                Ok(self.try_get(i)?)
            }
            fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError> {
                Ok(self.try_get(i)?)
            }
            fn int(&self, i: usize) -> Result<i64, StoreError> {
                Ok(self.try_get(i)?)
            }
            fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError> {
                Ok(self.try_get(i)?)
            }
        }
    };
}
impl_cols!(SqliteRow);
impl_cols!(PgRow);

#[derive(Clone)]
pub struct Store {
    pub(crate) backend: Backend,
    shown: String,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({})", self.shown)
    }
}

impl Store {
    /// Opens (creating it and its directory if needed) the SQLite store at `path`, and brings
    /// its schema up to date.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        Self::connect(&Location::Sqlite(path.to_path_buf())).await
    }

    /// Opens the store at `location` and brings its schema up to date. On PostgreSQL several
    /// processes may start at once: sqlx serialises their migrations with an advisory lock.
    pub async fn connect(location: &Location) -> Result<Store, StoreError> {
        let store = Self::connect_unmigrated(location).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Opens the store without touching its schema (for `nashr store status`).
    pub async fn connect_unmigrated(location: &Location) -> Result<Store, StoreError> {
        let shown = location.shown();
        let open_err = |source| StoreError::Open {
            store: shown.clone(),
            source,
        };
        let backend = match location {
            Location::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| open_err(sqlx::Error::Io(e)))?;
                }
                let options = SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(true)
                    // Several writers (one per concurrent upload) and a reader never block each
                    // other for long; each ledger row is committed as soon as its post is published.
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10));
                Backend::Sqlite(Self::sqlite_pool(options).await.map_err(open_err)?)
            }
            Location::Postgres(url) => {
                let options = PgConnectOptions::from_str(url)
                    .map_err(|e| StoreError::Url(format!("invalid PostgreSQL URL {shown}: {e}")))?
                    .application_name("nashr")
                    // Each outcome is its own commit; waiting for the WAL flush of each one
                    // would make the flush, not SMTP, set a worker's pace. Without the wait, a crash
                    // of the *database server* can lose the last fraction of a second of
                    // commits: rows that go back to queued or sending and are sent again
                    // (duplicates, never a skip), as SQLite's synchronous=NORMAL allows. A
                    // worker's death loses nothing: the server has the commits.
                    .options([("synchronous_commit", "off")]);
                // One plain connection first: its error says why (refused, authentication,
                // no such database) where the pool would only report a timeout.
                use sqlx::Connection;
                sqlx::PgConnection::connect_with(&options)
                    .await
                    .map_err(open_err)?
                    .close()
                    .await
                    .map_err(open_err)?;
                // The send loop writes outcomes one at a time; the lease renewal, the
                // unsubscribe endpoint and a publish need a few more.
                let pool = PgPoolOptions::new()
                    .max_connections(6)
                    .acquire_timeout(Duration::from_secs(15))
                    .connect_with(options)
                    .await
                    .map_err(open_err)?;
                Backend::Postgres(pool)
            }
        };
        Ok(Store { backend, shown })
    }

    /// A store that lives in memory only (for tests and `--dry-run` without a ledger).
    pub async fn in_memory() -> Result<Store, StoreError> {
        let open_err = |source| StoreError::Open {
            store: ":memory:".into(),
            source,
        };
        let options = SqliteConnectOptions::from_str("sqlite::memory:").map_err(open_err)?;
        let store = Store {
            backend: Backend::Sqlite(Self::sqlite_pool(options).await.map_err(open_err)?),
            shown: ":memory:".into(),
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn sqlite_pool(options: SqliteConnectOptions) -> Result<SqlitePool, sqlx::Error> {
        // One connection: SQLite serialises writers anyway, and an in-memory database exists
        // per connection.
        SqlitePoolOptions::new().max_connections(1).connect_with(options).await
    }

    /// Applies the migrations this nashr knows and the store lacks; returns their versions.
    /// A store written by a newer nashr (an unknown migration) is refused, not clobbered.
    pub async fn migrate(&self) -> Result<Vec<i64>, StoreError> {
        let before = self.schema_status().await?;
        let result = match &self.backend {
            Backend::Sqlite(pool) => migrator(SQLITE_MIGRATIONS).run(pool).await,
            Backend::Postgres(pool) => migrator(POSTGRES_MIGRATIONS).run(pool).await,
        };
        result.map_err(|source| StoreError::Migrate {
            store: self.shown.clone(),
            source,
        })?;
        Ok(before.pending.iter().map(|(v, _)| *v).collect())
    }

    /// Applied, pending and unknown schema versions.
    pub async fn schema_status(&self) -> Result<SchemaStatus, StoreError> {
        let (exists_sql, known) = match &self.backend {
            Backend::Sqlite(_) => (
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
                SQLITE_MIGRATIONS,
            ),
            Backend::Postgres(_) => (
                // In the first schema of the search path, where sqlx creates it.
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = '_sqlx_migrations' AND table_schema = current_schema()",
                POSTGRES_MIGRATIONS,
            ),
        };
        let exists = with_pool!(self, pool => sqlx::query(exists_sql).fetch_one(pool).await?.int(0)?) > 0;
        let mut applied = Vec::new();
        if exists {
            let rows = with_pool!(self, pool => {
                let rows = sqlx::query("SELECT version, description FROM _sqlx_migrations WHERE success ORDER BY version")
                    .fetch_all(pool)
                    .await?;
                rows.iter().map(|r| Ok((r.int(0)?, r.text(1)?))).collect::<Result<Vec<_>, StoreError>>()?
            });
            applied = rows;
        }
        let pending = known
            .iter()
            .filter(|(v, _, _)| !applied.iter().any(|(a, _)| a == v))
            .map(|(v, d, _)| (*v, d.to_string()))
            .collect();
        let unknown = applied
            .iter()
            .filter(|(a, _)| !known.iter().any(|(v, _, _)| v == a))
            .map(|(a, _)| *a)
            .collect();
        Ok(SchemaStatus {
            applied,
            pending,
            unknown,
        })
    }

    /// The schema version (the newest migration applied).
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        let status = self.schema_status().await?;
        Ok(status.applied.iter().map(|(v, _)| *v).max().unwrap_or(0))
    }

    /// `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Whether several processes may send from this store at once (PostgreSQL). A SQLite
    /// store has one sender at a time (the sender lock, see `nashr_newsletter::deliver`).
    pub fn is_shared(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// Where the store is, safe to print (no password).
    pub fn shown(&self) -> &str {
        &self.shown
    }

    pub async fn ledger_get(
        &self,
        target: &str,
        article: &str,
        locale: &str,
    ) -> Result<Option<LedgerEntry>, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT target, article, locale, remote_id, remote_url, hash, updated_at FROM publish_ledger
                 WHERE target = $1 AND article = $2 AND locale = $3",
            )
            .bind(target)
            .bind(article)
            .bind(locale)
            .fetch_optional(pool)
            .await?;
            row.map(|r| ledger_row(&r)).transpose()
        })
    }

    /// Every entry of `target`, by article and locale.
    pub async fn ledger_entries(&self, target: &str) -> Result<Vec<LedgerEntry>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT target, article, locale, remote_id, remote_url, hash, updated_at FROM publish_ledger
                 WHERE target = $1 ORDER BY article, locale",
            )
            .bind(target)
            .fetch_all(pool)
            .await?;
            rows.iter().map(ledger_row).collect()
        })
    }

    /// Records (or replaces) one entry; committed when this returns.
    pub async fn ledger_put(&self, e: &LedgerEntry) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO publish_ledger (target, article, locale, remote_id, remote_url, hash, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (target, article, locale) DO UPDATE SET
                   remote_id = excluded.remote_id, remote_url = excluded.remote_url,
                   hash = excluded.hash, updated_at = excluded.updated_at",
            )
            .bind(&e.target)
            .bind(&e.article)
            .bind(&e.locale)
            .bind(e.remote_id)
            .bind(&e.remote_url)
            .bind(&e.hash)
            .bind(&e.updated_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn media_get(&self, target: &str, site: &str, hash: &str) -> Result<Option<MediaEntry>, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT target, site, hash, remote_id, remote_url FROM publish_media
                 WHERE target = $1 AND site = $2 AND hash = $3",
            )
            .bind(target)
            .bind(site)
            .bind(hash)
            .fetch_optional(pool)
            .await?;
            row.map(|r| {
                Ok(MediaEntry {
                    target: r.text(0)?,
                    site: r.text(1)?,
                    hash: r.text(2)?,
                    remote_id: r.int(3)?,
                    remote_url: r.text(4)?,
                })
            })
            .transpose()
        })
    }

    pub async fn media_put(&self, e: &MediaEntry) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO publish_media (target, site, hash, remote_id, remote_url) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (target, site, hash) DO UPDATE SET
                   remote_id = excluded.remote_id, remote_url = excluded.remote_url",
            )
            .bind(&e.target)
            .bind(&e.site)
            .bind(&e.hash)
            .bind(e.remote_id)
            .bind(&e.remote_url)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Closes the connections cleanly (SQLite: the WAL is checkpointed).
    pub async fn close(&self) {
        with_pool!(self, pool => pool.close().await)
    }
}

fn ledger_row(r: &impl Cols) -> Result<LedgerEntry, StoreError> {
    Ok(LedgerEntry {
        target: r.text(0)?,
        article: r.text(1)?,
        locale: r.text(2)?,
        remote_id: r.int(3)?,
        remote_url: r.text(4)?,
        hash: r.text(5)?,
        updated_at: r.text(6)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_have_the_same_migrations() {
        let names = |m: Migrations| m.iter().map(|(v, d, _)| (*v, *d)).collect::<Vec<_>>();
        assert_eq!(names(SQLITE_MIGRATIONS), names(POSTGRES_MIGRATIONS));
    }

    #[test]
    fn store_urls_are_checked_and_passwords_never_shown() {
        let base = Path::new("/srv/clinic");
        let pg = Location::from_url("postgres://nashr:S3cret@db.internal:5432/nashr?sslmode=require", base).unwrap();
        assert_eq!(
            pg.shown(),
            "postgres://nashr:***@db.internal:5432/nashr?sslmode=require"
        );
        assert!(!format!("{pg:?}").contains("S3cret"));
        assert_eq!(
            redact("postgres://u@h/d?password=S3cret&sslmode=disable"),
            "postgres://u@h/d?password=***&sslmode=disable"
        );
        assert_eq!(redact("postgres://u@h/d"), "postgres://u@h/d");
        assert_eq!(
            Location::from_url("sqlite:state/x.db", base).unwrap(),
            Location::Sqlite(base.join("state/x.db"))
        );
        let err = Location::from_url("mysql://u:S3cret@h/d", base)
            .unwrap_err()
            .to_string();
        assert!(err.contains("neither postgres://") && !err.contains("S3cret"), "{err}");
        let err = Location::from_url("postgres://u:S3cret@h:notaport/d", base)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("invalid PostgreSQL URL") && !err.contains("S3cret"),
            "{err}"
        );
    }
}
