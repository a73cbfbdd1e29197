-- profiles.identities holds each live profile's identities as an
-- identities doc (clientele.MarshalIdentitiesDoc), NULL for none: a
-- profile read (above all a batch's matched profiles) takes them from the
-- row it reads anyway, instead of a query of the identities table and, once
-- the store outgrows the page cache, a random page read per profile. The
-- identities table stays what holds the pairs unique and finds an identity
-- by key; the one transaction that writes a profile writes both.

-- +goose Up
ALTER TABLE profiles ADD COLUMN identities TEXT;
UPDATE profiles SET identities = (
    SELECT json_group_array(json_object(
        'id', i.id, 'handle', i.handle, 'identifier', i.identifier,
        'is_active', json(CASE WHEN i.is_active THEN 'true' ELSE 'false' END),
        'is_primary', json(CASE WHEN i.is_primary THEN 'true' ELSE 'false' END),
        'created_at', i.created_at, 'updated_at', i.updated_at))
    FROM identities i WHERE i.profile_id = profiles.id)
WHERE removed_at IS NULL AND EXISTS (SELECT 1 FROM identities i WHERE i.profile_id = profiles.id);

-- +goose Down
ALTER TABLE profiles DROP COLUMN identities;
