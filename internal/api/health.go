package api

import "net/http"

// health answers GET /api/health (spec §10.7). It needs no token and
// ignores one that is sent; it says the process serves HTTP, not that the
// database is reachable, so a load balancer does not pull every node at
// once when the shared database blips.
func (s *server) health(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}
