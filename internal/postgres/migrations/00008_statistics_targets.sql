-- ANALYZE samples 300 rows per unit of the largest statistics target of a
-- table's columns: 30,000 rows at the default of 100, which below that
-- size is every row. The apply path runs ANALYZE as a load grows the
-- tables (analyze.go), and at 40,000 profiles it took 190 ms for profiles
-- and 70 ms for identities, 7% of the database's CPU in a 60,000-profile
-- load. The plans the store depends on need only a few facts the sample
-- gives at any size: that removed_at is mostly null, how many distinct
-- names there are, and the tables' sizes; keys are found through unique
-- indexes whatever the statistics. With a target of 10 (3,000 rows) the
-- same ANALYZEs took 14 and 8 ms and the plans did not change (the
-- lookup's index probes, the name filter's index scan). data keeps 0
-- (00001).

-- +goose Up
ALTER TABLE profiles
    ALTER COLUMN id SET STATISTICS 10,
    ALTER COLUMN email SET STATISTICS 10,
    ALTER COLUMN mobile_phone SET STATISTICS 10,
    ALTER COLUMN first_name SET STATISTICS 10,
    ALTER COLUMN last_name SET STATISTICS 10,
    ALTER COLUMN first_name_fold SET STATISTICS 10,
    ALTER COLUMN last_name_fold SET STATISTICS 10,
    ALTER COLUMN profile_type SET STATISTICS 10,
    ALTER COLUMN created_at SET STATISTICS 10,
    ALTER COLUMN updated_at SET STATISTICS 10,
    ALTER COLUMN removed_at SET STATISTICS 10,
    ALTER COLUMN version SET STATISTICS 10;
ALTER TABLE identities
    ALTER COLUMN handle SET STATISTICS 10,
    ALTER COLUMN identifier SET STATISTICS 10,
    ALTER COLUMN id SET STATISTICS 10,
    ALTER COLUMN profile_id SET STATISTICS 10,
    ALTER COLUMN is_active SET STATISTICS 10,
    ALTER COLUMN is_primary SET STATISTICS 10,
    ALTER COLUMN created_at SET STATISTICS 10,
    ALTER COLUMN updated_at SET STATISTICS 10;

-- +goose Down
ALTER TABLE profiles
    ALTER COLUMN id SET STATISTICS -1,
    ALTER COLUMN email SET STATISTICS -1,
    ALTER COLUMN mobile_phone SET STATISTICS -1,
    ALTER COLUMN first_name SET STATISTICS -1,
    ALTER COLUMN last_name SET STATISTICS -1,
    ALTER COLUMN first_name_fold SET STATISTICS -1,
    ALTER COLUMN last_name_fold SET STATISTICS -1,
    ALTER COLUMN profile_type SET STATISTICS -1,
    ALTER COLUMN created_at SET STATISTICS -1,
    ALTER COLUMN updated_at SET STATISTICS -1,
    ALTER COLUMN removed_at SET STATISTICS -1,
    ALTER COLUMN version SET STATISTICS -1;
ALTER TABLE identities
    ALTER COLUMN handle SET STATISTICS -1,
    ALTER COLUMN identifier SET STATISTICS -1,
    ALTER COLUMN id SET STATISTICS -1,
    ALTER COLUMN profile_id SET STATISTICS -1,
    ALTER COLUMN is_active SET STATISTICS -1,
    ALTER COLUMN is_primary SET STATISTICS -1,
    ALTER COLUMN created_at SET STATISTICS -1,
    ALTER COLUMN updated_at SET STATISTICS -1;
