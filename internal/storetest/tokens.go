package storetest

import (
	"slices"
	"testing"

	"github.com/clientele/clientele"
)

// wantToken checks that got is want, field by field.
func wantToken(t *testing.T, got, want clientele.Token) {
	t.Helper()
	if got.ID != want.ID || got.UserID != want.UserID || got.ClientID != want.ClientID ||
		got.Name != want.Name || !slices.Equal(got.Scopes, want.Scopes) || got.Revoked != want.Revoked ||
		got.Hash != want.Hash || !got.CreatedAt.Equal(want.CreatedAt) ||
		!got.UpdatedAt.Equal(want.UpdatedAt) || !got.ExpiresAt.Equal(want.ExpiresAt) {
		t.Errorf("token\n got %+v\nwant %+v", got, want)
	}
	if got.CreatedAt.Location() != want.CreatedAt.Location() {
		t.Errorf("token times in %v, want UTC", got.CreatedAt.Location())
	}
}

func testTokenCreateAndFind(t *testing.T, s clientele.Store) {
	ctx := t.Context()
	tok, secret := clientele.NewToken("ci", []string{"read-profiles", "create-profiles"}, 7, t0)
	ok(t, s.CreateToken(ctx, tok))
	revoked, revokedSecret := clientele.NewToken("old", []string{clientele.ScopeAll}, 8, at(1e6))
	revoked.Revoked = true
	ok(t, s.CreateToken(ctx, revoked))

	got, err := s.TokenByHash(ctx, clientele.HashToken(secret))
	ok(t, err)
	wantToken(t, got, tok)
	got, err = s.TokenByHash(ctx, clientele.HashToken(revokedSecret))
	ok(t, err)
	wantToken(t, got, revoked)
}

func testTokenNotFound(t *testing.T, s clientele.Store) {
	tok, _ := clientele.NewToken("ci", []string{"*"}, 1, t0)
	ok(t, s.CreateToken(t.Context(), tok))
	_, err := s.TokenByHash(t.Context(), clientele.HashToken("not a token"))
	wantCode(t, err, clientele.ENOTFOUND)
}

func testTokenConflict(t *testing.T, s clientele.Store) {
	ctx := t.Context()
	tok, _ := clientele.NewToken("ci", []string{"*"}, 1, t0)
	ok(t, s.CreateToken(ctx, tok))

	sameID, _ := clientele.NewToken("other", []string{"*"}, 1, t0)
	sameID.ID = tok.ID
	wantCode(t, s.CreateToken(ctx, sameID), clientele.ECONFLICT)

	sameHash, _ := clientele.NewToken("other", []string{"*"}, 1, t0)
	sameHash.Hash = tok.Hash
	wantCode(t, s.CreateToken(ctx, sameHash), clientele.ECONFLICT)

	n, err := s.CountTokens(ctx)
	ok(t, err)
	if n != 1 {
		t.Errorf("CountTokens = %d after two conflicts, want 1", n)
	}
}

func testTokenEnsureAndCount(t *testing.T, s clientele.Store) {
	ctx := t.Context()
	n, err := s.CountTokens(ctx)
	ok(t, err)
	if n != 0 {
		t.Fatalf("CountTokens on an empty store = %d", n)
	}

	boot, secret := clientele.NewToken("bootstrap", []string{clientele.ScopeAll}, 1, t0)
	stored, err := s.EnsureToken(ctx, boot)
	ok(t, err)
	if !stored {
		t.Error("EnsureToken of a new token reported false")
	}
	again, _ := clientele.NewToken("bootstrap", []string{clientele.ScopeAll}, 1, at(1e9))
	again.Hash = boot.Hash // same secret, new id: a restart
	stored, err = s.EnsureToken(ctx, again)
	ok(t, err)
	if stored {
		t.Error("EnsureToken of an existing hash reported true")
	}
	got, err := s.TokenByHash(ctx, clientele.HashToken(secret))
	ok(t, err)
	wantToken(t, got, boot)

	revoked, _ := clientele.NewToken("revoked", nil, 1, t0)
	revoked.Revoked = true
	expired, _ := clientele.NewToken("expired", nil, 1, t0)
	expired.ExpiresAt = t0.Add(-1e9)
	ok(t, s.CreateToken(ctx, revoked))
	ok(t, s.CreateToken(ctx, expired))
	n, err = s.CountTokens(ctx)
	ok(t, err)
	if n != 3 {
		t.Errorf("CountTokens = %d, want 3 (revoked and expired count)", n)
	}
}
