package wire

import (
	"encoding/json"

	"github.com/clientele/clientele"
)

// CustomAttribute is the sub-resource form of spec §4.3 (on the Profile
// object the same attributes are a {namespace: {handle: value}} map).
type CustomAttribute struct {
	ID        int64           `json:"id"`
	ProfileID string          `json:"profile_id"`
	Namespace string          `json:"namespace"`
	Handle    string          `json:"handle"`
	Type      string          `json:"type"`
	Value     json.RawMessage `json:"value"`
	CreatedAt string          `json:"created_at"`
	UpdatedAt string          `json:"updated_at"`
}

// RenderCustomAttribute turns one stored attribute of profile profileID
// into its sub-resource object.
func RenderCustomAttribute(profileID string, ca clientele.CustomAttribute) CustomAttribute {
	return CustomAttribute{
		ID: ca.ID, ProfileID: profileID, Namespace: ca.Namespace, Handle: ca.Handle, Type: ca.Type,
		Value: rawOrNull(ca.Value), CreatedAt: FormatTime(ca.CreatedAt), UpdatedAt: FormatTime(ca.UpdatedAt),
	}
}
