package clientele

import (
	"encoding/json"
	"slices"
	"time"
)

// Event types beyond the profile ones of resolve.go: profile.deleted,
// written by RemoveProfile and PurgeProfile, and the end of a batch
// (spec §13 E7), written by the chunk transaction that ends it.
const (
	EventProfileDeleted = "profile.deleted"
	EventBatchCompleted = "batch.completed"
	EventBatchFailed    = "batch.failed"
)

// Webhook queue priorities (spec §4.9). Any other sent value is stored as
// WebhookQueueLow, as Omneo's documentation describes.
const (
	WebhookQueueLow     = "low"
	WebhookQueueDefault = "default"
	WebhookQueueHigh    = "high"
)

// Webhook is a subscription (spec §4.9): the events whose type equals
// Trigger, and whose body passes Condition, are POSTed to URL.
type Webhook struct {
	ID int64
	// Trigger is free text (spec §11 #11): an event type such as
	// "profile.updated", compared exactly.
	Trigger string
	URL     string
	// Namespace is "" when none was given; never null on the wire.
	Namespace   string
	UserID      int64
	IsActive    bool
	RetryHourly bool
	RetryDaily  *bool
	Queue       *string
	// Condition is the JSON Logic rule as sent (a JSON object), or nil for
	// none (null on the wire).
	Condition json.RawMessage
	CreatedAt time.Time
	UpdatedAt time.Time
}

// WebhookFilter selects and pages webhooks; nil means no filter. Trigger
// and Namespace are exact matches (spec §10.1).
type WebhookFilter struct {
	IsActive  *bool
	Trigger   *string
	Namespace *string
	Offset    int
	Limit     int // 0 = all
}

// Event is one row of the outbox: a change that webhooks may report.
type Event struct {
	ID        int64
	Type      string
	ProfileID string // "" for batch events
	BatchID   string // "" for a change no batch made
	Version   int64  // the profile's version after the change; 0 for batch events
	// Origin is the namespace of the token that caused the change (a
	// token's namespace is its name): webhooks of that namespace do not
	// hear of it (spec §10.2, loop prevention). "" when unknown.
	Origin    string
	CreatedAt time.Time
}

// RouterLease is the claim of one node's webhook router on the outbox
// cursor: only its holder may move the cursor, so that one router routes
// at a time however many nodes run.
type RouterLease struct {
	Owner     string
	Token     string
	ExpiresAt time.Time
}

// RouterCursor is how far the router has read the outbox: every event up to
// Position has been routed, except the ids in Gaps, which were missing when
// the cursor passed them. On PostgreSQL event ids are taken when a
// transaction inserts and become visible when it commits, so with several
// nodes a smaller id can appear after a larger one; the router keeps
// looking for such ids for EventGapTimeout (after which the id belonged to
// a transaction that rolled back) instead of waiting for them.
type RouterCursor struct {
	Position int64
	Gaps     []EventGap
}

// EventGap is an event id the router passed before it was visible.
type EventGap struct {
	ID   int64
	Seen time.Time // when the router first missed it
}

// gapJSON is the stored form of an EventGap.
type gapJSON struct {
	ID   int64 `json:"id"`
	Seen int64 `json:"seen"` // unix microseconds
}

// MarshalEventGaps is the stored form of a router cursor's gaps, the same
// in every store.
func MarshalEventGaps(gaps []EventGap) (string, error) {
	out := make([]gapJSON, len(gaps))
	for i, g := range gaps {
		out[i] = gapJSON{g.ID, g.Seen.UnixMicro()}
	}
	b, err := json.Marshal(out)
	return string(b), err
}

// UnmarshalEventGaps reads what MarshalEventGaps wrote.
func UnmarshalEventGaps(s string) ([]EventGap, error) {
	var in []gapJSON
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		return nil, err
	}
	out := make([]EventGap, len(in))
	for i, g := range in {
		out[i] = EventGap{ID: g.ID, Seen: time.UnixMicro(g.Seen).UTC()}
	}
	return out, nil
}

// EventIDs lists the ids of es, for RouterCursor.Advance.
func EventIDs(es []Event) []int64 {
	ids := make([]int64, len(es))
	for i, e := range es {
		ids[i] = e.ID
	}
	return ids
}

// EventGapTimeout is how long the router looks for a missing event id.
// It bounds how long a transaction may stay open between writing an event
// and committing; apply transactions take well under a second, and their
// leases (30s by default) end them much sooner than this.
const EventGapTimeout = 10 * time.Minute

