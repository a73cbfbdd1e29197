package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/wire"
	"github.com/google/uuid"
)

// Router defaults.
const (
	// DefaultPageSize is how many events one routing transaction takes:
	// two chunks' worth, so that a busy outbox is read in few passes.
	DefaultPageSize = 1000
	// DefaultRouterLeaseTTL is how long a router's claim on the cursor
	// lasts unrenewed; another node's router takes over after it.
	DefaultRouterLeaseTTL = 15 * time.Second
	// skipEvery is how often an idle router (no active webhook) moves the
	// cursor to the end of the outbox.
	skipEvery = 5 * time.Second
)

// Router turns outbox events into deliveries. Run it on every node: one at
// a time holds the cursor, the others wait to take over.
type Router struct {
	store    clientele.Store
	log      *slog.Logger
	now      func() time.Time
	owner    string
	pageSize int
	ttl      time.Duration
	poll     time.Duration
	routed   func() // called after deliveries were stored

	lease     *clientele.RouterLease
	lastSkip  time.Time
	nextClaim time.Time // while another node holds the cursor, when to try again
}

// routeResult is what one pass did.
type routeResult struct {
	events, deliveries int
	full               bool // the page was full: more may be waiting
}

// Run routes until ctx ends.
func (r *Router) Run(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		for ctx.Err() == nil {
			res, err := r.routeOnce(ctx)
			if err != nil && ctx.Err() == nil {
				r.log.Error("webhook router", "error", err)
			}
			if err != nil || !res.full {
				break
			}
		}
		timer.Reset(r.poll)
	}
}

// claim makes sure this router holds the cursor, renewing the claim when
// half its lifetime is gone. It reports false when another node holds it.
func (r *Router) claim(ctx context.Context, now time.Time) (bool, error) {
	if r.lease != nil && r.lease.ExpiresAt.Sub(now) > r.ttl/2 {
		return true, nil
	}
	if r.lease == nil && now.Before(r.nextClaim) {
		return false, nil
	}
	l, err := r.store.ClaimRouter(ctx, r.owner, now, r.ttl)
	if clientele.ErrorCode(err) == clientele.ECONFLICT {
		// Another node routes. Its lease outlives half a TTL from now at
		// least; asking before then is a write that cannot succeed.
		r.lease, r.nextClaim = nil, now.Add(r.ttl/2)
		return false, nil
	}
	if err != nil {
		return false, err
	}
	r.lease = &l
	return true, nil
}

// renewed notes that a write extended the lease to now+ttl.
func (r *Router) renewed(now time.Time) {
	if r.lease != nil {
		r.lease.ExpiresAt = now.Add(r.ttl)
	}
}

// lost forgets a lease the store no longer honours.
func (r *Router) lost(err error) error {
	if clientele.ErrorCode(err) == clientele.ECONFLICT {
		r.lease = nil
		return nil
	}
	return err
}

// routeOnce routes one page of events.
func (r *Router) routeOnce(ctx context.Context) (routeResult, error) {
	now := r.now()
	if held, err := r.claim(ctx, now); err != nil || !held {
		return routeResult{}, err
	}
	hooks, _, err := r.store.ListWebhooks(ctx, clientele.WebhookFilter{IsActive: ptr(true)})
	if err != nil {
		return routeResult{}, err
	}
	if len(hooks) == 0 {
		// Nothing listens: keep the cursor near the end, now and then,
		// instead of reading events meant for no one.
		if now.Sub(r.lastSkip) >= skipEvery {
			if err := r.store.SkipEvents(ctx, *r.lease, now, r.ttl); err != nil {
				return routeResult{}, r.lost(err)
			}
			r.lastSkip = now
			r.renewed(now)
		}
		return routeResult{}, nil
	}
	page, err := r.store.NextEvents(ctx, *r.lease, r.pageSize, now)
	if err != nil {
		return routeResult{}, r.lost(err)
	}
	if len(page.Events) == 0 {
		// Nothing new. Gaps that expired stay stored until the next write
		// drops them: looking for them again costs a few index probes.
		return routeResult{}, nil
	}
	ds, err := r.match(ctx, page.Events, hooks, now)
	if err != nil {
		return routeResult{}, err
	}
	if err := r.store.RouteEvents(ctx, *r.lease, page, ds, now, r.ttl); err != nil {
		return routeResult{}, r.lost(err)
	}
	r.renewed(now)
	if len(ds) > 0 && r.routed != nil {
		r.routed()
	}
	return routeResult{events: len(page.Events), deliveries: len(ds), full: len(page.Events) >= r.pageSize}, nil
}

// candidate is a webhook an event may go to.
type candidate struct {
	hook clientele.Webhook
	rule json.RawMessage
}

