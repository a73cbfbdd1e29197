-- claims counts how often a batch has been leased. A batch that keeps
-- failing (a damaged payload, a chunk that can never commit) would
-- otherwise be claimed again at every lease expiry, forever; the worker
-- ends it as failed once claims pass clientele.MaxBatchClaims.

-- +goose Up
ALTER TABLE batches ADD COLUMN claims INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE batches DROP COLUMN claims;