// MaxEventGaps bounds RouterCursor.Gaps; only a store that lost whole
// ranges of ids would reach it, and the oldest gaps are dropped first.
const MaxEventGaps = 10000

// EventPage is a read of the outbox past a cursor: the events to route, in
// id order, and the cursor to save once they are routed.
type EventPage struct {
	Events []Event
	Next   RouterCursor
}

// Advance returns the cursor after a read that found, in ascending order,
// the events past c.Position (at most a page of them: ahead) and those of
// c.Gaps that are now visible (late). Ids skipped between c.Position and
// the last of ahead become gaps seen at now; gaps found are dropped, as are
// gaps older than EventGapTimeout.
func (c RouterCursor) Advance(ahead, late []int64, now time.Time) RouterCursor {
	next := RouterCursor{Position: c.Position}
	for _, g := range c.Gaps {
		if !slices.Contains(late, g.ID) && now.Sub(g.Seen) < EventGapTimeout {
			next.Gaps = append(next.Gaps, g)
		}
	}
	prev := c.Position
	for _, id := range ahead {
		for missing := prev + 1; missing < id && len(next.Gaps) < MaxEventGaps*2; missing++ {
			next.Gaps = append(next.Gaps, EventGap{ID: missing, Seen: now})
		}
		prev = id
	}
	next.Position = prev
	if n := len(next.Gaps); n > MaxEventGaps {
		next.Gaps = next.Gaps[n-MaxEventGaps:]
	}
	return next
}

// GapIDs lists the ids of c.Gaps.
func (c RouterCursor) GapIDs() []int64 {
	ids := make([]int64, len(c.Gaps))
	for i, g := range c.Gaps {
		ids[i] = g.ID
	}
	return ids
}

// Delivery statuses (spec §13 E9).
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// NewDelivery is a delivery the router creates: one event for one webhook,
// with the body rendered once, at routing time.
type NewDelivery struct {
	WebhookID int64
	EventID   int64
	EventType string
	// MessageID is the Standard Webhooks webhook-id: the same on every
	// attempt, so that receivers can drop repeats.
	MessageID string
	Body      []byte
}

// Delivery is one event on its way to one webhook, and its record.
type Delivery struct {
	ID        int64
	WebhookID int64
	EventID   int64
	EventType string
	MessageID string
	// Body is the request body; the log listing leaves it nil.
	Body     []byte
	Status   string
	Attempts int
	// RetryBase is Attempts when the delivery was last requeued by hand:
	// the retry schedule counts the attempts since.
	RetryBase      int
	LastStatusCode *int
	LastError      *string
	NextAttemptAt  *time.Time // set while pending
	DeliveredAt    *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time

	// Set by ClaimDeliveries: where and how to send it now (the webhook's
	// current settings), and the claim that fences the attempt's record.
	URL         string
	Trigger     string
	RetryHourly bool
	RetryDaily  *bool
	LeaseToken  string
}

// DeliveryAttempt is one try at sending a delivery, and what it decided.
type DeliveryAttempt struct {
	StartedAt  time.Time
	Duration   time.Duration
	StatusCode *int    // nil when no response came
	Error      *string // nil on success
	// Delivered ends the delivery as delivered; otherwise RetryAt, when
	// set, schedules the next attempt, and nil ends it as failed.
	Delivered bool
	RetryAt   *time.Time
}

// ClaimedAttempt is an attempt at a delivery claimed by ClaimDeliveries,
// to record.
type ClaimedAttempt struct {
	Delivery Delivery
	Attempt  DeliveryAttempt
}

// DeliveryAttemptRecord is an attempt as the delivery log keeps it.
type DeliveryAttemptRecord struct {
	Number     int // from 1
	StartedAt  time.Time
	Duration   time.Duration
	StatusCode *int
	Error      *string
}

// DeliveryFilter selects and pages a webhook's deliveries, newest first.
type DeliveryFilter struct {
	Status string // "" or a Delivery* status
	Offset int
	Limit  int // 0 = all
}

// ErrWebhookURLTaken is the error of a (trigger, url) pair another webhook
// holds (spec §4.9 DECISION), as both stores report it.
func ErrWebhookURLTaken() error {
	return FieldErrors{"url": {"The url has already been taken."}}.Err()
}
