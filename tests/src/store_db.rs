//! Test databases for both backends of the state store: a SQLite file in a temporary
//! directory, or a schema of its own in the PostgreSQL database `test` on 127.0.0.1:5432
//! (`NASHR_TEST_POSTGRES_URL` to use another), so parallel tests and other users of that
//! database never see each other's tables. The schema is dropped when the `TestDb` is, also
//! when a test panics; schemas left by a killed test run are dropped by the next one after an
//! hour.

use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nashr_store::{Location, Store};
use sqlx::Connection;

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

/// Runs `sql` (one or more statements) on the PostgreSQL server itself, outside any test
/// schema.
async fn on_server(sql: &str) -> Result<(), sqlx::Error> {
    let mut server = sqlx::PgConnection::connect(&postgres_url()).await?;
    sqlx::raw_sql(sql).execute(&mut server).await?;
    server.close().await
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
        let now = unix_now();
        let schema = format!("{SCHEMA_PREFIX}{now}_{:012x}", random() & 0xffff_ffff_ffff);
        // Schemas of test runs that were killed before they could clean up: their names carry
        // the Unix time they were made at.
        let cleanup = format!(
            "DO $$
             DECLARE old text;
             BEGIN
               FOR old IN SELECT nspname::text FROM pg_namespace
                 WHERE CASE WHEN nspname ~ '^{SCHEMA_PREFIX}[0-9]{{1,18}}_'
                       THEN split_part(substr(nspname, {start}), '_', 1)::bigint + 3600 < {now}
                       ELSE false END
               LOOP
                 EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', old);
               END LOOP;
             END $$;
             CREATE SCHEMA \"{schema}\"",
            start = SCHEMA_PREFIX.len() + 1
        );
        on_server(&cleanup).await.unwrap_or_else(|e| {
            panic!("PostgreSQL for the tests is not reachable ({e}): run `make services` (scripts/postgres.sh)")
        });
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

    /// Runs `sql` on the test database directly, not through the store: a change made behind
    /// the store's back, as another program or a person at a SQL prompt would.
    pub async fn execute(&self, sql: &str) {
        let result = match &self.location {
            Location::Sqlite(path) => {
                let url = format!("sqlite:{}", path.display());
                match sqlx::SqliteConnection::connect(&url).await {
                    Ok(mut c) => sqlx::raw_sql(sql).execute(&mut c).await.map(drop),
                    Err(e) => Err(e),
                }
            }
            Location::Postgres(url) => match sqlx::PgConnection::connect(url).await {
                Ok(mut c) => sqlx::raw_sql(sql).execute(&mut c).await.map(drop),
                Err(e) => Err(e),
            },
        };
        result.unwrap_or_else(|e| panic!("{sql}: {e}"));
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
            rt.block_on(tokio::time::timeout(
                Duration::from_secs(30),
                on_server(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE")),
            ))
            .ok()
        })
        .join();
    }
}

/// Runs each `async fn name(db: &TestDb)` of the calling module once on SQLite and once on
/// PostgreSQL: `sqlite::name` and `postgres::name`, the same test body on both backends.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let db = $crate::store_db::TestDb::sqlite();
                    super::$name(&db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let db = $crate::store_db::TestDb::postgres().await;
                    super::$name(&db).await;
                }
            )*
        }
    };
}
