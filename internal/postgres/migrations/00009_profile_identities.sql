-- profiles.identities holds each live profile's identities as an
-- identities doc (clientele.MarshalIdentitiesDoc), NULL for none, as the
-- SQLite store's does (its 00007): a profile read (above all the lock and
-- load of a chunk's matched profiles) takes them from the row it reads
-- anyway, instead of a query of the identities table and, once the tables
-- outgrow shared_buffers, random page reads of its heap and its profile_id
-- index per profile. The identities table stays what holds the pairs
-- unique and finds an identity's owner by key; the one transaction that
-- writes a profile writes both.
--
-- text, as data is (00001): nothing filters on the doc, so jsonb would only
-- make the server parse and re-encode it on every write and print it back
-- on every read. pgx sends and receives text as its bytes, in both
-- directions, and the reader decodes it straight from the driver's buffer.
-- bytea would cost the same on the wire but lose the UTF-8 check and make
-- the column unreadable in psql. No index, so an update that writes it
-- stays HOT (fillfactor 80, 00007), and no statistics: nothing filters on
-- it, and a column at the default target would make every ANALYZE of
-- profiles sample 30,000 rows again (00008).
--
-- The backfill writes the doc through json_build_object: the same members
-- MarshalIdentitiesDoc writes, times as unix microseconds (exact: extract
-- returns numeric from PostgreSQL 14; before it, a double that the cast
-- rounds to the stored microsecond), with PostgreSQL's spacing, which the
-- doc reader skips. The next write of a profile writes it compact.

-- Upgrading: stop every node of an older build before starting one of this
-- build (or migrating with it). An older node would go on writing
-- profiles without their doc, and this build reads identities from the
-- doc alone: such a profile's identities would seem gone, and writes that
-- re-add them would fail on the table's unique key. The backfill runs in
-- the migration's transaction, with profiles locked: a million profiles
-- took 92 s on the bench machine and left the table at 3.7 GB instead of
-- 2.1 (the old row versions) until a VACUUM. So for a large store run
-- `clientele migrate` before starting any node (a starting node waits two
-- minutes at most for another's migration), then VACUUM profiles.

-- +goose Up
ALTER TABLE profiles ADD COLUMN identities text;
ALTER TABLE profiles ALTER COLUMN identities SET STATISTICS 0;
UPDATE profiles p SET identities = d.doc
FROM (
    SELECT profile_id, json_agg(json_build_object(
            'id', id, 'handle', handle, 'identifier', identifier,
            'is_active', is_active, 'is_primary', is_primary,
            'created_at', (extract(epoch FROM created_at) * 1000000)::bigint,
            'updated_at', (extract(epoch FROM updated_at) * 1000000)::bigint)
        ORDER BY id)::text AS doc
    FROM identities
    GROUP BY profile_id
) d
WHERE p.id = d.profile_id AND p.removed_at IS NULL;

-- +goose Down
ALTER TABLE profiles DROP COLUMN identities;
