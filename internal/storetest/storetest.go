// Package storetest is the conformance suite of clientele.Store: every
// behaviour a store must show, as tests that run unchanged against each
// implementation (DESIGN §6). It tests behaviour only, through the Store
// interface; nothing here may depend on how a store keeps its data.
//
// Tests drive time with explicit values (leases expire because a later now
// is passed, never because time passes) and build chunks the way the
// worker does: decode, validate, normalise.
package storetest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clientele/clientele"
	"github.com/google/uuid"
)

// Run runs the suite. newStore must return a new, empty store each time it
// is called, and close it when the test ends (t.Cleanup); the tests run in
// parallel, one store each.
func Run(t *testing.T, newStore func(t *testing.T) clientele.Store) {
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

var tests = []struct {
	name string
	fn   func(*testing.T, clientele.Store)
}{
	{"TokenCreateAndFind", testTokenCreateAndFind},
	{"TokenNotFound", testTokenNotFound},
	{"TokenConflict", testTokenConflict},
	{"TokenEnsureAndCount", testTokenEnsureAndCount},
	{"TokenListAndRevoke", testTokenListAndRevoke},
	{"TokenLifecycle", testTokenLifecycle},

	{"BatchCreateAndRead", testBatchCreateAndRead},
	{"BatchItemsPending", testBatchItemsPending},
	{"BatchItemsAcrossChunks", testBatchItemsAcrossChunks},
	{"ClaimFIFO", testClaimFIFO},
	{"LeaseExpiryAndRenewal", testLeaseExpiryAndRenewal},
	{"LeasedItemsLostLease", testLeasedItemsLostLease},
	{"BatchClaimsAndFail", testBatchClaimsAndFail},
	{"QueuedItems", testQueuedItems},
	{"IdempotencyReplay", testIdempotencyReplay},
	{"IdempotencyExpiry", testIdempotencyExpiry},
	{"IdempotencyConcurrent", testIdempotencyConcurrent},

	{"ApplyOutcomes", testApplyOutcomes},
	{"ApplyAcrossBatches", testApplyAcrossBatches},
	{"ApplyAcrossChunks", testApplyAcrossChunks},
	{"ApplyVersionPerChange", testApplyVersionPerChange},
	{"ApplyIdentityMatch", testApplyIdentityMatch},
	{"ApplyConflicts", testApplyConflicts},
	{"ApplyKeysMoveWithinChunk", testApplyKeysMoveWithinChunk},
	{"ApplyStaleLeaseWritesNothing", testApplyStaleLeaseWritesNothing},
	{"ApplyReplayRefused", testApplyReplayRefused},
	{"ApplyCursorAndCompletion", testApplyCursorAndCompletion},

	{"ProfileRoundTrip", testProfileRoundTrip},
	{"ProfileNotFound", testProfileNotFound},
	{"ProfileByIdentity", testProfileByIdentity},
	{"ListIdentities", testListIdentities},
	{"ListProfilesFilters", testListProfilesFilters},
	{"ListProfilesFoldsCase", testListProfilesFoldsCase},
	{"ListProfilesSort", testListProfilesSort},
	{"ListProfilesPaging", testListProfilesPaging},
	{"ListProfilesInLists", testListProfilesInLists},
	{"ListProfilesTimes", testListProfilesTimes},
	{"ListProfilesTags", testListProfilesTags},
	{"ListProfilesAttributes", testListProfilesAttributes},

	{"ChangeProfile", testChangeProfile},
	{"ChangeProfileRefusals", testChangeProfileRefusals},
	{"ChangeProfileEdit", testChangeProfileEdit},
	{"ChangeProfileConcurrent", testChangeProfileConcurrent},
	{"RemoveProfile", testRemoveProfile},
	{"PurgeProfile", testPurgeProfile},
	{"RouteAfterPurge", testRouteAfterPurge},

	{"WebhookCRUD", testWebhookCRUD},
	{"WebhookUnique", testWebhookUnique},
	{"ListWebhooks", testListWebhooks},
	{"WebhookSecret", testWebhookSecret},
	{"RouterLease", testRouterLease},
	{"RouterReadsEvents", testRouterReadsEvents},
	{"SkipEvents", testSkipEvents},
	{"ProfilesByID", testProfilesByID},
	{"DeliveryClaimAndRecord", testDeliveryClaimAndRecord},
	{"DeliveryLeaseExpiry", testDeliveryLeaseExpiry},
	{"RecordAttemptsTogether", testRecordAttemptsTogether},
	{"DeliveryClaimRenewal", testDeliveryClaimRenewal},
	{"DeliveryHeldWhileInactive", testDeliveryHeldWhileInactive},
	{"DeliveryLogAndRetry", testDeliveryLogAndRetry},
	{"DeleteWebhookTakesDeliveries", testDeleteWebhookTakesDeliveries},

	{"RegionCRUD", testRegionCRUD},
	{"RegionHandleUnique", testRegionHandleUnique},
	{"ListRegions", testListRegions},
	{"RegionsByIDs", testRegionsByIDs},
}

// t0 is the suite's epoch. Every time a test passes is whole microseconds,
// the precision stores keep.
var t0 = time.Date(2025, 6, 2, 9, 30, 0, 0, time.UTC)

// at is t0 plus d.
func at(d time.Duration) time.Time { return t0.Add(d) }

// ttl is the lease lifetime the tests use.
const ttl = time.Minute

// phoneRegion is the region chunks are normalised with.
const phoneRegion = "AU"

// wantCode fails t unless err carries code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := clientele.ErrorCode(err); got != code {
		t.Fatalf("error code %q (%v), want %q", got, err, code)
	}
}

