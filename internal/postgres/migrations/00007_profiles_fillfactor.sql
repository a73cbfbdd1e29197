-- profiles leaves a fifth of each page free (00001 chose 100). A matched
-- update changes the doc, updated_at and version, none of them indexed, so
-- with room on its page it is a HOT update: no new entry in any of the
-- six indexes. At fillfactor 100 every such update added six index entries
-- at random pages, which at a million profiles made the matched workload
-- cost 1.7x what it cost at ten thousand; at 80 it is 1.2x, and loads of
-- new profiles measured no slower (clientele bench, docs/performance.md).

-- +goose Up
ALTER TABLE profiles SET (fillfactor = 80);

-- +goose Down
ALTER TABLE profiles RESET (fillfactor);
