-- Token management (spec §10.4-§10.6) and batch idempotency keys (spec §13
-- E4).

-- +goose Up

-- GET /auth/access-tokens lists one user's tokens, oldest first.
CREATE INDEX tokens_user ON tokens (user_id, created_at, id);

-- idempotency_keys remembers, per user and key, the request that first used
-- the key (its SHA-256) and the batch it created, until expires_at. The
-- primary key is what makes two submissions of one key, on any nodes,
-- create one batch: the second waits for the first's row and finds it
-- (INSERT … ON CONFLICT in postgres/idempotency.go).
CREATE TABLE idempotency_keys (
    user_id      bigint NOT NULL,
    key          text COLLATE "C" NOT NULL,
    request_hash bytea NOT NULL,
    batch_id     text COLLATE "C" NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (user_id, key)
);
-- Expired keys are pruned a few at a time by later submissions.
CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);

-- +goose Down
DROP TABLE idempotency_keys;
DROP INDEX tokens_user;
