package api

import (
	"net/http"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/wire"
)

// The /auth routes (spec §10.3-§10.6) answer any valid token: a token
// manages its own user's tokens, whatever its scopes (spec §3).

// msgTokenValid is the /auth/verify body's message (spec §12 #31).
const msgTokenValid = "Token is valid."

// verifyBody is the /auth/verify body: the SDK resolves with the parsed
// body, and its test reads .status from it (spec §10.3, §11.5).
type verifyBody struct {
	Status  int    `json:"status"`
	Message string `json:"message"`
}

// apiToken is the ApiToken object (spec §4.10), in the spec's key order.
type apiToken struct {
	ID        string   `json:"id"`
	UserID    int64    `json:"user_id"`
	ClientID  int64    `json:"client_id"`
	Name      string   `json:"name"`
	Scopes    []string `json:"scopes"`
	Revoked   bool     `json:"revoked"`
	CreatedAt string   `json:"created_at"`
	UpdatedAt string   `json:"updated_at"`
	ExpiresAt string   `json:"expires_at"`
}

// tokenCreated is the unwrapped body of POST /auth/api-tokens (spec §10.4).
type tokenCreated struct {
	AccessToken string   `json:"accessToken"`
	Token       apiToken `json:"token"`
}

func renderToken(t clientele.Token) apiToken {
	scopes := t.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return apiToken{
		ID: t.ID, UserID: t.UserID, ClientID: t.ClientID, Name: t.Name, Scopes: scopes, Revoked: t.Revoked,
		CreatedAt: wire.FormatTime(t.CreatedAt), UpdatedAt: wire.FormatTime(t.UpdatedAt),
		ExpiresAt: wire.FormatTime(t.ExpiresAt),
	}
}

// caller is the token that authenticated r; every /auth route is
// authenticated, so its absence is a wiring bug.
func caller(r *http.Request) (clientele.Token, error) {
	t, ok := tokenFrom(r.Context())
	if !ok {
		return clientele.Token{}, clientele.Errorf(clientele.EINTERNAL, "route %s has no authenticated token", r.URL.Path)
	}
	return t, nil
}

// verifyToken answers GET /auth/verify: reaching it proves the token valid.
func (s *server) verifyToken(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, verifyBody{http.StatusOK, msgTokenValid})
	return nil
}

// createToken answers POST /auth/api-tokens (spec §10.4): a token for the
// caller's user, with the scopes asked for, shown once. Only its hash is
// stored, and the secret never reaches a log line.
func (s *server) createToken(w http.ResponseWriter, r *http.Request) error {
	me, err := caller(r)
	if err != nil {
		return err
	}
	body, release, err := s.readJSONBody(w, r)
	if err != nil {
		return err
	}
	defer release()
	req, err := clientele.ParseTokenRequest(body)
	if err != nil {
		return err
	}
	t, secret := clientele.NewToken(req.Name, req.Scopes, me.UserID, s.now().UTC())
	if err := s.store.CreateToken(r.Context(), t); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, tokenCreated{AccessToken: secret, Token: renderToken(t)})
	return nil
}

// listTokens answers GET /auth/access-tokens and GET /auth/api-tokens
// (spec §10.5): the caller's user's tokens as a bare array, selected by
// ?type= (none: not revoked; current; expired).
func (s *server) listTokens(w http.ResponseWriter, r *http.Request) error {
	me, err := caller(r)
	if err != nil {
		return err
	}
	typ := r.URL.Query().Get("type")
	all, err := s.store.ListTokens(r.Context(), me.UserID)
	if err != nil {
		return err
	}
	sel, ok := clientele.SelectTokens(all, typ, s.now())
	if !ok {
		return invalid("type", "The selected type is invalid.")
	}
	out := make([]apiToken, len(sel))
	for i, t := range sel {
		out[i] = renderToken(t)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// revokeToken answers DELETE /auth/api-tokens/{id} (spec §10.6): 204, and
// the token fails authentication from the next request on, on every node
// (authentication reads the store on each request). 404 for an unknown
// token or another user's. A token may revoke itself.
func (s *server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	me, err := caller(r)
	if err != nil {
		return err
	}
	if err := s.store.RevokeToken(r.Context(), me.UserID, r.PathValue("id"), s.now().UTC()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
