package clientele

import (
	"context"
	"time"
)

// WebhookStore keeps webhook subscriptions and carries events to them: the
// outbox cursor the router moves, and the deliveries the dispatcher sends
// (DESIGN §4). Events themselves are written by the transactions that make
// the changes (ApplyChunk).
type WebhookStore interface {
	// CreateWebhook stores w with a new ID and returns it as stored.
	// EINVALID (field url, "The url has already been taken.") if a webhook
	// with the same Trigger and URL exists.
	CreateWebhook(ctx context.Context, w Webhook) (Webhook, error)
	// Webhook returns one webhook. ENOTFOUND if unknown.
	Webhook(ctx context.Context, id int64) (Webhook, error)
	// ListWebhooks returns one page of webhooks in id order and the number
	// matching f.
	ListWebhooks(ctx context.Context, f WebhookFilter) ([]Webhook, int, error)
	// UpdateWebhook replaces every field of webhook w.ID but ID, UserID and
	// CreatedAt, and returns it as stored. ENOTFOUND if unknown; EINVALID
	// (field url) if another webhook has the same Trigger and URL.
	UpdateWebhook(ctx context.Context, w Webhook) (Webhook, error)
	// DeleteWebhook deletes a webhook with its deliveries. ENOTFOUND if
	// unknown.
	DeleteWebhook(ctx context.Context, id int64) error

	// EnsureWebhookSecret returns the stored webhook signing secret,
	// storing candidate first when there is none, so that every node of
	// a database signs with the one secret.
	EnsureWebhookSecret(ctx context.Context, candidate string) (string, error)

	// ClaimRouter leases the outbox cursor to owner until now+ttl when it is
	// free, expired or already owner's. ECONFLICT if another owner holds it.
	ClaimRouter(ctx context.Context, owner string, now time.Time, ttl time.Duration) (RouterLease, error)
	// NextEvents reads up to limit events past the cursor, and the cursor's
	// gaps that have become visible, in id order, with each event's Origin
	// (its own, else that of the batch that made it). It changes nothing.
	// ECONFLICT if l no longer holds the cursor.
	NextEvents(ctx context.Context, l RouterLease, limit int, now time.Time) (EventPage, error)
	// RouteEvents stores the deliveries (a delivery of an event to a
	// webhook that already has one is skipped) and moves the cursor to
	// p.Next in one transaction, extending the lease to now+ttl. ECONFLICT,
	// with nothing written, if l no longer holds the cursor.
	RouteEvents(ctx context.Context, l RouterLease, p EventPage, ds []NewDelivery, now time.Time, ttl time.Duration) error
	// SkipEvents moves the cursor past every event written so far, without
	// routing them, unless a webhook is active (then it only extends the
	// lease to now+ttl): an idle router keeps the cursor near the end, so
	// that the first webhook does not wait for a backlog meant for no one.
	// ECONFLICT if l no longer holds the cursor.
	SkipEvents(ctx context.Context, l RouterLease, now time.Time, ttl time.Duration) error
	// ProfilesByID returns the live profiles among ids, in the order of
	// ids; unknown and removed ones are left out.
	ProfilesByID(ctx context.Context, ids []string) ([]Profile, error)

	// ClaimDeliveries leases to owner, until now+ttl, up to limit pending
	// deliveries of active webhooks that are due at now and not leased
	// (or whose lease expired), the earliest due first, with their bodies
	// and their webhooks' current URL, trigger and retry settings. Several
	// nodes never hold one delivery at once. An empty slice when none is due.
	ClaimDeliveries(ctx context.Context, owner string, now time.Time, ttl time.Duration, limit int) ([]Delivery, error)
	// RenewClaims extends to now+ttl the claims on ds (as ClaimDeliveries
	// returned them) that still hold, so that a node keeps what it has
	// claimed but not yet sent for as long as it lives; a claim that was
	// lost stays lost.
	RenewClaims(ctx context.Context, ds []Delivery, now time.Time, ttl time.Duration) error
	// RecordAttempts records attempts of claimed deliveries in one
	// transaction: each moves its delivery to delivered, pending (retry at
	// RetryAt) or failed, and ends its claim. An attempt whose claim was
	// lost (it expired and another node claimed the delivery, or the
	// delivery was requeued) changes nothing; lost lists those deliveries'
	// ids. Recording many attempts at once is what lets a node send
	// faster than its database commits.
	RecordAttempts(ctx context.Context, as []ClaimedAttempt) (lost []int64, err error)
	// Deliveries returns one page of webhook webhookID's deliveries, newest
	// first, without bodies, and the number matching f. ENOTFOUND if the
	// webhook is unknown.
	Deliveries(ctx context.Context, webhookID int64, f DeliveryFilter) ([]Delivery, int, error)
	// Delivery returns one delivery of webhook webhookID, with its body and
	// every attempt, oldest first. ENOTFOUND if unknown.
	Delivery(ctx context.Context, webhookID, id int64) (Delivery, []DeliveryAttemptRecord, error)
	// RetryDelivery requeues a delivery of webhook webhookID to be sent at
	// now, whatever its status, ending any claim on it; the retry schedule
	// starts again from its first step. ENOTFOUND if unknown.
	RetryDelivery(ctx context.Context, webhookID, id int64, now time.Time) (Delivery, error)
}
