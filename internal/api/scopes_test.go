package api

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/sqlite"
)

// publicRoutes are the only routes that may skip authentication (spec §3,
// §13 E12).
var publicRoutes = map[string]bool{
	"GET /api/health":          true,
	"GET /api/v3/openapi.json": true,
	"GET /api/v3/openapi.yaml": true,
}

// specScopes is spec §3's table as rules: the scopes a route must declare,
// and whether the table covers the route at all. Routes it does not cover
// (extensions, sub-actions the spec leaves open) must still declare scopes
// and enforce them, which the walk checks; their choice is the
// implementer's.
func specScopes(method, pattern string) ([]string, bool) {
	p := strings.TrimPrefix(pattern, "/api/v3")
	under := func(prefix string) bool { return p == prefix || strings.HasPrefix(p, prefix+"/") }
	switch {
	case under("/auth"):
		return nil, true // any valid token
	case p == "/profiles/batch" || p == "/profiles/batch.json":
		return []string{"create-profiles", "update-profiles"}, method == "POST"
	case under("/batches"):
		return []string{"read-profiles", "read-imports"}, method == "GET"
	case under("/identities"):
		return []string{"read-identities", "read-profiles"}, method == "GET"
	case under("/regions"):
		switch {
		case method == "GET":
			return []string{"read-region"}, true
		case method == "POST" && p == "/regions":
			return []string{"create-region"}, true
		case (method == "PUT" || method == "PATCH") && p == "/regions/{id}":
			return []string{"update-region"}, true
		case method == "DELETE" && p == "/regions/{id}":
			return []string{"delete-region"}, true
		}
	case under("/webhooks"):
		switch {
		case method == "GET":
			return []string{"read-webhooks"}, true
		case method == "POST" && p == "/webhooks":
			return []string{"create-webhooks"}, true
		case (method == "PUT" || method == "PATCH") && p == "/webhooks/{id}":
			return []string{"update-webhooks"}, true
		case method == "DELETE" && p == "/webhooks/{id}":
			return []string{"delete-webhooks"}, true
		}
	case p == "/profiles/sync":
		return nil, false // optional and unscoped by the spec
	case under("/profiles"):
		switch {
		case method == "GET", p == "/profiles/search-id", p == "/profiles/availability":
			return []string{"read-profiles"}, true
		case method == "POST" && p == "/profiles":
			return []string{"create-profiles"}, true
		case p == "/profiles/{id}" && method == "DELETE", p == "/profiles/{id}/purge":
			return []string{"delete-profiles"}, true
		default: // update, update-type, every sub-resource write
			return []string{"update-profiles"}, true
		}
	}
	return nil, false
}

var wildcard = regexp.MustCompile(`\{[^}]+\}`)

// concretePath fills a pattern's wildcards with a UUID (which no fixed
// segment equals) or, for a {namespace:handle} style segment, "ns:h".
func concretePath(pattern string) string {
	return wildcard.ReplaceAllStringFunc(pattern, func(w string) string {
		if strings.Contains(w, "...") {
			return "x/y"
		}
		if strings.Contains(strings.ToLower(w), "id") {
			return "92975ecb-5264-4d31-9f2b-789fa01f4555"
		}
		return "ns:h"
	})
}

// TestScopeWalk walks every route of the table (spec §3): a route is
// public only if it is meant to be; every other route answers 401 without
// a token, 403 with the exact body to a valid token lacking its scopes,
// and lets in a token with any one of its scopes or "*". A route added
// without a scope fails here, and so does one whose scopes differ from
// the spec's table.
func TestScopeWalk(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2025, 1, 26, 12, 0, 0, 0, time.UTC)
	h := NewHandler(Deps{Store: st, Now: func() time.Time { return now }})
	token := func(scopes ...string) string {
		tok, secret := clientele.NewToken("walk", scopes, 1, now)
		if err := st.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		return secret
	}
	unrelated := token("unrelated-scope")
	all := token(clientele.ScopeAll)

	do := func(method, path, secret string) (int, string) {
		var body io.Reader
		if method != "GET" && method != "HEAD" && method != "DELETE" {
			body = bytes.NewReader([]byte(`{}`))
		}
		req := httptest.NewRequest(method, path, body)
		req.Header.Set("Content-Type", "application/json")
		if secret != "" {
			req.Header.Set("Authorization", "Bearer "+secret)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}

	routes := (&server{}).routes()
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.HandleFunc(rt.method+" "+rt.pattern, func(http.ResponseWriter, *http.Request) {})
	}
	if len(routes) < 5 {
		t.Fatalf("only %d routes in the table", len(routes))
	}
	for _, rt := range routes {
		name := rt.method + " " + rt.pattern
		t.Run(name, func(t *testing.T) {
			path := concretePath(rt.pattern)
			// The request must reach this row, not a neighbour's.
			if _, got := mux.Handler(httptest.NewRequest(rt.method, path, nil)); got != name {
				t.Fatalf("%s %s routes to %q; fix concretePath", rt.method, path, got)
			}
			want, covered := specScopes(rt.method, rt.pattern)
			switch {
			case rt.public:
				if !publicRoutes[name] {
					t.Fatalf("route is public; only %v may be", publicRoutes)
				}
				if code, _ := do(rt.method, path, ""); code == http.StatusUnauthorized {
					t.Errorf("public route answered 401 without a token")
				}
				return
			case len(rt.scopes) == 0 && !strings.HasPrefix(rt.pattern, "/api/v3/auth/"):
				t.Fatalf("route declares no scope; only /api/v3/auth/ routes may accept any valid token (spec §3)")
			case covered && !slices.Equal(sorted(rt.scopes), sorted(want)):
				t.Errorf("scopes %v, spec §3 says %v", rt.scopes, want)
			}

			if code, body := do(rt.method, path, ""); code != http.StatusUnauthorized || body != `{"message":"Unauthenticated."}` {
				t.Errorf("without a token: %d %s, want 401", code, body)
			}
			code, body := do(rt.method, path, unrelated)
			if len(rt.scopes) > 0 {
				if code != http.StatusForbidden || body != `{"message":"Invalid scope(s) provided."}` {
					t.Errorf("token lacking %v: %d %s, want 403", rt.scopes, code, body)
				}
			} else if code == http.StatusForbidden || code == http.StatusUnauthorized {
				t.Errorf("any valid token should pass: %d %s", code, body)
			}
			for _, scope := range append([]string{clientele.ScopeAll}, rt.scopes...) {
				secret := all
				if scope != clientele.ScopeAll {
					secret = token(scope)
				}
				if code, body := do(rt.method, path, secret); code == http.StatusForbidden || code == http.StatusUnauthorized {
					t.Errorf("token with %q: %d %s", scope, code, body)
				}
			}
		})
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