// ok fails t on err.
func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// submit stores a new batch of items (JSON objects) created at when, with
// match values computed as the accept path does, and returns its id.
func submit(t *testing.T, s clientele.Store, match string, when time.Time, items ...string) string {
	t.Helper()
	id := uuid.NewString()
	_, err := s.CreateBatch(t.Context(), newBatch(id, match, when, len(items)), newItems(t, match, items), clientele.Idempotency{})
	ok(t, err)
	return id
}

func newBatch(id, match string, when time.Time, n int) clientele.Batch {
	return clientele.Batch{ID: id, MatchCriteria: match, Status: clientele.BatchPending, TotalCount: n,
		CreatedAt: when, UpdatedAt: when}
}

func newItems(t *testing.T, match string, items []string) clientele.NewBatchItems {
	t.Helper()
	var ni clientele.NewBatchItems
	for i, item := range items {
		in, err := clientele.DecodeProfileInput([]byte(item))
		if err != nil {
			t.Fatalf("item %d: %v", i, err)
		}
		ni.Raw = append(ni.Raw, json.RawMessage(item))
		ni.MatchValues = append(ni.MatchValues, clientele.MatchValue(match, in))
	}
	return ni
}

// claim claims the oldest claimable batch at now.
func claim(t *testing.T, s clientele.Store, now time.Time) clientele.Lease {
	t.Helper()
	l, err := s.ClaimBatch(t.Context(), "worker-"+uuid.NewString()[:8], now, ttl)
	ok(t, err)
	return l
}

// chunkOf prepares raw items for ApplyChunk as the worker does.
func chunkOf(t *testing.T, raw []clientele.RawItem, now time.Time) clientele.Chunk {
	t.Helper()
	if len(raw) == 0 {
		t.Fatal("chunkOf: no items")
	}
	c := clientele.Chunk{From: raw[0].Index, Now: now}
	for _, r := range raw {
		in, err := clientele.DecodeProfileInput(r.JSON)
		if err != nil {
			t.Fatalf("item %d: %v", r.Index, err)
		}
		it := clientele.ChunkItem{Index: r.Index, Input: in}
		if errs := clientele.ValidateProfileInput(in, clientele.ModeBatchItem); len(errs) > 0 {
			it.Errors = errs
		} else if errs := clientele.NormalizeInput(in, phoneRegion); len(errs) > 0 {
			it.Errors = errs
		}
		c.Items = append(c.Items, it)
	}
	return c
}

// applyNext applies the chunk at the lease's cursor at now and returns the
// new cursor.
func applyNext(t *testing.T, s clientele.Store, l clientele.Lease, cursor int, now time.Time) int {
	t.Helper()
	raw, err := s.LeasedItems(t.Context(), l, cursor)
	ok(t, err)
	next, err := s.ApplyChunk(t.Context(), l, chunkOf(t, raw, now), ttl)
	ok(t, err)
	if next != cursor+len(raw) {
		t.Fatalf("ApplyChunk at %d with %d items returned cursor %d", cursor, len(raw), next)
	}
	return next
}

