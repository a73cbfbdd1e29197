-- batch_payloads.items is one text[] of ChunkSize items, about 0.5 MB,
-- which PostgreSQL compresses when it moves it to TOAST. With the default
-- pglz that compression was about 7% of the server's CPU in an HTTP load
-- of new profiles (perf); lz4 compresses several times faster, and still
-- shrinks these repetitive payloads about tenfold. Only new values are
-- affected: rows already stored stay readable as they are. A server built
-- without lz4, or older than 14, keeps pglz (the migration must not fail
-- there: the README promises PostgreSQL 12 or later).

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    -- Dynamic, so that a server before PostgreSQL 14 (no SET COMPRESSION:
    -- a syntax error) fails here, where it is caught, not when the block
    -- is parsed.
    EXECUTE 'ALTER TABLE batch_payloads ALTER COLUMN items SET COMPRESSION lz4';
EXCEPTION WHEN feature_not_supported OR syntax_error THEN
    NULL;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE 'ALTER TABLE batch_payloads ALTER COLUMN items SET COMPRESSION default';
EXCEPTION WHEN feature_not_supported OR syntax_error THEN
    NULL;
END
$$;
-- +goose StatementEnd
