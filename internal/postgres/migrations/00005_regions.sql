-- Global regions (spec §4.8, §9.3) and the countries they name. Same tables
-- and meaning as internal/sqlite's.

-- +goose Up

-- name_fold and handle_fold are name and handle lower-cased by Go
-- (strings.ToLower), as profiles' *_fold columns are: the filters compare
-- them "without case" (spec §1.3) identically in both stores, and the
-- handle is unique without case, as Omneo's case-insensitive collation
-- makes it. is_default has no default: a region created without it reads
-- back null (spec §4.8).
CREATE TABLE regions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL,
    handle      text NOT NULL,
    name_fold   text COLLATE "C" NOT NULL,
    handle_fold text COLLATE "C" NOT NULL,
    is_default  boolean,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE UNIQUE INDEX regions_handle ON regions (handle_fold);
CREATE INDEX regions_name ON regions (name_fold);

-- countries holds one row per ISO 3166-1 alpha-2 code a region has named
-- (clientele.Country: /countries is out of scope, so a country is created
-- the first time a region names it), which gives a country one id across
-- regions. The descriptive columns stay null until a countries module
-- fills them.
CREATE TABLE countries (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    iso_2       text COLLATE "C" NOT NULL UNIQUE,
    name        text,
    iso_3       text,
    iso_numeric text,
    sort_order  integer,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

-- region_countries links a region to its countries, in the order they were
-- sent (position). Deleting a region deletes its links, not the countries.
CREATE TABLE region_countries (
    region_id  bigint NOT NULL REFERENCES regions (id) ON DELETE CASCADE,
    country_id bigint NOT NULL REFERENCES countries (id),
    position   integer NOT NULL,
    PRIMARY KEY (region_id, country_id)
);

-- +goose Down
DROP TABLE region_countries;
DROP TABLE countries;
DROP TABLE regions;
