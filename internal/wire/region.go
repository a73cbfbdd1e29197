package wire

import "github.com/clientele/clientele"

// GlobalRegion is the global form of the Region object (spec §4.8), keys in
// the spec's order, which the profile form (Region) shares for the fields
// both have. is_default is null when it was never set (spec §11 #10).
type GlobalRegion struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Handle    string    `json:"handle"`
	Countries []Country `json:"countries"`
	IsDefault *bool     `json:"is_default"`
	CreatedAt string    `json:"created_at"`
	UpdatedAt string    `json:"updated_at"`
}

// Country is the Country object as a region embeds it (spec §4.8). Only
// id, iso_2 and the times are known until a countries module exists (see
// clientele.Country); states is always a list.
type Country struct {
	ID         int64    `json:"id"`
	Name       *string  `json:"name"`
	ISO2       string   `json:"iso_2"`
	ISO3       *string  `json:"iso_3"`
	ISONumeric *string  `json:"iso_numeric"`
	SortOrder  *int     `json:"sort_order"`
	States     []string `json:"states"`
	CreatedAt  string   `json:"created_at"`
	UpdatedAt  string   `json:"updated_at"`
}

// RenderRegion turns a stored region into its global wire object.
func RenderRegion(r clientele.Region) GlobalRegion {
	return GlobalRegion{
		ID: r.ID, Name: r.Name, Handle: r.Handle, Countries: RenderCountries(r.Countries),
		IsDefault: r.IsDefault, CreatedAt: FormatTime(r.CreatedAt), UpdatedAt: FormatTime(r.UpdatedAt),
	}
}

// RenderCountries renders a region's countries; never nil, so that an
// empty set is [] on the wire.
func RenderCountries(cs []clientele.Country) []Country {
	out := make([]Country, 0, len(cs))
	for _, c := range cs {
		out = append(out, Country{
			ID: c.ID, Name: c.Name, ISO2: c.ISO2, ISO3: c.ISO3, ISONumeric: c.ISONumeric,
			SortOrder: c.SortOrder, States: []string{},
			CreatedAt: FormatTime(c.CreatedAt), UpdatedAt: FormatTime(c.UpdatedAt),
		})
	}
	return out
}
