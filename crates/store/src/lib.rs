//! nashr's state store. For now it holds the publish ledger: per target × article × locale,
//! the remote id and URL of what nashr published and a hash of what it sent, and the media
//! files uploaded to each site by the hash of their bytes.
//!
//! SQLite is the embedded default (`.nashr/state.db`). The interface is small and async so that
//! a PostgreSQL backend (for several workers) can sit behind the same methods later; the SQL is
//! plain and portable (no query macros, so no database is needed at build time). Versioned
//! migrations are embedded in the binary and run when the store is opened.
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

use sqlx::Row;

mod newsletter;
pub use newsletter::{Claimed, DeliveryCounts, ImportReport, Job, NewSubscriber, Subscriber};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the state store {path}: {source}")]
    Open { path: PathBuf, source: sqlx::Error },
    #[error("cannot update the schema of the state store {path}: {source}")]
    Migrate {
        path: PathBuf,
        source: sqlx::migrate::MigrateError,
    },
    #[error("state store: {0}")]
    Query(#[from] sqlx::Error),
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

/// The migrations, in order; each runs once, in a transaction, when the store is opened.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "publish ledger",
        include_str!("../migrations/0001_publish_ledger.sql"),
    ),
    (
        2,
        "newsletter: subscribers, deliveries, jobs",
        include_str!("../migrations/0002_newsletter.sql"),
    ),
];

fn migrator() -> Migrator {
    let migrations: Vec<Migration> = MIGRATIONS
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

#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating it and its directory if needed) the SQLite store at `path`, and brings
    /// its schema up to date.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
                path: path.to_path_buf(),
                source: sqlx::Error::Io(e),
            })?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            // Several writers (one per concurrent upload) and a reader never block each other
            // for long; each ledger row is committed as soon as its post is published.
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(std::time::Duration::from_secs(10));
        Self::connect(options, path).await
    }

    /// A store that lives in memory only (for tests and `--dry-run` without a ledger).
    pub async fn in_memory() -> Result<Store, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:").map_err(|source| StoreError::Open {
            path: ":memory:".into(),
            source,
        })?;
        Self::connect(options, Path::new(":memory:")).await
    }

    async fn connect(options: SqliteConnectOptions, path: &Path) -> Result<Store, StoreError> {
        // One connection: SQLite serialises writers anyway, and an in-memory database exists
        // per connection.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        migrator().run(&pool).await.map_err(|source| StoreError::Migrate {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Store { pool })
    }

    /// The schema version (the newest migration applied).
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get(0)?)
    }

    pub async fn ledger_get(
        &self,
        target: &str,
        article: &str,
        locale: &str,
    ) -> Result<Option<LedgerEntry>, StoreError> {
        let row = sqlx::query(
            "SELECT target, article, locale, remote_id, remote_url, hash, updated_at FROM publish_ledger
             WHERE target = ? AND article = ? AND locale = ?",
        )
        .bind(target)
        .bind(article)
        .bind(locale)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| ledger_row(&r)).transpose()
    }

    /// Every entry of `target`, by article and locale.
    pub async fn ledger_entries(&self, target: &str) -> Result<Vec<LedgerEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT target, article, locale, remote_id, remote_url, hash, updated_at FROM publish_ledger
             WHERE target = ? ORDER BY article, locale",
        )
        .bind(target)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(ledger_row).collect()
    }

    /// Records (or replaces) one entry; committed when this returns.
    pub async fn ledger_put(&self, e: &LedgerEntry) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO publish_ledger (target, article, locale, remote_id, remote_url, hash, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)
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
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn media_get(&self, target: &str, site: &str, hash: &str) -> Result<Option<MediaEntry>, StoreError> {
        let row = sqlx::query(
            "SELECT target, site, hash, remote_id, remote_url FROM publish_media
             WHERE target = ? AND site = ? AND hash = ?",
        )
        .bind(target)
        .bind(site)
        .bind(hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(MediaEntry {
                target: r.try_get(0)?,
                site: r.try_get(1)?,
                hash: r.try_get(2)?,
                remote_id: r.try_get(3)?,
                remote_url: r.try_get(4)?,
            })
        })
        .transpose()
    }

    pub async fn media_put(&self, e: &MediaEntry) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO publish_media (target, site, hash, remote_id, remote_url) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (target, site, hash) DO UPDATE SET
               remote_id = excluded.remote_id, remote_url = excluded.remote_url",
        )
        .bind(&e.target)
        .bind(&e.site)
        .bind(&e.hash)
        .bind(e.remote_id)
        .bind(&e.remote_url)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Closes the connections cleanly (the WAL is checkpointed).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn ledger_row(r: &sqlx::sqlite::SqliteRow) -> Result<LedgerEntry, StoreError> {
    Ok(LedgerEntry {
        target: r.try_get(0)?,
        article: r.try_get(1)?,
        locale: r.try_get(2)?,
        remote_id: r.try_get(3)?,
        remote_url: r.try_get(4)?,
        hash: r.try_get(5)?,
        updated_at: r.try_get(6)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(hash: &str) -> LedgerEntry {
        LedgerEntry {
            target: "wp".into(),
            article: "acupuncture".into(),
            locale: "fa".into(),
            remote_id: 42,
            remote_url: "https://fa.example/acupuncture/".into(),
            hash: hash.into(),
            updated_at: "2026-11-26T00:00:00Z".into(),
        }
    }

    #[tokio::test]
    async fn ledger_survives_reopening_and_upserts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".nashr/state.db");
        let store = Store::open(&path).await.unwrap();
        assert_eq!(store.schema_version().await.unwrap(), 2);
        assert_eq!(store.ledger_get("wp", "acupuncture", "fa").await.unwrap(), None);
        store.ledger_put(&entry("a")).await.unwrap();
        store.ledger_put(&entry("b")).await.unwrap();
        store.close().await;

        // Reopening runs no migration twice and finds the row, updated in place.
        let store = Store::open(&path).await.unwrap();
        assert_eq!(store.ledger_entries("wp").await.unwrap(), vec![entry("b")]);
        assert!(store.ledger_entries("other").await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn media_by_site_and_hash() {
        let store = Store::in_memory().await.unwrap();
        let m = MediaEntry {
            target: "wp".into(),
            site: "https://fa.example/".into(),
            hash: "abc".into(),
            remote_id: 7,
            remote_url: "https://fa.example/wp-content/uploads/hero.svg".into(),
        };
        store.media_put(&m).await.unwrap();
        assert_eq!(
            store.media_get("wp", "https://fa.example/", "abc").await.unwrap(),
            Some(m)
        );
        assert_eq!(store.media_get("wp", "https://en.example/", "abc").await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_newer_schema_is_reported_not_clobbered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        Store::open(&path).await.unwrap().close().await;
        // A store written by a newer nashr (a migration this binary does not know).
        let store = Store::open(&path).await.unwrap();
        sqlx::query("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (99, 'future', 1, x'00', 0)")
            .execute(&store.pool)
            .await
            .unwrap();
        store.close().await;
        let err = Store::open(&path).await.unwrap_err();
        assert!(err.to_string().contains("cannot update the schema"), "{err}");
    }
}
