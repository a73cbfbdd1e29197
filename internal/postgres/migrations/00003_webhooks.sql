-- Webhooks (spec §4.9, §10, §13 E7–E9): subscriptions, the router's cursor
-- over the events outbox, deliveries and their attempts, and settings (the
-- generated signing secret). Same tables and meaning as internal/sqlite's.

-- +goose Up

-- batches.origin is the namespace of the token that submitted the batch
-- (a token's namespace is its name): the router holds the batch's events
-- back from webhooks of that namespace (loop prevention, spec §10.2). A
-- constant default adds the column without rewriting the table.
ALTER TABLE batches ADD COLUMN origin text NOT NULL DEFAULT '';
-- events.origin is the same for a change no batch made (a profile route's,
-- once they exist): the namespace of the token that made it. Batch events
-- leave it '' and take their batch's.
ALTER TABLE events ADD COLUMN origin text NOT NULL DEFAULT '';

-- (trigger, url) is unique (spec §4.9 DECISION), compared exactly.
-- condition is text, not jsonb: it is returned verbatim, keys in the order
-- sent (spec §4.9).
CREATE TABLE webhooks (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    trigger      text COLLATE "C" NOT NULL,
    url          text COLLATE "C" NOT NULL,
    namespace    text COLLATE "C" NOT NULL,
    user_id      bigint NOT NULL,
    is_active    boolean NOT NULL,
    retry_hourly boolean NOT NULL,
    retry_daily  boolean,
    queue        text,
    condition    text,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    UNIQUE (trigger, url)
);

-- webhook_router is one row: how far the router has read the events
-- outbox (position, and the ids it passed before their transactions
-- committed, as a JSON array of {id, seen}), and which node's router holds
-- it (a lease, so that one router routes at a time).
CREATE TABLE webhook_router (
    id               integer PRIMARY KEY CHECK (id = 1),
    position         bigint NOT NULL,
    gaps             text NOT NULL,
    lease_owner      text,
    lease_token      text COLLATE "C",
    lease_expires_at timestamptz
);
-- The router starts at the end of the outbox: events written before
-- webhooks existed were never meant for them.
INSERT INTO webhook_router (id, position, gaps)
    SELECT 1, coalesce(max(id), 0), '[]' FROM events;

-- webhook_deliveries is one event on its way to one webhook. message_id
-- is the Standard Webhooks webhook-id, the same on every attempt. A claim is a
-- lease (owner, token, expiry), taken with FOR UPDATE SKIP LOCKED: a node
-- that dies mid-send loses it, and the delivery is sent again.
CREATE TABLE webhook_deliveries (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id       bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id         bigint NOT NULL,
    event_type       text NOT NULL,
    message_id       text NOT NULL,
    status           text COLLATE "C" NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    retry_base       integer NOT NULL DEFAULT 0,
    last_status_code integer,
    last_error       text,
    next_attempt_at  timestamptz,
    delivered_at     timestamptz,
    lease_owner      text,
    lease_token      text COLLATE "C",
    lease_expires_at timestamptz,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    UNIQUE (event_id, webhook_id)
);
-- The dispatcher's claim scans only pending deliveries, earliest due first.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id) WHERE status = 'pending';
-- The delivery log pages a webhook's deliveries newest first; the cascade
-- from webhooks uses it too.
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);

-- webhook_payloads holds each delivery's body, rendered once, when the
-- router creates the delivery: apart, so that claims and attempts update
-- small delivery rows (as in the SQLite schema).
CREATE TABLE webhook_payloads (
    delivery_id bigint PRIMARY KEY REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    body        text NOT NULL
);

-- webhook_attempts records every attempt of a delivery.
CREATE TABLE webhook_attempts (
    delivery_id bigint NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    number      integer NOT NULL,
    started_at  timestamptz NOT NULL,
    duration_us bigint NOT NULL,
    status_code integer,
    error       text,
    PRIMARY KEY (delivery_id, number)
);

-- settings holds values every node of the database shares.
CREATE TABLE settings (
    key   text COLLATE "C" PRIMARY KEY,
    value text NOT NULL
);

-- +goose Down
DROP TABLE settings;
DROP TABLE webhook_attempts;
DROP TABLE webhook_payloads;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_router;
DROP TABLE webhooks;
ALTER TABLE events DROP COLUMN origin;
ALTER TABLE batches DROP COLUMN origin;
