package storetest

import (
	"testing"

	"github.com/clientele/clientele"
)

func testListIdentities(t *testing.T, s clientele.Store) {
	_, items := run(t, s, clientele.MatchEmail, t0,
		`{"email":"a@x.com","identities":[{"handle":"shopify","identifier":"S-1"},{"handle":"pos","identifier":"P-1","is_active":false}]}`,
		`{"email":"b@x.com","identities":[{"handle":"shopify","identifier":"S-2"}]}`,
		`{"email":"c@x.com"}`)
	a, b := *items[0].EntityID, *items[1].EntityID
	type pair struct{ handle, identifier, profile string }
	list := func(f clientele.IdentityFilter) ([]pair, int) {
		t.Helper()
		ids, total, err := s.ListIdentities(t.Context(), f)
		ok(t, err)
		var out []pair
		for i, id := range ids {
			if i > 0 && ids[i-1].ID >= id.ID {
				t.Fatalf("identities not in id order: %+v", ids)
			}
			out = append(out, pair{id.Handle, id.Identifier, id.ProfileID})
		}
		return out, total
	}
	for _, tc := range []struct {
		name  string
		f     clientele.IdentityFilter
		want  []pair
		total int
	}{
		{"all", clientele.IdentityFilter{}, []pair{{"shopify", "S-1", a}, {"pos", "P-1", a}, {"shopify", "S-2", b}}, 3},
		{"handle", clientele.IdentityFilter{Handle: ptr("shopify")}, []pair{{"shopify", "S-1", a}, {"shopify", "S-2", b}}, 2},
		{"handle is exact", clientele.IdentityFilter{Handle: ptr("Shopify")}, nil, 0},
		{"identifier", clientele.IdentityFilter{Identifier: ptr("P-1")}, []pair{{"pos", "P-1", a}}, 1},
		{"profile", clientele.IdentityFilter{ProfileID: &b}, []pair{{"shopify", "S-2", b}}, 1},
		{"inactive", clientele.IdentityFilter{IsActive: ptr(false)}, []pair{{"pos", "P-1", a}}, 1},
		{"active", clientele.IdentityFilter{IsActive: ptr(true)}, []pair{{"shopify", "S-1", a}, {"shopify", "S-2", b}}, 2},
		{"page", clientele.IdentityFilter{Offset: 1, Limit: 1}, []pair{{"pos", "P-1", a}}, 3},
		{"past the end", clientele.IdentityFilter{Offset: 5, Limit: 2}, nil, 3},
	} {
		got, total := list(tc.f)
		if total != tc.total || len(got) != len(tc.want) {
			t.Errorf("%s: %v (total %d), want %v (total %d)", tc.name, got, total, tc.want, tc.total)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
				break
			}
		}
	}
}
