-- Webhooks (spec §4.9, §10, §13 E7–E9): subscriptions, the router's cursor
-- over the events outbox, deliveries and their attempts, and settings (the
-- generated signing secret).

-- +goose Up

-- batches.origin is the namespace of the token that submitted the batch
-- (a token's namespace is its name): the router holds the batch's events
-- back from webhooks of that namespace (loop prevention, spec §10.2).
ALTER TABLE batches ADD COLUMN origin TEXT NOT NULL DEFAULT '';
-- events.origin is the same for a change no batch made (a profile route's,
-- once they exist): the namespace of the token that made it. Batch events
-- leave it '' and take their batch's.
ALTER TABLE events ADD COLUMN origin TEXT NOT NULL DEFAULT '';

-- (trigger, url) is unique (spec §4.9 DECISION), compared exactly.
CREATE TABLE webhooks (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    trigger      TEXT NOT NULL,
    url          TEXT NOT NULL,
    namespace    TEXT NOT NULL,
    user_id      INTEGER NOT NULL,
    is_active    INTEGER NOT NULL,
    retry_hourly INTEGER NOT NULL,
    retry_daily  INTEGER,
    queue        TEXT,
    condition    TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (trigger, url)
);

-- webhook_router is one row: how far the router has read the events
-- outbox (position, and the ids it passed before they were visible, as a
-- JSON array of {id, seen}), and which node's router holds it.
CREATE TABLE webhook_router (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    position         INTEGER NOT NULL,
    gaps             TEXT NOT NULL,
    lease_owner      TEXT,
    lease_token      TEXT,
    lease_expires_at INTEGER
);
-- The router starts at the end of the outbox: events written before
-- webhooks existed were never meant for them.
INSERT INTO webhook_router (id, position, gaps)
    SELECT 1, coalesce(max(id), 0), '[]' FROM events;

-- webhook_deliveries is one event on its way to one webhook. message_id
-- is the Standard Webhooks webhook-id, the same on every attempt. A claim is a
-- lease (owner, token, expiry): a node that dies mid-send loses it, and the
-- delivery is sent again.
CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id       INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id         INTEGER NOT NULL,
    event_type       TEXT NOT NULL,
    message_id       TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    retry_base       INTEGER NOT NULL DEFAULT 0,
    last_status_code INTEGER,
    last_error       TEXT,
    next_attempt_at  INTEGER,
    delivered_at     INTEGER,
    lease_owner      TEXT,
    lease_token      TEXT,
    lease_expires_at INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (event_id, webhook_id)
);
-- The dispatcher's claim scans only pending deliveries, earliest due first.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id) WHERE status = 'pending';
-- The delivery log pages a webhook's deliveries newest first; the cascade
-- from webhooks uses it too.
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);

-- webhook_payloads holds each delivery's body, rendered once, when the
-- router creates the delivery. It is a table of its own so that delivery
-- rows stay small: claims and attempts rewrite them, and a body (a few KB)
-- in the row would make every such write rewrite a page per delivery.
CREATE TABLE webhook_payloads (
    delivery_id INTEGER PRIMARY KEY REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    body        TEXT NOT NULL
);

-- webhook_attempts records every attempt of a delivery.
CREATE TABLE webhook_attempts (
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    number      INTEGER NOT NULL,
    started_at  INTEGER NOT NULL,
    duration_us INTEGER NOT NULL,
    status_code INTEGER,
    error       TEXT,
    PRIMARY KEY (delivery_id, number)
) WITHOUT ROWID;

-- settings holds values every node of the database shares.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
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
