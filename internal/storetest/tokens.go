package storetest

import (
	"slices"
	"testing"
	"time"

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

func testTokenListAndRevoke(t *testing.T, s clientele.Store) {
	ctx := t.Context()
	if got, err := s.ListTokens(ctx, 7); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("ListTokens on an empty store = %v, %v; want an empty slice", got, err)
	}
	// Created out of order, so that the list's order is the store's.
	second, _ := clientele.NewToken("second", []string{"read-profiles"}, 7, at(2e9))
	first, _ := clientele.NewToken("first", []string{clientele.ScopeAll}, 7, at(1e9))
	expired, _ := clientele.NewToken("expired", []string{"read-profiles"}, 7, t0)
	expired.ExpiresAt = at(5e8)
	other, _ := clientele.NewToken("other user", []string{"read-profiles"}, 8, at(1e9))
	for _, tok := range []clientele.Token{second, first, expired, other} {
		ok(t, s.CreateToken(ctx, tok))
	}
	list := func(user int64, want ...clientele.Token) {
		t.Helper()
		got, err := s.ListTokens(ctx, user)
		ok(t, err)
		if len(got) != len(want) {
			t.Fatalf("ListTokens(%d): %d tokens, want %d", user, len(got), len(want))
		}
		for i := range want {
			wantToken(t, got[i], want[i])
		}
	}
	list(7, expired, first, second)
	list(8, other)

	revokedAt := at(3e9)
	ok(t, s.RevokeToken(ctx, 7, first.ID, revokedAt))
	first.Revoked, first.UpdatedAt = true, revokedAt
	list(7, expired, first, second)
	got, err := s.TokenByHash(ctx, first.Hash)
	ok(t, err)
	wantToken(t, got, first)

	// Revoking again changes nothing, not even updated_at.
	ok(t, s.RevokeToken(ctx, 7, first.ID, at(4e9)))
	list(7, expired, first, second)

	// Another user's token and an unknown one are not found, and untouched.
	wantCode(t, s.RevokeToken(ctx, 7, other.ID, revokedAt), clientele.ENOTFOUND)
	wantCode(t, s.RevokeToken(ctx, 8, second.ID, revokedAt), clientele.ENOTFOUND)
	wantCode(t, s.RevokeToken(ctx, 7, "no-such-token", revokedAt), clientele.ENOTFOUND)
	list(8, other)
	list(7, expired, first, second)
}

// testTokenLifecycle follows one token as authentication sees it (through
// TokenByHash, read afresh on each request): usable when created, unusable
// once revoked, and a second token unusable once its expiry passes.
func testTokenLifecycle(t *testing.T, s clientele.Store) {
	ctx := t.Context()
	tok, secret := clientele.NewToken("ci", []string{"read-profiles"}, 3, t0)
	ok(t, s.CreateToken(ctx, tok))
	usable := func(secret string, now time.Time) bool {
		t.Helper()
		got, err := s.TokenByHash(ctx, clientele.HashToken(secret))
		ok(t, err)
		return got.Usable(now)
	}
	if !usable(secret, t0) || !usable(secret, tok.ExpiresAt.Add(-time.Microsecond)) {
		t.Fatal("a new token is not usable before its expiry")
	}
	if !tok.ExpiresAt.Equal(t0.Add(clientele.DefaultTokenLifetime)) {
		t.Errorf("expires_at = %v, want one year after creation", tok.ExpiresAt)
	}
	if usable(secret, tok.ExpiresAt) {
		t.Error("a token is usable at its expiry")
	}
	ok(t, s.RevokeToken(ctx, 3, tok.ID, at(time.Hour)))
	if usable(secret, at(time.Hour)) {
		t.Error("a revoked token is usable")
	}

	short, shortSecret := clientele.NewToken("short", []string{"read-profiles"}, 3, t0)
	short.ExpiresAt = at(time.Minute)
	ok(t, s.CreateToken(ctx, short))
	if !usable(shortSecret, at(time.Minute-time.Microsecond)) || usable(shortSecret, at(time.Minute)) {
		t.Error("a stored expiry is not the one authentication sees")
	}
}
