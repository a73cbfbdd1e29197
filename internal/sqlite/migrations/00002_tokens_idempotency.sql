-- Token management (spec §10.4-§10.6) and batch idempotency keys (spec §13
-- E4). Times are UTC unix microseconds, as in 00001.

-- +goose Up

-- GET /auth/access-tokens lists one user's tokens, oldest first.
CREATE INDEX tokens_user ON tokens (user_id, created_at, id);

-- idempotency_keys remembers, per user and key, the request that first used
-- the key (its SHA-256) and the batch it created, until expires_at. The key
-- is the row (WITHOUT ROWID), and the primary key is what makes two
-- submissions of one key create one batch.
CREATE TABLE idempotency_keys (
    user_id      INTEGER NOT NULL,
    key          TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    batch_id     TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
) WITHOUT ROWID;
-- Expired keys are pruned a few at a time by later submissions.
CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);

-- +goose Down
DROP TABLE idempotency_keys;
DROP INDEX tokens_user;
