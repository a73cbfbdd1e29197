package webhook

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/wire"
)

// profileBody is the body of a profile event (spec §10.2): the Profile
// object at the root, without a data wrapper, and the flattened lists
// Omneo's event context adds. clientele's tags and statuses are already
// plain handles, so the flattened lists are copies of them.
type profileBody struct {
	wire.Profile
	FlattenedTags     []string `json:"flattened_tags"`
	FlattenedStatuses []string `json:"flattened_statuses"`
}

// renderProfileBody renders p as a profile event's body, as a GET at now
// would (now dates the birthday fields); regions are the global regions
// its links name (wire.JoinRegions).
func renderProfileBody(p *clientele.Profile, regions []clientele.Region, now time.Time) ([]byte, error) {
	out := profileBody{Profile: wire.RenderProfile(p, now)}
	wire.JoinRegions(&out.Profile, regions)
	out.FlattenedTags, out.FlattenedStatuses = out.Tags, out.Statuses
	return encode(out)
}

// renderDeletedBody renders a profile.deleted event's body: the id alone.
// The profile is removed or purged by then, so there is no state to
// render, and an erased customer's data must not go out again; the id is
// what a subscriber needs to delete its own copy.
func renderDeletedBody(profileID string) ([]byte, error) {
	return encode(struct {
		ID string `json:"id"`
	}{profileID})
}

// renderBatchBody renders b as a batch event's body (spec §13 E7): the
// Batch object without its items.
func renderBatchBody(b clientele.Batch) ([]byte, error) {
	return encode(wire.RenderBatch(b))
}

// encode is JSON as the API writes it: no HTML escaping (URLs read as
// sent), no trailing newline. The body is signed byte for byte, so it is
// encoded once and stored.
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
