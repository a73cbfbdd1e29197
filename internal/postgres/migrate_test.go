package postgres

import (
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/postgres/pgtest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
)

// TestMigrateProfileIdentities opens a schema whose profiles were stored
// before migration 00009 put their identities in the row: every live
// profile must read back with exactly the identities its rows held (ids in
// order, flags, strings that JSON escapes, times to the microsecond, before
// 1970 too), and the rest with none.
func TestMigrateProfileIdentities(t *testing.T) {
	ctx := t.Context()
	dsn := pgtest.Schema(t, pgtest.DSN(t))
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 8); err != nil {
		t.Fatal(err)
	}

	t1 := time.Date(2026, 11, 28, 10, 0, 0, 123456000, time.UTC)
	t2 := time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC)
	t3 := time.Date(2199, 1, 2, 3, 4, 5, 654321000, time.UTC)
	want := []clientele.Identity{
		{ID: 5, ProfileID: "p1", Handle: "pos", Identifier: "P \"1\"\\é\t\x01</a>&", IsActive: false, IsPrimary: true,
			CreatedAt: t2, UpdatedAt: t3},
		{ID: 7, ProfileID: "p1", Handle: "shopify", Identifier: "S-1", IsActive: true, IsPrimary: false,
			CreatedAt: t1, UpdatedAt: t1.Add(time.Microsecond)},
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO profiles (id, email, first_name, last_name, first_name_fold,
		last_name_fold, profile_type, created_at, updated_at, removed_at, version, data)
		VALUES ('p1', 'a@example.com', 'A', 'B', 'a', 'b', 'customer', $1, $1, NULL, 3, '{}'),
		       ('p2', 'b@example.com', 'C', 'D', 'c', 'd', 'customer', $1, $1, NULL, 1, '{}'),
		       ('p3', NULL, 'E', 'F', 'e', 'f', 'deleted', $1, $1, $1, 2, '{}')`, t1); err != nil {
		t.Fatal(err)
	}
	// p1's rows go in out of id order; p3 is removed, and the row left to
	// it (which RemoveProfile would have deleted) must not reach its doc.
	for _, x := range []clientele.Identity{want[1], want[0],
		{ID: 9, ProfileID: "p3", Handle: "pos", Identifier: "P-3", CreatedAt: t1, UpdatedAt: t1}} {
		if _, err := db.ExecContext(ctx, `INSERT INTO identities (handle, identifier, id, profile_id, is_active,
			is_primary, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			x.Handle, x.Identifier, x.ID, x.ProfileID, x.IsActive, x.IsPrimary, x.CreatedAt, x.UpdatedAt); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s := openStore(t, dsn) // migrates the rest
	got, err := s.ProfileByIdentity(ctx, clientele.IdentityKey{Handle: "shopify", Identifier: "S-1"})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "p1" || !sameIdentities(got.Identities, want) {
		t.Errorf("profile %s with identities\n %s\nwant p1 with\n %s", got.ID, showIdentities(got.Identities),
			showIdentities(want))
	}
	list, _, err := s.ListProfiles(ctx, clientele.ProfileFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != "p1" || !sameIdentities(list[0].Identities, want) ||
		list[1].ID != "p2" || list[1].Identities != nil {
		t.Errorf("listed %+v", list)
	}
	var p3 *string
	if err := s.pool.QueryRow(ctx, `SELECT identities FROM profiles WHERE id = 'p3'`).Scan(&p3); err != nil || p3 != nil {
		t.Errorf("removed p3's doc: %v, %v; want NULL", p3, err)
	}
	wantIdentitiesColumn(t, s, "p1", "p2")
	// The rows written after the migration keep both in step.
	if _, err := s.ChangeProfile(ctx, clientele.ProfileChange{ID: "p1", Now: time.Now(),
		Input: changeInput(t, `{"identities":[{"handle":"shopify","identifier":"S-1","is_active":false}]}`)}); err != nil {
		t.Fatal(err)
	}
	wantIdentitiesColumn(t, s, "p1")
}

// TestNewerSchemaRefused: a schema a newer build migrated (a version this
// build has no migration for) is refused at open.
func TestNewerSchemaRefused(t *testing.T) {
	dsn := pgtest.Schema(t, pgtest.DSN(t))
	s := openStore(t, dsn)
	if _, err := s.pool.Exec(t.Context(), `INSERT INTO goose_db_version (version_id, is_applied) VALUES (9999, true)`); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(t.Context(), dsn)
	if err == nil {
		s2.Close()
		t.Fatal("opened a schema at version 9999")
	}
	if !strings.Contains(err.Error(), "newer than this build") {
		t.Errorf("error %q does not say the schema is newer", err)
	}
}
