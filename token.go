package clientele

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
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

// ValidScope reports whether s is in the scope vocabulary (spec §10.4,
// §12 #32): "*" or any lower-case dashed name, so that every scope of the
// Omneo SDK's list (loyalty, products and more that clientele does not
// serve) is accepted and echoed.
func ValidScope(s string) bool {
	if s == ScopeAll {
		return true
	}
	if s == "" || len(s) > maxStr {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && c != '-' {
			return false
		}
	}
	return true
}

// MaxTokenScopes bounds the scopes of one token: the SDK's whole list is
// about 150 (spec §10.4), and every request reads them.
const MaxTokenScopes = 500

// TokenRequest is a validated body of POST /auth/api-tokens (spec §10.4).
type TokenRequest struct {
	Name   string
	Scopes []string // as sent, in order, duplicates dropped
}

// ParseTokenRequest validates a token-create body: name a non-empty string
// of at most 255 characters, scopes a non-empty array of at most
// MaxTokenScopes valid scopes. No scope is checked against the caller's
// (spec §10.4: no subset check). Errors: EMALFORMED when body is not JSON;
// EINVALID with Laravel keys (name, scopes, scopes.N) otherwise.
func ParseTokenRequest(body []byte) (TokenRequest, error) {
	var env struct {
		Name   Str             `json:"name"`
		Scopes json.RawMessage `json:"scopes"`
	}
	if err := decodeEnvelope(body, &env); err != nil {
		return TokenRequest{}, err
	}
	v := &validator{}
	var req TokenRequest
	req.Name, _ = v.reqStr("name", env.Name, maxStr)
	switch sc := env.Scopes; {
	case len(sc) == 0 || isNull(sc):
		v.fail("scopes", "field is required.")
	case sc[0] != '[':
		v.fail("scopes", "must be an array.")
	default:
		var raw []json.RawMessage
		_ = json.Unmarshal(sc, &raw)
		switch {
		case len(raw) == 0:
			v.fail("scopes", "field is required.")
		case len(raw) > MaxTokenScopes:
			v.fail("scopes", "must not have more than "+strconv.Itoa(MaxTokenScopes)+" items.")
		}
		if len(raw) > MaxTokenScopes {
			break
		}
		for i, r := range raw {
			var s string
			if json.Unmarshal(r, &s) != nil || !ValidScope(s) {
				v.selected("scopes." + strconv.Itoa(i))
				continue
			}
			if !slices.Contains(req.Scopes, s) {
				req.Scopes = append(req.Scopes, s)
			}
		}
	}
	if err := v.errs.Err(); err != nil {
		return TokenRequest{}, err
	}
	return req, nil
}

// Token list selections of GET /auth/access-tokens?type= (spec §10.5).
const (
	TokensActive  = ""        // every token not revoked (DECISION §12 #34)
	TokensCurrent = "current" // not revoked and not expired
	TokensExpired = "expired" // expired, revoked or not
)

// SelectTokens returns the tokens of ts that the list type selects at now,
// in ts's order. ok is false for an unknown type.
func SelectTokens(ts []Token, typ string, now time.Time) (sel []Token, ok bool) {
	var keep func(Token) bool
	switch typ {
	case TokensActive:
		keep = func(t Token) bool { return !t.Revoked }
	case TokensCurrent:
		keep = func(t Token) bool { return t.Usable(now) }
	case TokensExpired:
		keep = func(t Token) bool { return !now.Before(t.ExpiresAt) }
	default:
		return nil, false
	}
	sel = []Token{}
	for _, t := range ts {
		if keep(t) {
			sel = append(sel, t)
		}
	}
	return sel, true
}
