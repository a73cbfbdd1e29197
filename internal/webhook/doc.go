// Package webhook carries the outbox's events to webhook subscribers
// (spec §10.2, §13 E7–E9; DESIGN §4).
//
// The Router reads the events outbox in order from a cursor that one node
// at a time holds under a lease, matches each event to the active webhooks
// (trigger equal to the event type, namespace loop prevention, JSON Logic
// condition on the body), renders the body once, and stores a delivery per
// match, moving the cursor in the same transaction. The Dispatcher claims
// due deliveries under leases (so several nodes never send one attempt
// twice), POSTs them signed with bounded concurrency overall and per host,
// and records every attempt: 2xx delivers; network errors, 408, 429 and 5xx
// are retried on the Schedule; anything else fails. A node that dies
// between sending and recording loses its lease, and the delivery is sent
// again: delivery is at least once, and receivers drop repeats by their
// webhook-id. The Guard refuses connections to loopback, private,
// link-local and metadata addresses unless they are allowed.
package webhook
