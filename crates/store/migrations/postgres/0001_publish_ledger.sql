-- The publish ledger: what nashr last sent to each target, per article and locale.
-- The same logical schema as migrations/sqlite/0001 (integers are BIGINT: sqlx reads them as i64).
CREATE TABLE publish_ledger (
    target     TEXT NOT NULL,
    article    TEXT NOT NULL,
    locale     TEXT NOT NULL,
    remote_id  BIGINT NOT NULL,
    remote_url TEXT NOT NULL,
    hash       TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (target, article, locale)
);

-- Files uploaded to a target (WordPress media), by the SHA-256 of their bytes, per site.
CREATE TABLE publish_media (
    target     TEXT NOT NULL,
    site       TEXT NOT NULL,
    hash       TEXT NOT NULL,
    remote_id  BIGINT NOT NULL,
    remote_url TEXT NOT NULL,
    PRIMARY KEY (target, site, hash)
);
