package clientele

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
)

// An identities doc is a profile's identities as a store may keep them in
// the profile's own row, beside its doc: a JSON array of objects with id,
// handle, identifier, is_active, is_primary, created_at and updated_at
// (unix microseconds, left out when zero); the profile id is the row's.
// Both stores read a profile's identities from it, one read of the row
// they read anyway, and keep their identities tables for what must be
// unique and found by key.

// MarshalIdentitiesDoc encodes ids as an identities doc; nil for none.
func MarshalIdentitiesDoc(ids []Identity) []byte {
	if len(ids) == 0 {
		return nil
	}
	e := docEncoder{b: make([]byte, 0, 128*len(ids))}
	e.b = append(e.b, '[')
	for i, x := range ids {
		e.elem(i)
		e.int("id", x.ID)
		e.str("handle", x.Handle)
		e.str("identifier", x.Identifier)
		e.key("is_active")
		e.b = strconv.AppendBool(e.b, x.IsActive)
		e.key("is_primary")
		e.b = strconv.AppendBool(e.b, x.IsPrimary)
		e.times(x.CreatedAt, x.UpdatedAt)
		e.b = append(e.b, '}')
	}
	return append(e.b, ']')
}

// UnmarshalIdentitiesDoc decodes an identities doc (nil or empty for none)
// into the identities of profile profileID, in id (creation) order.
func UnmarshalIdentitiesDoc(b []byte, profileID string) ([]Identity, error) {
	if len(b) == 0 {
		return nil, nil
	}
	r := docReader{b: b, s: string(b)}
	ids := docList(&r, func() Identity {
		x := Identity{ProfileID: profileID}
		r.object(func(k string) {
			switch k {
			case "id":
				x.ID = r.int()
			case "handle":
				x.Handle = r.str()
			case "identifier":
				x.Identifier = r.str()
			case "is_active":
				r.peek()
				x.IsActive = r.bool()
			case "is_primary":
				r.peek()
				x.IsPrimary = r.bool()
			case "created_at":
				x.CreatedAt = r.time()
			case "updated_at":
				x.UpdatedAt = r.time()
			default:
				r.raw()
			}
		})
		return x
	})
	if r.err != nil {
		return nil, fmt.Errorf("identities doc: %w", r.err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	slices.SortFunc(ids, func(a, b Identity) int { return cmp.Compare(a.ID, b.ID) })
	return ids, nil
}
