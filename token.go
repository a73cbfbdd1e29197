package clientele

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"time"
)

// ScopeAll grants every scope.
const ScopeAll = "*"

// DefaultTokenLifetime is a new token's lifetime (spec §4.10: one year).
const DefaultTokenLifetime = 365 * 24 * time.Hour

// Token is an API token. The bearer secret is never stored: only its
// SHA-256 (Hash).
type Token struct {
	ID        string // 80 lower-case hex characters (spec §4.10)
	UserID    int64
	ClientID  int64
	Name      string
	Scopes    []string
	Revoked   bool
	Hash      [32]byte
	CreatedAt time.Time
	UpdatedAt time.Time
	ExpiresAt time.Time
}

// NewToken makes a token and its bearer secret. The secret is shown once.
func NewToken(name string, scopes []string, userID int64, now time.Time) (Token, string) {
	secret := randomHex(32)
	return Token{
		ID:        randomHex(40),
		UserID:    userID,
		ClientID:  1,
		Name:      name,
		Scopes:    scopes,
		Hash:      HashToken(secret),
		CreatedAt: now,
		UpdatedAt: now,
		ExpiresAt: now.Add(DefaultTokenLifetime),
	}, secret
}

// HashToken is the stored form of a bearer secret.
func HashToken(secret string) [32]byte { return sha256.Sum256([]byte(secret)) }

// Usable reports whether the token may authenticate a request at now.
func (t Token) Usable(now time.Time) bool { return !t.Revoked && now.Before(t.ExpiresAt) }

// HasAnyScope reports whether the token holds "*" or one of scopes.
func (t Token) HasAnyScope(scopes ...string) bool {
	if slices.Contains(t.Scopes, ScopeAll) {
		return true
	}
	for _, s := range scopes {
		if slices.Contains(t.Scopes, s) {
			return true
		}
	}
	return false
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("clientele: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}
