-- identities loses its index on profile_id. Since 00009 a profile's row
-- names its identities, so nothing looks them up by profile any more: a
-- profile's read takes them from its row, and removing or purging a
-- profile, and listing a profile's identities, find them by the pairs its
-- row names, through the primary key. The index cost every new identity
-- an entry, three for the bench's average profile: without it a chunk of
-- new profiles applied about 5% faster (storetest's BenchApplyChunk/new,
-- docs/performance-history.md, eighth stop), and a million profiles take
-- some 100 MB less.

-- +goose Up
DROP INDEX identities_profile_id;

-- +goose Down
CREATE INDEX identities_profile_id ON identities (profile_id);
