package sqlite

import (
	"database/sql"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clientele/clientele"
	"github.com/pressly/goose/v3"
)

// TestMigrateIdentitiesByProfile opens a database whose identities were
// stored before migration 00006 rekeyed them by profile: every identity
// must read back as it was, and the pair must stay unique.
func TestMigrateIdentitiesByProfile(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "c.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 5); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO profiles (id, email, first_name, last_name, first_name_fold, last_name_fold,
			profile_type, created_at, updated_at, version, data)
			VALUES ('p1', 'a@example.com', 'A', 'B', 'a', 'b', 'customer', 1000000, 2000000, 3, '{}'),
			       ('p2', 'b@example.com', 'C', 'D', 'c', 'd', 'customer', 1000000, 2000000, 1, '{}')`,
		`INSERT INTO identities (handle, identifier, id, profile_id, is_active, is_primary, created_at, updated_at)
			VALUES ('shopify', 'S-1', 7, 'p1', 1, 0, 1000000, 2000000),
			       ('pos', 'P-1', 5, 'p1', 0, 1, 3000000, 4000000),
			       ('pos', 'P-2', 6, 'p2', 1, 1, 1000000, 1000000)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(ctx, path) // migrates the rest
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.ProfileByIdentity(ctx, clientele.IdentityKey{Handle: "shopify", Identifier: "S-1"})
	if err != nil {
		t.Fatal(err)
	}
	want := []clientele.Identity{
		{ID: 5, ProfileID: "p1", Handle: "pos", Identifier: "P-1", IsActive: false, IsPrimary: true,
			CreatedAt: fromMicros(3000000), UpdatedAt: fromMicros(4000000)},
		{ID: 7, ProfileID: "p1", Handle: "shopify", Identifier: "S-1", IsActive: true, IsPrimary: false,
			CreatedAt: fromMicros(1000000), UpdatedAt: fromMicros(2000000)},
	}
	if got.ID != "p1" || len(got.Identities) != len(want) {
		t.Fatalf("profile %s with identities %+v, want p1 with %+v", got.ID, got.Identities, want)
	}
	for i := range want {
		if g, w := got.Identities[i], want[i]; g != w {
			t.Errorf("identity %d: %+v, want %+v", i, g, w)
		}
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO identities (profile_id, id, handle, identifier, is_active,
		is_primary, created_at, updated_at) VALUES ('p2', 8, 'shopify', 'S-1', 1, 0, 0, 0)`); !isUnique(err) {
		t.Errorf("a second owner of shopify S-1: %v, want a unique violation", err)
	}
}

// TestNewerSchemaRefused: a database a newer build migrated (a version
// this build has no migration for) is refused at open.
func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(t.Context(), `INSERT INTO goose_db_version (version_id, is_applied) VALUES (9999, 1)`); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(t.Context(), path)
	if err == nil {
		s.Close()
		t.Fatal("opened a database at version 9999")
	}
	if !strings.Contains(err.Error(), "newer than this build") {
		t.Errorf("error %q does not say the schema is newer", err)
	}
}