// applyAll claims batch id at now (it must be the oldest claimable one) and
// applies it to the end, as a worker does, and returns the batch.
func applyAll(t *testing.T, s clientele.Store, id string, now time.Time) clientele.Batch {
	t.Helper()
	l := claim(t, s, now)
	if l.BatchID != id {
		t.Fatalf("claimed batch %s, want %s", l.BatchID, id)
	}
	for cursor := l.Cursor; cursor < l.Total; {
		cursor = applyNext(t, s, l, cursor, now)
	}
	b, err := s.Batch(t.Context(), id)
	ok(t, err)
	return b
}

// allItems returns every item of batch id.
func allItems(t *testing.T, s clientele.Store, id string) []clientele.BatchItem {
	t.Helper()
	items, total, err := s.BatchItems(t.Context(), id, clientele.BatchItemFilter{})
	ok(t, err)
	if total != len(items) {
		t.Fatalf("BatchItems: %d items, total %d", len(items), total)
	}
	return items
}

// run submits items at now, applies them and returns the batch and its
// items.
func run(t *testing.T, s clientele.Store, match string, now time.Time, items ...string) (clientele.Batch, []clientele.BatchItem) {
	t.Helper()
	id := submit(t, s, match, now, items...)
	b := applyAll(t, s, id, now)
	return b, allItems(t, s, id)
}

// getProfile returns profile id.
func getProfile(t *testing.T, s clientele.Store, id string) clientele.Profile {
	t.Helper()
	p, err := s.Profile(t.Context(), id)
	ok(t, err)
	return p
}

// byEmail returns the one live profile with this email.
func byEmail(t *testing.T, s clientele.Store, email string) clientele.Profile {
	t.Helper()
	ps, total, err := s.ListProfiles(t.Context(), clientele.ProfileFilter{Email: &email, Limit: 10})
	ok(t, err)
	if total != 1 || len(ps) != 1 {
		t.Fatalf("profiles with email %s: %d (total %d), want 1", email, len(ps), total)
	}
	return ps[0]
}

// wantItem checks an item's status, outcome and entity.
func wantItem(t *testing.T, it clientele.BatchItem, outcome string, entity *string) {
	t.Helper()
	status := clientele.ItemSuccess
	switch outcome {
	case clientele.OutcomeFailed:
		status = clientele.ItemFailed
	case "":
		status = clientele.ItemPending
	}
	if it.Status != status || it.Outcome != outcome {
		t.Errorf("item %d: status %q outcome %q, want %q %q (errors %v)", it.Index, it.Status, it.Outcome, status, outcome, it.Errors)
	}
	if str(it.EntityID) != str(entity) {
		t.Errorf("item %d: entity %s, want %s", it.Index, str(it.EntityID), str(entity))
	}
}

// wantCounts checks a batch's counters: processed, success, failed,
// created, updated, unchanged.
func wantCounts(t *testing.T, b clientele.Batch, processed, success, failed, created, updated, unchanged int) {
	t.Helper()
	got := [6]int{b.ProcessedCount, b.SuccessCount, b.FailedCount, b.CreatedCount, b.UpdatedCount, b.UnchangedCount}
	want := [6]int{processed, success, failed, created, updated, unchanged}
	if got != want {
		t.Errorf("batch counts (processed success failed created updated unchanged) %v, want %v", got, want)
	}
}

// str shows an optional string.
func str(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%q", *s)
}

func ptr[T any](v T) *T { return &v }

// wantTime checks an optional time.
func wantTime(t *testing.T, what string, got *time.Time, want time.Time) {
	t.Helper()
	if got == nil || !got.Equal(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// ids lists the ids of profiles.
func ids(ps []clientele.Profile) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

// jsonEqual reports whether a and b are the same JSON value: stores may
// keep raw JSON reformatted.
func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return string(ja) == string(jb)
}

// emailItem is a minimal item with an email and a first name.
func emailItem(email, first string) string {
	return fmt.Sprintf(`{"email":%q,"first_name":%q}`, email, first)
}

// joinIDs shows ids for failure messages.
func joinIDs(ids []string) string { return strings.Join(ids, ",") }
