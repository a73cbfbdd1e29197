-- The schema mirrors internal/sqlite's (same tables, same meaning) in
-- PostgreSQL's types: timestamptz for times, text[] for lists, bigint
-- identities and sequences for ids. Text columns that are compared, sorted
-- or unique are COLLATE "C": byte order, like SQLite, whatever the
-- database's default collation, and cheaper to compare.
--
-- Everything here stays inside the portable subset of DESIGN §4: plain
-- tables, b-tree indexes (partial ones included), sequences.

-- +goose Up

-- profiles holds a column for what is matched, unique, filtered or sorted,
-- and the rest of the profile as JSON text in data
-- (clientele.MarshalProfileDoc). text, not jsonb: nothing filters on the
-- doc, and jsonb would make the server parse and re-encode every doc the
-- apply path writes. first_name_fold and last_name_fold are the names
-- lower-cased by Go (strings.ToLower), so that filters, search and sorting
-- "without case" behave exactly as in the SQLite store. email is stored
-- normalised (lower-cased) already.
--
-- fillfactor stays at 100. At 50 every "matched" update is HOT (no index
-- entries) and BenchmarkApplyChunk/matched gained about 15%, but "new" lost
-- as much or more, and loads of new profiles are what the targets are.
-- (00007 sets 80, measured at a million profiles.)
CREATE TABLE profiles (
    id              text COLLATE "C" PRIMARY KEY,
    email           text COLLATE "C",
    mobile_phone    text COLLATE "C",
    first_name      text NOT NULL,
    last_name       text NOT NULL,
    first_name_fold text COLLATE "C" NOT NULL,
    last_name_fold  text COLLATE "C" NOT NULL,
    profile_type    text COLLATE "C" NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    removed_at      timestamptz,
    version         bigint NOT NULL,
    data            text NOT NULL
);
-- Nothing filters on the doc, so the planner needs no statistics of it,
-- and gathering them was most of what an ANALYZE of profiles cost (wide
-- values to detoast, sort and compare).
ALTER TABLE profiles ALTER COLUMN data SET STATISTICS 0;
-- Uniqueness is among live profiles: a removed profile frees its keys.
-- These two indexes are the final guard against two nodes creating a
-- profile for one key: the apply path retries its chunk when they refuse
-- a row. NULLS FIRST makes the email index serve both orders of the email
-- sort (nulls first ascending, last descending, as in SQLite).
CREATE UNIQUE INDEX profiles_email ON profiles (email NULLS FIRST) WHERE removed_at IS NULL;
CREATE UNIQUE INDEX profiles_mobile_phone ON profiles (mobile_phone) WHERE removed_at IS NULL;
CREATE INDEX profiles_first_name ON profiles (first_name_fold, id);
CREATE INDEX profiles_last_name ON profiles (last_name_fold, id);
CREATE INDEX profiles_created_at ON profiles (created_at, id);
-- No index on profile_type or updated_at, for the reason the SQLite schema
-- gives: every insert (and, for updated_at, every update, which would then
-- never be HOT) would pay for them on the apply path.

-- identities holds live profiles' identities, keyed by the pair that must
-- be unique among them (since 00009 each profile's row holds a copy of its
-- own, which is what reads take). A profile that is removed takes its
-- identities out of this table, which frees the pairs. ids come from
-- profile_child_ids. No foreign key: the one transaction that writes a
-- profile writes its identities, and the check would cost a lookup per row
-- on the hottest path.
CREATE TABLE identities (
    handle      text COLLATE "C" NOT NULL,
    identifier  text COLLATE "C" NOT NULL,
    id          bigint NOT NULL,
    profile_id  text COLLATE "C" NOT NULL,
    is_active   boolean NOT NULL,
    is_primary  boolean NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (handle, identifier)
);
CREATE INDEX identities_profile_id ON identities (profile_id);

-- profile_child_ids numbers every child record (identities, custom
-- attributes, dates, addresses), including those that live inside
-- profiles.data. An apply transaction takes the ids it needs with one
-- SELECT nextval(…) FROM generate_series(1, n); nextval never waits for
-- another transaction, so nodes do not queue on it as they would on a
-- counter row. CACHE hands each connection ids 64 at a time, which makes
-- nextval cheaper; ids stay unique, not dense or ordered across nodes.
CREATE SEQUENCE profile_child_ids CACHE 64;

-- batches is the queue. seq orders it (FIFO) and is the compact key of the
-- payload and item tables; id is the public UUID.
CREATE TABLE batches (
    seq              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id               text COLLATE "C" NOT NULL UNIQUE,
    import_job_id    bigint,
    match_criteria   text NOT NULL,
    status           text COLLATE "C" NOT NULL,
    total_count      integer NOT NULL,
    processed_count  integer NOT NULL DEFAULT 0,
    success_count    integer NOT NULL DEFAULT 0,
    failed_count     integer NOT NULL DEFAULT 0,
    created_count    integer NOT NULL DEFAULT 0,
    updated_count    integer NOT NULL DEFAULT 0,
    unchanged_count  integer NOT NULL DEFAULT 0,
    cursor           integer NOT NULL DEFAULT 0,
    lease_owner      text,
    lease_token      text COLLATE "C",
    lease_expires_at timestamptz,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    started_at       timestamptz,
    completed_at     timestamptz
);
-- Only unfinished batches are claimable, so the claim scans only those.
CREATE INDEX batches_queue ON batches (seq) WHERE status IN ('pending', 'processing');

-- batch_payloads holds the accepted items, one row per ChunkSize items, as
-- arrays: the accept transaction writes total/ChunkSize rows, not one per
-- item, and a worker reads one row per chunk and gets its items without
-- parsing a JSON array. match_values (the pending items' match values, ""
-- for none) precedes items so that reading it stops before the large
-- column.
CREATE TABLE batch_payloads (
    batch_seq    bigint NOT NULL REFERENCES batches (seq),
    chunk_no     integer NOT NULL,
    match_values text[] NOT NULL,
    items        text[] NOT NULL,
    PRIMARY KEY (batch_seq, chunk_no)
);

-- batch_items holds the result of each applied item, written by the apply
-- transaction; an item without a row is pending. status is derived from
-- outcome (failed or success), and created_at is the batch's. errors is the
-- item's field errors as JSON. No foreign key, for the reason identities
-- has none.
CREATE TABLE batch_items (
    batch_seq           bigint NOT NULL,
    idx                 integer NOT NULL,
    outcome             text COLLATE "C" NOT NULL,
    entity_id           text,
    match_value         text,
    errors              text,
    conflict_profile_id text,
    updated_at          timestamptz NOT NULL,
    PRIMARY KEY (batch_seq, idx)
);

-- events is the outbox: one row per successful change, written in the
-- transaction that made it. An identity column never reuses an id; note
-- that, with several nodes, ids commit out of order, so a reader that
-- reads past a high-water mark must allow for late commits.
CREATE TABLE events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type       text NOT NULL,
    profile_id text NOT NULL,
    batch_id   text,
    version    bigint NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE tokens (
    id         text COLLATE "C" PRIMARY KEY,
    user_id    bigint NOT NULL,
    client_id  bigint NOT NULL,
    name       text NOT NULL,
    scopes     text[] NOT NULL,
    revoked    boolean NOT NULL,
    hash       bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE tokens;
DROP TABLE events;
DROP TABLE batch_items;
DROP TABLE batch_payloads;
DROP TABLE batches;
DROP SEQUENCE profile_child_ids;
DROP TABLE identities;
DROP TABLE profiles;
