package sqlite

import (
	"database/sql/driver"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/benchgen"
)

// A chunk resolved ahead of the writer must not write on what it read when
// a commit in between changed it. Each case stages chunk A (new profiles
// with the emails given), and between A's ahead resolution and its writer
// transaction applies chunk B through the store named by via; then it
// checks A's outcomes, the store's profiles, and which path A took.
func TestResolveAhead(t *testing.T) {
	const email = "ahead@example.com"
	cases := []struct {
		name       string
		bEmail     string // B creates a profile with this email
		external   bool   // B goes through a second store on the same file, as another process would
		wantA      string // A's outcome for email
		wantReused bool   // A wrote what it resolved ahead
	}{
		{"a commit that takes A's key", email, false, clientele.OutcomeUpdated, false},
		{"a commit of other keys", "other@example.com", false, clientele.OutcomeCreated, true},
		{"another process's commit", email, true, clientele.OutcomeUpdated, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.db")
			s, err := Open(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			via := s
			if tc.external {
				if via, err = Open(t.Context(), path); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { via.Close() })
			}
			now := time.Now().UTC().Truncate(time.Millisecond)
			la, ca := stage(t, s, now, "A", email)
			fired := false
			var ahead, again int64 // s's counts before A's writer transaction
			s.hookAfterAhead = func() {
				if fired {
					return // B's own chunk
				}
				fired = true
				lb, cb := stage(t, via, now, "B", tc.bEmail)
				if _, err := via.ApplyChunk(t.Context(), lb, cb, time.Minute); err != nil {
					t.Fatal(err)
				}
				ahead, again = s.resolvedAhead.Load(), s.resolvedAgain.Load()
			}
			if _, err := s.ApplyChunk(t.Context(), la, ca, time.Minute); err != nil {
				t.Fatal(err)
			}
			if !fired {
				t.Fatal("the hook did not run")
			}
			items, _, err := s.BatchItems(t.Context(), la.BatchID, clientele.BatchItemFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != 1 || items[0].Outcome != tc.wantA {
				t.Fatalf("A's items: %+v, want one %s", items, tc.wantA)
			}
			e := email
			ps, _, err := s.ListProfiles(t.Context(), clientele.ProfileFilter{Email: &e})
			if err != nil {
				t.Fatal(err)
			}
			if len(ps) != 1 {
				t.Fatalf("%d profiles with %s, want 1", len(ps), email)
			}
			if got := s.resolvedAhead.Load() - ahead; got != map[bool]int64{true: 1, false: 0}[tc.wantReused] {
				t.Errorf("resolved ahead and used: %d chunks", got)
			}
			if got := s.resolvedAgain.Load() - again; got != map[bool]int64{true: 0, false: 1}[tc.wantReused] {
				t.Errorf("resolved again in the writer: %d chunks", got)
			}
		})
	}
}

// stage stores and claims a batch of profiles with emails, all named
// name, matched by email, and returns its one chunk as the worker would
// apply it.
func stage(t *testing.T, s *Store, now time.Time, name string, emails ...string) (clientele.Lease, clientele.Chunk) {
	t.Helper()
	var raw [][]byte
	for _, e := range emails {
		raw = append(raw, fmt.Appendf(nil, `{"email": %q, "first_name": %q}`, e, name))
	}
	l, c, err := benchgen.StageChunk(t.Context(), s, raw, "", now)
	if err != nil {
		t.Fatal(err)
	}
	return l, c
}

// A profile a chunk found ahead of the writer and that is removed, purged,
// or removed by another process (while this one's writer connection is
// replaced) before the chunk has the writer: the chunk must not update
// it. P holds the email; chunk A names it again and must create a
// profile, P being gone.
func TestResolveAheadProfileGone(t *testing.T) {
	for _, mode := range []string{"remove", "purge", "another process, new writer connection"} {
		t.Run(mode, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.db")
			s, err := Open(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			now := time.Now().UTC().Truncate(time.Millisecond)
			const email = "gone@example.com"
			l0, c0 := stage(t, s, now, "P", email)
			if _, err := s.ApplyChunk(t.Context(), l0, c0, time.Minute); err != nil {
				t.Fatal(err)
			}
			e := email
			ps, _, err := s.ListProfiles(t.Context(), clientele.ProfileFilter{Email: &e})
			if err != nil || len(ps) != 1 {
				t.Fatalf("P: %v %v", ps, err)
			}
			pid := ps[0].ID
			la, ca := stage(t, s, now, "A", email)
			fired := false
			s.hookAfterAhead = func() {
				if fired {
					return
				}
				fired = true
				switch mode {
				case "remove":
					err = s.RemoveProfile(t.Context(), pid, "", now)
				case "purge":
					err = s.PurgeProfile(t.Context(), pid, "", now)
				default:
					var o *Store
					if o, err = Open(t.Context(), path); err != nil {
						break
					}
					err = o.RemoveProfile(t.Context(), pid, "", now)
					o.Close()
					conn, cerr := s.w.Conn(t.Context())
					if cerr != nil {
						t.Fatal(cerr)
					}
					_ = conn.Raw(func(any) error { return driver.ErrBadConn }) // the pool opens a new one
					conn.Close()
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.ApplyChunk(t.Context(), la, ca, time.Minute); err != nil {
				t.Fatal(err)
			}
			items, _, err := s.BatchItems(t.Context(), la.BatchID, clientele.BatchItemFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != 1 || items[0].Outcome != clientele.OutcomeCreated || *items[0].EntityID == pid {
				t.Fatalf("A's items: %+v, want one created (P is gone)", items)
			}
		})
	}
}
