package api

import (
	"context"
	"net/http"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/wire"
)

// renderProfiles renders profiles as every route shows them: the wire
// form, with each region link joined to its global region (spec §4.8),
// all looked up in one store call.
func (s *server) renderProfiles(ctx context.Context, ps []clientele.Profile) ([]wire.Profile, error) {
	var known []clientele.Region
	if ids := wire.RegionIDs(ps); len(ids) > 0 {
		var err error
		if known, err = s.store.RegionsByIDs(ctx, ids); err != nil {
			return nil, err
		}
	}
	now := s.now()
	out := make([]wire.Profile, len(ps))
	for i := range ps {
		out[i] = wire.RenderProfile(&ps[i], now)
		wire.JoinRegions(&out[i], known)
	}
	return out, nil
}

// renderProfile is renderProfiles of one profile.
func (s *server) renderProfile(ctx context.Context, p *clientele.Profile) (wire.Profile, error) {
	out, err := s.renderProfiles(ctx, []clientele.Profile{*p})
	if err != nil {
		return wire.Profile{}, err
	}
	return out[0], nil
}

// writeProfile answers status with {"data": Profile}.
func (s *server) writeProfile(w http.ResponseWriter, r *http.Request, status int, p *clientele.Profile) error {
	out, err := s.renderProfile(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, status, dataBody{out})
	return nil
}
