package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/clientele/clientele"
)

type tokenKey struct{}

// tokenFrom returns the token that authenticated the request; routes that
// act for a user (token management, webhook ownership) read it.
func tokenFrom(ctx context.Context) (clientele.Token, bool) {
	t, ok := ctx.Value(tokenKey{}).(clientele.Token)
	return t, ok
}

var (
	errUnauthenticated = clientele.Errorf(clientele.EUNAUTHORIZED, "unauthenticated")
	errForbidden       = clientele.Errorf(clientele.EFORBIDDEN, "missing scope")
)

// authenticate checks the bearer token and, when scopes is not empty, that
// it holds one of them (spec §3). Every failure to authenticate is the same
// 401, so that a caller cannot tell an unknown token from a revoked or
// expired one. On success the token is put in the request's context.
func (s *server) authenticate(r *http.Request, scopes []string) (*http.Request, error) {
	secret, ok := bearer(r.Header.Get("Authorization"))
	if !ok {
		return r, errUnauthenticated
	}
	t, err := s.store.TokenByHash(r.Context(), clientele.HashToken(secret))
	switch {
	case clientele.ErrorCode(err) == clientele.ENOTFOUND:
		return r, errUnauthenticated
	case err != nil:
		return r, err
	case !t.Usable(s.now()):
		return r, errUnauthenticated
	case len(scopes) > 0 && !t.HasAnyScope(scopes...):
		return r, errForbidden
	}
	if info := infoFrom(r.Context()); info != nil {
		info.tokenID = t.ID
	}
	return r.WithContext(context.WithValue(r.Context(), tokenKey{}, t)), nil
}

// bearer extracts the secret of an "Authorization: Bearer <secret>" header.
// The scheme is case-insensitive (RFC 9110 §11.1).
func bearer(h string) (string, bool) {
	scheme, secret, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	secret = strings.TrimSpace(secret)
	return secret, secret != ""
}
