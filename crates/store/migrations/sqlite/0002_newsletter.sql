-- Newsletter subscribers. The address (lower-cased) is the key: importing it again updates it.
CREATE TABLE subscribers (
    email         TEXT PRIMARY KEY,
    name          TEXT NOT NULL DEFAULT '',
    locale        TEXT NOT NULL,
    consent       TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'unsubscribed', 'bounced')),
    status_reason TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- The delivery ledger: one row per issue x recipient.
--   queued -> sending -> sent
--                     -> retry (4xx; next_attempt_at) -> sending ...
--                     -> failed (5xx, or too many attempts)
--   queued/retry -> skipped (unsubscribed or bounced meanwhile)
-- A row is claimed by setting state = 'sending' with an owner and a lease; a row still
-- 'sending' after its lease (or whose owner died) is claimed again: its message may have been
-- accepted already, which is the one case that can send a duplicate.
CREATE TABLE deliveries (
    issue           TEXT NOT NULL,
    email           TEXT NOT NULL,
    locale          TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'retry', 'failed', 'skipped')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    lease_owner     TEXT,
    lease_until     INTEGER,
    message_id      TEXT,
    last_error      TEXT,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (issue, email)
);
-- next_attempt_at is when the row is next due: 0 when queued, the retry time after a 4xx, the
-- lease's end while sending. Claims walk this index in due order and stop after n rows.
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state IN ('queued', 'retry', 'sending');

-- Scheduled jobs (a newsletter send at a time). At most one active job per kind and target.
CREATE TABLE jobs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,
    target      TEXT NOT NULL,
    run_at      INTEGER NOT NULL,
    tz          TEXT NOT NULL,
    local_time  TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('scheduled', 'running', 'done', 'cancelled', 'failed')),
    lease_owner TEXT,
    lease_until INTEGER,
    error       TEXT,
    created_at  INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE UNIQUE INDEX jobs_one_active ON jobs (kind, target) WHERE state IN ('scheduled', 'running');
