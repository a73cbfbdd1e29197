-- +goose Up
ALTER TABLE profiles SET (fillfactor = 80);

-- +goose Down
ALTER TABLE profiles RESET (fillfactor);
