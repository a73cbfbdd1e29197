-- Times are UTC unix microseconds (INTEGER): compact, sortable, and the
-- precision PostgreSQL keeps too.

-- +goose Up

-- profiles holds a column for what is matched, unique, filtered or sorted,
-- and the rest of the profile as JSON in data (clientele.MarshalProfileDoc).
-- first_name_fold and last_name_fold are the names lower-cased by Go
-- (strings.ToLower): SQLite's lower() folds ASCII only, so equality filters,
-- search and sorting "without case" compare these, identically in both
-- stores. email is stored normalised (lower-cased) already.
CREATE TABLE profiles (
    id              TEXT PRIMARY KEY,
    email           TEXT,
    mobile_phone    TEXT,
    first_name      TEXT NOT NULL,
    last_name       TEXT NOT NULL,
    first_name_fold TEXT NOT NULL,
    last_name_fold  TEXT NOT NULL,
    profile_type    TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    removed_at      INTEGER,
    version         INTEGER NOT NULL,
    data            TEXT NOT NULL
);
-- Uniqueness is among live profiles: a removed profile frees its keys.
CREATE UNIQUE INDEX profiles_email ON profiles (email) WHERE removed_at IS NULL;
CREATE UNIQUE INDEX profiles_mobile_phone ON profiles (mobile_phone) WHERE removed_at IS NULL;
CREATE INDEX profiles_first_name ON profiles (first_name_fold, id);
CREATE INDEX profiles_last_name ON profiles (last_name_fold, id);
CREATE INDEX profiles_created_at ON profiles (created_at, id);
-- No index on profile_type or updated_at: every insert (and, for
-- updated_at, every update) would pay for them on the apply path, for a
-- filter that selects a large share of profiles anyway and a rare sort.

-- identities is the one home of live profiles' identities, keyed by the
-- pair that must be unique among them (WITHOUT ROWID: the key is the row,
-- one b-tree fewer to write per identity). A profile that is removed takes
-- its identities out of this table, which frees the pairs. ids come from
-- sequences, like every child record's. No foreign key: the one
-- transaction that writes a profile writes its identities, and the check
-- would cost a lookup per row on the hottest path.
CREATE TABLE identities (
    handle      TEXT NOT NULL,
    identifier  TEXT NOT NULL,
    id          INTEGER NOT NULL,
    profile_id  TEXT NOT NULL,
    is_active   INTEGER NOT NULL,
    is_primary  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (handle, identifier)
) WITHOUT ROWID;
CREATE INDEX identities_profile_id ON identities (profile_id);

-- sequences hands out ids in blocks: an apply transaction reserves every id
-- its new child records need (identities, custom attributes, dates,
-- addresses) with one UPDATE … RETURNING, so ids are global, unique and
-- never reused, even for records that live inside profiles.data.
CREATE TABLE sequences (
    name       TEXT PRIMARY KEY,
    next_value INTEGER NOT NULL
);
INSERT INTO sequences (name, next_value) VALUES ('profile_child', 1);

-- batches is the queue. seq orders it (FIFO) and is the compact key of the
-- payload and item tables; id is the public UUID.
CREATE TABLE batches (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT NOT NULL UNIQUE,
    import_job_id    INTEGER,
    match_criteria   TEXT NOT NULL,
    status           TEXT NOT NULL,
    total_count      INTEGER NOT NULL,
    processed_count  INTEGER NOT NULL DEFAULT 0,
    success_count    INTEGER NOT NULL DEFAULT 0,
    failed_count     INTEGER NOT NULL DEFAULT 0,
    created_count    INTEGER NOT NULL DEFAULT 0,
    updated_count    INTEGER NOT NULL DEFAULT 0,
    unchanged_count  INTEGER NOT NULL DEFAULT 0,
    cursor           INTEGER NOT NULL DEFAULT 0,
    lease_owner      TEXT,
    lease_token      TEXT,
    lease_expires_at INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    started_at       INTEGER,
    completed_at     INTEGER
);
-- Only unfinished batches are claimable, so the claim scans only those.
CREATE INDEX batches_queue ON batches (seq) WHERE status IN ('pending', 'processing');

-- batch_payloads holds the accepted items, one row per ChunkSize items: the
-- accept transaction writes total/ChunkSize rows, not one per item, and a
-- worker reads one row per chunk. match_values precedes items so that
-- reading it (pending items' match values) stops before the large column.
CREATE TABLE batch_payloads (
    batch_seq    INTEGER NOT NULL REFERENCES batches (seq),
    chunk_no     INTEGER NOT NULL,
    match_values TEXT NOT NULL,
    items        TEXT NOT NULL,
    PRIMARY KEY (batch_seq, chunk_no)
);

-- batch_items holds the result of each applied item, written by the apply
-- transaction; an item without a row is pending. status is derived from
-- outcome (failed or success), and created_at is the batch's. No foreign
-- key, for the reason identities has none.
CREATE TABLE batch_items (
    batch_seq           INTEGER NOT NULL,
    idx                 INTEGER NOT NULL,
    outcome             TEXT NOT NULL,
    entity_id           TEXT,
    match_value         TEXT,
    errors              TEXT,
    conflict_profile_id TEXT,
    updated_at          INTEGER NOT NULL,
    PRIMARY KEY (batch_seq, idx)
) WITHOUT ROWID;

-- events is the outbox: one row per successful change, written in the
-- transaction that made it. AUTOINCREMENT so that an id is never reused
-- after old events are pruned: the webhook router reads past a high-water
-- mark.
CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    type       TEXT NOT NULL,
    profile_id TEXT NOT NULL,
    batch_id   TEXT,
    version    INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE tokens (
    id         TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL,
    client_id  INTEGER NOT NULL,
    name       TEXT NOT NULL,
    scopes     TEXT NOT NULL,
    revoked    INTEGER NOT NULL,
    hash       BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE tokens;
DROP TABLE events;
DROP TABLE batch_items;
DROP TABLE batch_payloads;
DROP TABLE batches;
DROP TABLE sequences;
DROP TABLE identities;
DROP TABLE profiles;
