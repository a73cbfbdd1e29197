package clientele

import (
	"context"
	"time"
)

// ProfileChange is one write to one profile outside a batch: POST and PUT
// /profiles, update-type, and every sub-resource write. It goes through
// the same Merge, conflict rule and versioning as a batch item
// (PlanChange), so the two paths cannot drift apart.
type ProfileChange struct {
	// ID names the live profile to change; "" creates a profile.
	ID string
	// Input is validated and normalised input (ValidateProfileInput, then
	// NormalizeInput), applied with Merge; nil applies none.
	Input *ProfileInput
	// Edit, when set, runs on a copy of the stored profile before Input is
	// merged, for what input cannot express: removing a child, or checking
	// that the child a route names exists. It reports whether it changed
	// anything; an error (ENOTFOUND for an unknown child) aborts the change
	// and is returned as it is. It is not called when creating. It may run
	// more than once (a store retries a transaction that lost a race), so
	// it must only look at and change p.
	Edit func(p *Profile, now time.Time) (bool, error)
	// Origin is the namespace of the token that makes the change (a token's
	// name): webhooks of that namespace do not hear of it (spec §10.2).
	Origin string
	Now    time.Time
}

// ProfileChanged is the outcome of a ProfileChange: the profile as stored
// and OutcomeCreated, OutcomeUpdated or OutcomeUnchanged.
type ProfileChanged struct {
	Profile Profile
	Outcome string
}

// ProfileWriter writes single profiles (the profile routes). Each method is
// one transaction that also writes the outbox event of the change, with
// the change's origin.
type ProfileWriter interface {
	// ChangeProfile applies ch. It loads the profile (ENOTFOUND if ch.ID
	// names no live profile), plans the change with PlanChange (returning
	// its error), looks up the owners of the result's keys and fails with
	// EINVALID field errors (ChangeConflicts) if another live profile owns
	// one, then writes the profile and a profile.created or
	// profile.updated event. An unchanged profile is not written and gets
	// no event. Concurrent changes of one profile, on any number of nodes,
	// are applied one after the other: none is lost.
	ChangeProfile(ctx context.Context, ch ProfileChange) (ProfileChanged, error)
	// RemoveProfile soft-deletes a live profile (spec §5.5): its
	// profile_type becomes "deleted", it disappears from every read, its
	// email, mobile and identities are freed, and a profile.deleted event
	// is written. ENOTFOUND if id names no live profile.
	RemoveProfile(ctx context.Context, id, origin string, now time.Time) error
	// PurgeProfile erases a profile, live or removed, with its identities
	// and the webhook deliveries that carried its data (spec §5.6). A live
	// profile gets a profile.deleted event. ENOTFOUND if no such profile
	// exists.
	PurgeProfile(ctx context.Context, id, origin string, now time.Time) error
}

// PlanChange computes what ch makes of old (nil when creating): the Edit,
// then Merge of the input. The result has its new version and, when
// created, an id from newID. The outcome is OutcomeCreated,
// OutcomeUpdated or OutcomeUnchanged; unchanged means the result is old's
// state and must not be written.
func PlanChange(old *Profile, ch ProfileChange, newID func() string) (*Profile, string, error) {
	in := ch.Input
	if in == nil {
		in = &ProfileInput{}
	}
	base, edited := old, false
	if ch.Edit != nil && old != nil {
		base = cloneProfile(old)
		var err error
		if edited, err = ch.Edit(base, ch.Now); err != nil {
			return nil, "", err
		}
	}
	next, changed := Merge(base, in, ch.Now)
	if edited {
		changed = true
		next.UpdatedAt = ch.Now
	}
	switch {
	case old == nil:
		next.SetID(newID())
		next.Version = 1
		return next, OutcomeCreated, nil
	case changed:
		next.Version = old.Version + 1
		return next, OutcomeUpdated, nil
	}
	return next, OutcomeUnchanged, nil
}

// ChangeKeys lists the unique keys p holds, for the store to find their
// owners before ChangeConflicts.
func ChangeKeys(p *Profile) ChunkKeys {
	var k ChunkKeys
	if p.Email != nil {
		k.Emails = []string{*p.Email}
	}
	if p.MobilePhone != nil {
		k.Mobiles = []string{*p.MobilePhone}
	}
	for _, id := range p.Identities {
		k.Identities = append(k.Identities, IdentityKey{id.Handle, id.Identifier})
	}
	return k
}

// ChangeConflicts is the unique-key rule of a ProfileChange: the same as a
// batch item's (spec §13 E3), with the Laravel messages of spec §5.2, as
// an EINVALID error; nil when p may hold all its keys. lk holds the owners
// of ChangeKeys(p).
func ChangeConflicts(p *Profile, in *ProfileInput, lk *ChunkLookup) error {
	if in == nil {
		in = &ProfileInput{}
	}
	if errs, _ := conflicts(p, in, lk); errs != nil {
		return errs.Err()
	}
	return nil
}

// EventFor is the outbox event of an outcome: "" when nothing changed.
func EventFor(outcome string) string {
	switch outcome {
	case OutcomeCreated:
		return EventProfileCreated
	case OutcomeUpdated:
		return EventProfileUpdated
	}
	return ""
}