// match decides which webhooks hear of which events and renders their
// bodies: trigger equal to the event type; not when the webhook's
// namespace is the event's origin (loop prevention); and only when the
// condition, if any, passes on the body. A profile event renders the
// profile as it is now (as a queued Laravel job reloads its model), so two
// events of one profile in a page carry the same, latest, state; a profile
// removed since is not reported. A profile.deleted event carries only the
// profile's id (renderDeletedBody). Bodies are rendered once per profile or
// batch, whatever the number of webhooks.
func (r *Router) match(ctx context.Context, events []clientele.Event, hooks []clientele.Webhook,
	now time.Time) ([]clientele.NewDelivery, error) {
	byTrigger := map[string][]candidate{}
	for _, h := range hooks {
		byTrigger[h.Trigger] = append(byTrigger[h.Trigger], candidate{hook: h, rule: h.Condition})
	}
	heard := func(e clientele.Event) []candidate {
		var out []candidate
		for _, c := range byTrigger[e.Type] {
			if c.hook.Namespace != "" && c.hook.Namespace == e.Origin {
				continue
			}
			out = append(out, c)
		}
		return out
	}

	var profileIDs []string
	batches := map[string]*clientele.Batch{}
	for _, e := range events {
		if len(heard(e)) == 0 {
			continue
		}
		switch {
		case e.Type == clientele.EventProfileDeleted:
			// Rendered below from the event alone.
		case e.ProfileID != "":
			profileIDs = append(profileIDs, e.ProfileID)
		case e.BatchID != "":
			batches[e.BatchID] = nil
		}
	}
	bodies := map[string]*rendered{} // by "p:"+profile id or "b:"+batch id
	if len(profileIDs) > 0 {
		ps, err := r.store.ProfilesByID(ctx, profileIDs)
		if err != nil {
			return nil, err
		}
		var regions []clientele.Region
		if ids := wire.RegionIDs(ps); len(ids) > 0 {
			if regions, err = r.store.RegionsByIDs(ctx, ids); err != nil {
				return nil, err
			}
		}
		for i := range ps {
			body, err := renderProfileBody(&ps[i], regions, now)
			if err != nil {
				return nil, fmt.Errorf("webhook: render profile %s: %w", ps[i].ID, err)
			}
			bodies["p:"+ps[i].ID] = &rendered{body: body}
		}
	}
	for id := range batches {
		b, err := r.store.Batch(ctx, id)
		if clientele.ErrorCode(err) == clientele.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		body, err := renderBatchBody(b)
		if err != nil {
			return nil, fmt.Errorf("webhook: render batch %s: %w", id, err)
		}
		bodies["b:"+id] = &rendered{body: body}
	}

	var ds []clientele.NewDelivery
	warned := map[int64]bool{}
	for _, e := range events {
		cs := heard(e)
		if len(cs) == 0 {
			continue
		}
		key := "b:" + e.BatchID
		switch {
		case e.Type == clientele.EventProfileDeleted:
			key = "d:" + e.ProfileID
			if bodies[key] == nil {
				body, err := renderDeletedBody(e.ProfileID)
				if err != nil {
					return nil, fmt.Errorf("webhook: render deletion of %s: %w", e.ProfileID, err)
				}
				bodies[key] = &rendered{body: body}
			}
		case e.ProfileID != "":
			key = "p:" + e.ProfileID
		}
		body := bodies[key]
		if body == nil {
			continue // removed since, or of an unknown kind
		}
		for _, c := range cs {
			if c.rule != nil && !r.passes(c, body, e, warned) {
				continue
			}
			ds = append(ds, clientele.NewDelivery{
				WebhookID: c.hook.ID, EventID: e.ID, EventType: e.Type,
				MessageID: "msg_" + uuidHex(), Body: body.body,
			})
		}
	}
	return ds, nil
}

// rendered is a body and, once a condition needed it, its decoded form.
type rendered struct {
	body    []byte
	decoded any
}

// passes evaluates c's condition on the body. A condition that fails to
// run does not pass, and is logged once per webhook and page.
func (r *Router) passes(c candidate, b *rendered, e clientele.Event, warned map[int64]bool) bool {
	if b.decoded == nil {
		if err := json.Unmarshal(b.body, &b.decoded); err != nil {
			return false
		}
	}
	ok, err := conditionPasses(c.rule, b.decoded)
	if err != nil && !warned[c.hook.ID] {
		warned[c.hook.ID] = true
		r.log.Warn("webhook condition failed to run; its events are held back",
			"webhook_id", c.hook.ID, "event_id", e.ID, "error", err)
	}
	return ok
}

// uuidHex is a random UUID's 32 hex digits.
func uuidHex() string {
	u := uuid.New()
	const hexDigits = "0123456789abcdef"
	out := make([]byte, 32)
	for i, b := range u {
		out[2*i], out[2*i+1] = hexDigits[b>>4], hexDigits[b&15]
	}
	return string(out)
}

func ptr[T any](v T) *T { return &v }
