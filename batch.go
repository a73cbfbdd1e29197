package clientele

import (
	"encoding/json"
	"time"
)

// Batch statuses (spec §4.11).
const (
	BatchPending    = "pending"
	BatchProcessing = "processing"
	BatchCompleted  = "completed"
	BatchFailed     = "failed"
)

// Item statuses and outcomes (spec §4.11, §13 E1).
const (
	ItemPending = "pending"
	ItemSuccess = "success"
	ItemFailed  = "failed"

	OutcomeCreated   = "created"
	OutcomeUpdated   = "updated"
	OutcomeUnchanged = "unchanged"
	OutcomeFailed    = "failed"
)

// Batch size limits (spec §6.1, §13 E10).
const (
	DefaultMaxBatchSize = 500
	MaxMaxBatchSize     = 10000
)

// ChunkSize is how many items one apply transaction takes, and how many
// items one stored payload row holds, so a worker reads exactly one payload
// row per chunk.
const ChunkSize = 500

// MatchEmail is the match_criteria that matches on email; any other value
// names an identity handle.
const MatchEmail = "email"

// Batch is one submitted batch: the queue entry and its progress.
type Batch struct {
	ID             string
	ImportJobID    *int64
	MatchCriteria  string
	Status         string
	TotalCount     int
	ProcessedCount int
	SuccessCount   int
	FailedCount    int
	CreatedCount   int
	UpdatedCount   int
	UnchangedCount int
	CreatedAt      time.Time
	UpdatedAt      time.Time
	StartedAt      *time.Time
	CompletedAt    *time.Time
	// Origin is the namespace of the token that submitted the batch (a
	// token's namespace is its name); the batch's webhook events are held
	// back from webhooks of that namespace (spec §10.2). Only CreateBatch
	// stores it; reads leave it "".
	Origin string
}

// NewBatchItems is what CreateBatch stores: the validated raw items in
// array order and, for each, the match value shown while it is pending.
type NewBatchItems struct {
	Raw         []json.RawMessage
	MatchValues []string // "" when the item has no match value
}

// BatchItem is the state of one item (spec §4.11 plus E1). ID is Index+1,
// stable whether or not the item has been processed.
type BatchItem struct {
	Index             int
	Status            string
	Outcome           string // "" while pending
	EntityID          *string
	MatchValue        *string
	Errors            FieldErrors // keys relative to the item ("email")
	ConflictProfileID *string
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// Error is the first error message, or nil (spec §4.11 "error").
func (it BatchItem) Error() *string {
	if len(it.Errors) == 0 {
		return nil
	}
	s := it.Errors.First()
	return &s
}

// BatchItemFilter selects and pages the items of a batch.
type BatchItemFilter struct {
	Status string // "", pending, success or failed
	Offset int
	Limit  int // 0 = all
}

// Lease is a worker's claim on a batch. Every write under the lease is
// fenced by Token: if another worker has since claimed the batch, the write
// fails with ECONFLICT and changes nothing.
type Lease struct {
	BatchID       string
	Token         string
	Owner         string
	MatchCriteria string
	Cursor        int // index of the next item to apply
	Total         int
	// Claims counts the leases this batch has had, this one included.
	Claims int
}

// MaxBatchClaims is how many leases a batch may have before the worker
// gives up on it: a batch is normally claimed once, and again only when its
// worker died or failed, so this many claims means it cannot complete.
const MaxBatchClaims = 10

// ChunkItem is one item ready to apply: decoded, validated and normalised.
// When Errors is set the item fails without touching any profile.
type ChunkItem struct {
	Index  int
	Input  *ProfileInput
	Errors FieldErrors
}

// PrepareItem makes a stored item, decoded, ready to apply as the worker
// does. It is not validated again: every stored item passed
// ValidateProfileInput (ModeBatchItem) when its batch was accepted
// (ParseBatchRequest refuses a batch with any invalid item), and checking
// it again cost 3% of the server's CPU in a load whose backlog outgrew the
// Handoff. (Should a release ever tighten the rules, batches queued by an
// older one would be applied under the rules they were accepted by.) A
// damaged item (not an object) fails alone.
func PrepareItem(index int, in *ProfileInput, phoneRegion string) ChunkItem {
	if in == nil || in.Obj.Bad {
		// Stored data was damaged; fail the item, not the batch.
		return ChunkItem{Index: index, Errors: FieldErrors{"item": {"The item is not a valid JSON object."}}}
	}
	return PrepareValidated(index, in, phoneRegion)
}

// PrepareValidated is PrepareItem for an input known to be an object
// (BatchRequest.Inputs): it only normalises.
// Phone numbers that do not parse fail the item.
func PrepareValidated(index int, in *ProfileInput, phoneRegion string) ChunkItem {
	it := ChunkItem{Index: index, Input: in}
	if errs := NormalizeInput(in, phoneRegion); errs != nil {
		it.Errors = errs
	}
	return it
}

// Chunk is one apply transaction's work: items [From, From+len(Items)) of the
// leased batch.
type Chunk struct {
	From  int
	Items []ChunkItem
	Now   time.Time
}

// ItemPage is what one page of BatchItems reads, so that every store pages
// the same way: result rows of applied items in [AppliedFrom, AppliedTo) —
// item indexes when AppliedStatus is "", positions among the rows with that
// status otherwise — then pending items [PendingFrom, PendingTo), which come
// from the stored payload. Total counts the items matching the filter.
type ItemPage struct {
	Total                  int
	AppliedStatus          string
	AppliedFrom, AppliedTo int
	PendingFrom, PendingTo int
}

// PlanItemPage plans the page f asks for in a batch of count items whose
// cursor is at cursor and whose counters say succeeded and failed.
// EINVALID for an unknown status.
func PlanItemPage(f BatchItemFilter, count, cursor, succeeded, failed int) (ItemPage, error) {
	off := max(f.Offset, 0)
	// window is [lo, hi) of the n items matching the filter.
	window := func(n int) (int, int) {
		lo := min(off, n)
		if f.Limit <= 0 {
			return lo, n
		}
		return lo, min(lo+f.Limit, n)
	}
	switch f.Status {
	case "":
		lo, hi := window(count)
		return ItemPage{Total: count, AppliedFrom: lo, AppliedTo: min(hi, cursor), PendingFrom: max(lo, cursor), PendingTo: hi}, nil
	case ItemPending:
		total := count - cursor
		lo, hi := window(total)
		return ItemPage{Total: total, PendingFrom: cursor + lo, PendingTo: cursor + hi}, nil
	case ItemSuccess, ItemFailed:
		total := succeeded
		if f.Status == ItemFailed {
			total = failed
		}
		lo, hi := window(total)
		return ItemPage{Total: total, AppliedStatus: f.Status, AppliedFrom: lo, AppliedTo: hi}, nil
	default:
		return ItemPage{}, Errorf(EINVALID, "unknown item status %q", f.Status)
	}
}

// AppendPendingItems appends the pending items in [lo, hi) that one stored
// payload row holds: row chunkNo carries the match values of items
// chunkNo*ChunkSize onwards. Pending items have no result row yet, so
// every store builds them from the payload the same way.
func AppendPendingItems(items []BatchItem, chunkNo int, matchValues []string, lo, hi int, created time.Time) []BatchItem {
	base := chunkNo * ChunkSize
	for i := max(lo, base); i < min(hi, base+len(matchValues)); i++ {
		it := BatchItem{Index: i, Status: ItemPending, CreatedAt: created, UpdatedAt: created}
		if v := matchValues[i-base]; v != "" {
			it.MatchValue = &v
		}
		items = append(items, it)
	}
	return items
}
