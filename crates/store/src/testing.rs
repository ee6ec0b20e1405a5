//! Test databases for both backends (used by this crate's tests and by `nashr-tests`): a
//! SQLite file in a temporary directory, or a schema of its own in the PostgreSQL database
//! `test` on 127.0.0.1:5432 (`NASHR_TEST_POSTGRES_URL` to use another), so parallel tests and
//! other users of that database never see each other's tables. The schema is dropped when the
//! `TestDb` is, also when a test panics; schemas left by a killed test run are dropped by the
//! next one after an hour.

use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::Connection;

use crate::{Cols, Location, Store};

pub const POSTGRES_URL_ENV: &str = "NASHR_TEST_POSTGRES_URL";
const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const SCHEMA_PREFIX: &str = "nashr_t_";

/// The PostgreSQL server the tests use (trust authentication on 127.0.0.1).
pub fn postgres_url() -> String {
    std::env::var(POSTGRES_URL_ENV).unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_string())
}

pub struct TestDb {
    /// Where the store is: open it as often as the test likes.
    pub location: Location,
    _dir: Option<tempfile::TempDir>,
    schema: Option<String>,
}

fn random() -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    h.finish()
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temporary directory");
        TestDb {
            location: Location::Sqlite(dir.path().join(".nashr/state.db")),
            _dir: Some(dir),
            schema: None,
        }
    }

    /// A fresh, empty schema. Panics (a test failure, never a skip) when PostgreSQL is not
    /// reachable, naming what to start.
    pub async fn postgres() -> TestDb {
        let base = postgres_url();
        let schema = format!("{SCHEMA_PREFIX}{}_{:012x}", unix_now(), random() & 0xffff_ffff_ffff);
        let mut conn = sqlx::PgConnection::connect(&base).await.unwrap_or_else(|e| {
            panic!(
                "PostgreSQL for the tests is not reachable at {} ({e}): run `make services` (scripts/postgres.sh)",
                crate::redact(&base)
            )
        });
        // Schemas of test runs that were killed before they could clean up.
        let old: Vec<String> = sqlx::query("SELECT nspname::text FROM pg_namespace WHERE starts_with(nspname, $1)")
            .bind(SCHEMA_PREFIX)
            .fetch_all(&mut conn)
            .await
            .expect("list test schemas")
            .iter()
            .filter_map(|r| r.text(0).ok())
            .filter(|name| {
                let secs = name[SCHEMA_PREFIX.len()..]
                    .split('_')
                    .next()
                    .and_then(|s| s.parse::<u64>().ok());
                secs.is_some_and(|s| s + 3600 < unix_now())
            })
            .collect();
        for name in old {
            let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"))
                .execute(&mut conn)
                .await;
        }
        sqlx::query(&format!("CREATE SCHEMA \"{schema}\""))
            .execute(&mut conn)
            .await
            .expect("create the test schema");
        let _ = conn.close().await;
        let sep = if base.contains('?') { '&' } else { '?' };
        TestDb {
            location: Location::Postgres(format!("{base}{sep}options=-c%20search_path%3D{schema}")),
            _dir: None,
            schema: Some(schema),
        }
    }

    /// The store URL for `NASHR_STORE_URL` (PostgreSQL) or `sqlite:PATH`.
    pub fn url(&self) -> String {
        match &self.location {
            Location::Sqlite(p) => format!("sqlite:{}", p.display()),
            Location::Postgres(url) => url.clone(),
        }
    }

    /// Opens the store (migrated).
    pub async fn open(&self) -> Store {
        Store::connect(&self.location)
            .await
            .unwrap_or_else(|e| panic!("open the test store: {e}"))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(schema) = self.schema.take() else { return };
        // Drop may run inside an async test: a thread with its own runtime does the work.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&postgres_url()).await.ok()?;
                let _ = tokio::time::timeout(
                    Duration::from_secs(30),
                    sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE")).execute(&mut conn),
                )
                .await;
                conn.close().await.ok()
            })
        })
        .join();
    }
}

/// Runs each `async fn name(db: &TestDb)` of the calling module once on SQLite and once on
/// PostgreSQL: `sqlite::name` and `postgres::name`, the same test body on both backends.
#[macro_export]
#[doc(hidden)]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let db = $crate::testing::TestDb::sqlite();
                    super::$name(&db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let db = $crate::testing::TestDb::postgres().await;
                    super::$name(&db).await;
                }
            )*
        }
    };
}
pub use on_both_backends;
