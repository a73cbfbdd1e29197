-- identities is keyed by (profile_id, id) instead of (handle, identifier),
-- with the pair that must be unique in an index.
--
-- Why: a matched profile's identities are read on every batch update. Keyed
-- by the pair, that read took the profile_id index and then one random
-- page of the table per identity; keyed by profile, it is one range of one
-- page, and since profile ids are time-ordered, a load appends to the table
-- instead of writing a random page of it per identity. The pair's index
-- holds the key columns too, so finding an identity's owner reads the
-- index alone. Matching 20,000 profiles spread over a million, SQLite read
-- 4.7 pages a profile from the file instead of 6.6 (docs/performance.md).

-- +goose Up
CREATE TABLE identities_by_profile (
    profile_id  TEXT NOT NULL,
    id          INTEGER NOT NULL,
    handle      TEXT NOT NULL,
    identifier  TEXT NOT NULL,
    is_active   INTEGER NOT NULL,
    is_primary  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (profile_id, id)
) WITHOUT ROWID;
INSERT INTO identities_by_profile
    SELECT profile_id, id, handle, identifier, is_active, is_primary, created_at, updated_at
    FROM identities ORDER BY profile_id, id;
DROP TABLE identities;
ALTER TABLE identities_by_profile RENAME TO identities;
CREATE UNIQUE INDEX identities_key ON identities (handle, identifier);

-- +goose Down
CREATE TABLE identities_by_key (
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
INSERT INTO identities_by_key
    SELECT handle, identifier, id, profile_id, is_active, is_primary, created_at, updated_at
    FROM identities;
DROP TABLE identities;
ALTER TABLE identities_by_key RENAME TO identities;
CREATE INDEX identities_profile_id ON identities (profile_id);
