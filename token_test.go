package clientele

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestValidScope(t *testing.T) {
	for s, want := range map[string]bool{
		"*": true, "read-profiles": true, "read-loyalty-transactions": true, "-": true,
		"": false, "**": false, "Read-Profiles": false, "read_profiles": false, "read profiles": false,
		"read-profiles ": false, strings.Repeat("a", 256): false, strings.Repeat("a", 255): true,
	} {
		if got := ValidScope(s); got != want {
			t.Errorf("ValidScope(%q) = %v", s, got)
		}
	}
}

func TestParseTokenRequest(t *testing.T) {
	req, err := ParseTokenRequest([]byte(`{"name":"ci","scopes":["read-profiles","*","read-profiles"],"unknown":1}`))
	if err != nil || req.Name != "ci" || !slices.Equal(req.Scopes, []string{"read-profiles", "*"}) {
		t.Errorf("ParseTokenRequest = %+v, %v", req, err)
	}
	if _, err := ParseTokenRequest([]byte(`{"name":`)); ErrorCode(err) != EMALFORMED {
		t.Errorf("malformed: %v", err)
	}
	_, err = ParseTokenRequest([]byte(`{"scopes":["ok","NO"]}`))
	if f := ErrorFields(err); len(f) != 2 || f["name"][0] != "The name field is required." || f["scopes.1"][0] != "The selected scopes.1 is invalid." {
		t.Errorf("fields = %v", f)
	}
}

func TestSelectTokens(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	live := Token{ID: "live", ExpiresAt: now.Add(time.Second)}
	revoked := Token{ID: "revoked", Revoked: true, ExpiresAt: now.Add(time.Second)}
	expired := Token{ID: "expired", ExpiresAt: now}
	both := Token{ID: "both", Revoked: true, ExpiresAt: now.Add(-time.Hour)}
	all := []Token{live, revoked, expired, both}
	for typ, want := range map[string][]string{
		TokensActive:  {"live", "expired"},
		TokensCurrent: {"live"},
		TokensExpired: {"expired", "both"},
	} {
		sel, ok := SelectTokens(all, typ, now)
		var ids []string
		for _, t := range sel {
			ids = append(ids, t.ID)
		}
		if !ok || !slices.Equal(ids, want) {
			t.Errorf("SelectTokens(%q) = %v, want %v", typ, ids, want)
		}
	}
	if sel, ok := SelectTokens(all, "bogus", now); ok || sel != nil {
		t.Error("an unknown type was accepted")
	}
	if sel, _ := SelectTokens(nil, TokensCurrent, now); sel == nil {
		t.Error("no tokens selected gives nil, want an empty slice (a JSON [])")
	}
}

func TestValidIdempotencyKey(t *testing.T) {
	for k, want := range map[string]bool{
		"a": true, "3f2b-order 42": true, strings.Repeat("k", 255): true,
		"": false, strings.Repeat("k", 256): false, "tab\t": false, "é": false, "nl\n": false,
	} {
		if got := ValidIdempotencyKey(k); got != want {
			t.Errorf("ValidIdempotencyKey(%q) = %v", k, got)
		}
	}
}
