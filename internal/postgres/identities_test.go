package postgres

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/worker"
)

// A profile's identities are stored twice: in the identities table and in
// the row's identities doc, which every profile read takes them from
// (migration 00009). Profile reads see only the doc, and the uniqueness
// checks and identity lookups only the table, so a write path that forgot
// one of them could go unnoticed by the storetest cases (nothing reads a
// removed profile's doc, say); these tests read both with raw SQL.

// wantIdentitiesColumn checks that each profile's identities doc holds
// exactly the identities its rows in the identities table hold (NULL when
// they hold none), times to the microsecond.
func wantIdentitiesColumn(t *testing.T, s *Store, ids ...string) {
	t.Helper()
	ctx := t.Context()
	for _, id := range ids {
		var doc *string
		if err := s.pool.QueryRow(ctx, `SELECT identities FROM profiles WHERE id = $1`, id).Scan(&doc); err != nil {
			t.Fatalf("profile %s: %v", id, err)
		}
		rows, err := s.pool.Query(ctx, `SELECT `+identityColumns+` FROM identities WHERE profile_id = $1 ORDER BY id`, id)
		if err != nil {
			t.Fatal(err)
		}
		var table []clientele.Identity
		for rows.Next() {
			x, err := scanIdentity(rows)
			if err != nil {
				t.Fatal(err)
			}
			table = append(table, x)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if len(table) == 0 {
			if doc != nil {
				t.Errorf("profile %s has no identities but its doc is %q, want NULL", id, *doc)
			}
			continue
		}
		if doc == nil {
			t.Errorf("profile %s: doc NULL, table %s", id, showIdentities(table))
			continue
		}
		row, err := clientele.UnmarshalIdentitiesDoc([]byte(*doc), id)
		if err != nil {
			t.Errorf("profile %s: %v", id, err)
			continue
		}
		if !sameIdentities(row, table) {
			t.Errorf("profile %s:\n doc   %s\n table %s", id, showIdentities(row), showIdentities(table))
		}
	}
}

// sameIdentities reports whether a and b are the same identities in the
// same order, times equal to the nanosecond.
func sameIdentities(a, b []clientele.Identity) bool {
	return slices.EqualFunc(a, b, func(x, y clientele.Identity) bool {
		return x.ID == y.ID && x.ProfileID == y.ProfileID && x.Handle == y.Handle && x.Identifier == y.Identifier &&
			x.IsActive == y.IsActive && x.IsPrimary == y.IsPrimary &&
			x.CreatedAt.Equal(y.CreatedAt) && x.UpdatedAt.Equal(y.UpdatedAt)
	})
}

func showIdentities(ids []clientele.Identity) string {
	s := ""
	for _, x := range ids {
		s += fmt.Sprintf("[%d %s %s/%q active=%t primary=%t %s %s] ", x.ID, x.ProfileID, x.Handle, x.Identifier,
			x.IsActive, x.IsPrimary, x.CreatedAt.Format(time.RFC3339Nano), x.UpdatedAt.Format(time.RFC3339Nano))
	}
	return s
}

// profileIDByEmail is the id of the live profile with email.
func profileIDByEmail(t *testing.T, s *Store, email string) string {
	t.Helper()
	var id string
	if err := s.pool.QueryRow(t.Context(), `SELECT id FROM profiles WHERE email = $1 AND removed_at IS NULL`,
		email).Scan(&id); err != nil {
		t.Fatalf("profile %s: %v", email, err)
	}
	return id
}

// changeInput is item (a profile input as JSON) decoded and normalised as
// the worker does it.
func changeInput(t *testing.T, item string) *clientele.ProfileInput {
	t.Helper()
	c := worker.Prepare([]clientele.RawItem{{JSON: []byte(item)}}, "AU", time.Now())
	if c.Items[0].Errors != nil {
		t.Fatalf("item invalid: %v", c.Items[0].Errors)
	}
	return c.Items[0].Input
}

// TestIdentitiesColumn runs every path that writes identities and, after
// each, compares every profile's doc with its identities rows: batch
// inserts (COPY), batch updates that change only the docs and ones that
// change columns too, identities added, deactivated, removed and given a
// new key through the single-profile route, a profile created there, and a
// profile removed (doc NULL, rows gone).
func TestIdentitiesColumn(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()

	submitItems(t, s, "email", []string{
		`{"email":"a@x.com","identities":[{"handle":"shopify","identifier":"A1"},{"handle":"pos","identifier":"P \"1\"\\é"}]}`,
		`{"email":"b@x.com","first_name":"B"}`,
		`{"email":"c@x.com","identities":[{"handle":"shopify","identifier":"C1","is_primary":true}]}`,
		`{"email":"e@x.com"}`,
		`{"email":"f@x.com"}`,
	})
	applyBatch(t, s)
	a, b, c := profileIDByEmail(t, s, "a@x.com"), profileIDByEmail(t, s, "b@x.com"), profileIDByEmail(t, s, "c@x.com")
	all := []string{a, b, c, profileIDByEmail(t, s, "e@x.com"), profileIDByEmail(t, s, "f@x.com")}
	wantIdentitiesColumn(t, s, all...)

	// a: only its docs change (an identity deactivated, one added); b:
	// its name changes too, and it gains its first identity; c: unchanged;
	// e and f, without identities, change their doc only and a name (their
	// docs stay NULL).
	submitItems(t, s, "email", []string{
		`{"email":"a@x.com","identities":[{"handle":"pos","identifier":"P \"1\"\\é","is_active":false},{"handle":"web","identifier":"W1"}]}`,
		`{"email":"b@x.com","first_name":"Bee","identities":[{"handle":"pos","identifier":"B1"}]}`,
		`{"email":"c@x.com","identities":[{"handle":"shopify","identifier":"C1","is_primary":true}]}`,
		`{"email":"e@x.com","tags":["t"]}`,
		`{"email":"f@x.com","first_name":"F"}`,
	})
	applyBatch(t, s)
	wantIdentitiesColumn(t, s, all...)
	if n := countIdentities(t, s, a); n != 3 {
		t.Fatalf("a has %d identities, want 3", n)
	}

	// The single-profile route: one identity removed and one given a new
	// key (a delete and an insert in the table), then one added by input.
	editIdentities(t, s, a, func(x clientele.Identity) bool { return x.Handle == "shopify" }, "W1", "W2")
	wantIdentitiesColumn(t, s, all...)
	if p, err := s.ProfileByIdentity(ctx, clientele.IdentityKey{Handle: "web", Identifier: "W2"}); err != nil || p.ID != a {
		t.Fatalf("web W2 belongs to %q (%v), want a", p.ID, err)
	}
	if _, err := s.ChangeProfile(ctx, clientele.ProfileChange{ID: c, Now: time.Now(),
		Input: changeInput(t, `{"identities":[{"handle":"pos","identifier":"C2"}]}`)}); err != nil {
		t.Fatal(err)
	}
	d, err := s.ChangeProfile(ctx, clientele.ProfileChange{Now: time.Now(),
		Input: changeInput(t, `{"email":"d@x.com","identities":[{"handle":"pos","identifier":"D1"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	all = append(all, d.Profile.ID)
	wantIdentitiesColumn(t, s, all...)
	if n := countIdentities(t, s, d.Profile.ID); n != 1 {
		t.Fatalf("d has %d identities, want 1", n)
	}

	// Removal takes the identities out of both: no rows, a NULL doc.
	if err := s.RemoveProfile(ctx, c, "crm", time.Now()); err != nil {
		t.Fatal(err)
	}
	if n := countIdentities(t, s, c); n != 0 {
		t.Errorf("removed c keeps %d identities", n)
	}
	wantIdentitiesColumn(t, s, all...)
}

// editIdentities changes profile id through the single-profile route: it
// drops the identities drop accepts, and gives the one whose identifier is
// from the identifier to.
func editIdentities(t *testing.T, s *Store, id string, drop func(clientele.Identity) bool, from, to string) {
	t.Helper()
	_, err := s.ChangeProfile(t.Context(), clientele.ProfileChange{ID: id, Now: time.Now(),
		Edit: func(p *clientele.Profile, now time.Time) (bool, error) {
			p.Identities = slices.DeleteFunc(p.Identities, drop)
			for i := range p.Identities {
				if p.Identities[i].Identifier == from {
					p.Identities[i].Identifier = to
					p.Identities[i].UpdatedAt = now
				}
			}
			return true, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
}

// countIdentities is the number of identities rows of profile id.
func countIdentities(t *testing.T, s *Store, id string) int {
	t.Helper()
	var n int
	if err := s.pool.QueryRow(t.Context(), `SELECT count(*) FROM identities WHERE profile_id = $1`, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDeleteIdentitiesLeavesOtherOwners: identities are deleted by the
// keys a profile's doc names, and a key whose row another profile holds
// now (a doc out of step with the table, as an older build's writes
// would leave it) stays with that profile, whether the identity is
// dropped or given a new key, or the profile is removed or purged.
func TestDeleteIdentitiesLeavesOtherOwners(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	submitItems(t, s, "email", []string{
		`{"email":"a@x.com","identities":[{"handle":"pos","identifier":"1"},{"handle":"pos","identifier":"2"},{"handle":"pos","identifier":"3"}]}`,
		`{"email":"b@x.com"}`,
	})
	applyBatch(t, s)
	a, b := profileIDByEmail(t, s, "a@x.com"), profileIDByEmail(t, s, "b@x.com")
	// The table gives pos 1, 2 and 3 to b; a's doc still names them.
	if _, err := s.pool.Exec(ctx, `UPDATE identities SET profile_id = $1 WHERE profile_id = $2`, b, a); err != nil {
		t.Fatal(err)
	}

	// a gives up pos 1 and moves pos 2 to a new key: the apply path's
	// writes (batches merge identities in, so only an edit drops one).
	editIdentities(t, s, a, func(x clientele.Identity) bool { return x.Identifier == "1" }, "2", "2b")
	if n := countIdentities(t, s, b); n != 3 {
		t.Fatalf("after a's edit b holds %d identities, want 3", n)
	}
	if err := s.RemoveProfile(ctx, a, "crm", time.Now()); err != nil {
		t.Fatal(err)
	}
	if n := countIdentities(t, s, b); n != 3 {
		t.Fatalf("after a's removal b holds %d identities, want 3", n)
	}

	c, err := s.ChangeProfile(ctx, clientele.ProfileChange{Now: time.Now(),
		Input: changeInput(t, `{"email":"c@x.com","identities":[{"handle":"pos","identifier":"4"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `UPDATE identities SET profile_id = $1 WHERE profile_id = $2`, b, c.Profile.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.PurgeProfile(ctx, c.Profile.ID, "crm", time.Now()); err != nil {
		t.Fatal(err)
	}
	if n := countIdentities(t, s, b); n != 4 {
		t.Fatalf("after c's purge b holds %d identities, want 4", n)
	}
}
