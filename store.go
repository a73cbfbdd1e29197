package clientele

import (
	"context"
	"fmt"
	"time"
)

// Store is the persistence of clientele. Every method is a whole operation
// that owns its transaction. Errors are *Error with the codes named in each
// method's comment, or EINTERNAL for anything else; no method returns a nil
// value with a nil error. internal/storetest holds the behaviour every
// implementation must show. It is made of one interface per area so that
// each area's methods live together; a new area adds an interface here.
type Store interface {
	TokenStore
	BatchStore
	ProfileStore
	ProfileWriter
	WebhookStore
	RegionStore
	// Close releases the store's resources.
	Close() error
}

// TokenStore keeps API tokens.
type TokenStore interface {
	// CreateToken stores t (with its Hash). ECONFLICT if t.ID or t.Hash exists.
	CreateToken(ctx context.Context, t Token) error
	// EnsureToken stores t unless a token with the same Hash exists; it
	// reports whether it stored it. Used for CLIENTELE_BOOTSTRAP_TOKEN.
	EnsureToken(ctx context.Context, t Token) (bool, error)
	// TokenByHash returns the token with this hash. ENOTFOUND if none.
	TokenByHash(ctx context.Context, hash [32]byte) (Token, error)
	// CountTokens counts stored tokens, revoked and expired ones included.
	CountTokens(ctx context.Context) (int, error)
	// ListTokens returns every token of the user, revoked and expired ones
	// included, oldest first (by CreatedAt, then ID); an empty slice, not
	// an error, when there are none.
	ListTokens(ctx context.Context, userID int64) ([]Token, error)
	// RevokeToken marks the user's token id revoked (UpdatedAt = now), so
	// that TokenByHash shows it revoked from then on, on every node.
	// Revoking a revoked token succeeds and changes nothing. ENOTFOUND if
	// no token has this id or it belongs to another user.
	RevokeToken(ctx context.Context, userID int64, id string, now time.Time) error
}

// BatchStore is the batch queue: submission, leases, chunk application and
// results.
type BatchStore interface {
	// CreateBatch durably stores b (status pending) and its items in one
	// transaction; when it returns nil the batch survives a crash, and the
	// result names b.ID.
	//
	// With idem.Key set, the same transaction first looks up the key
	// (idem.UserID, idem.Key). Remembered and unexpired with the same
	// RequestHash: nothing is stored and the result names the original
	// batch, with Replayed set. Remembered and unexpired with another hash:
	// ErrIdempotencyMismatch (EINVALID, field idempotency_key). Otherwise
	// (unknown, or expired at b.CreatedAt) the batch is stored and the key
	// remembered until b.CreatedAt+IdempotencyTTL. Concurrent calls with one
	// key, on any number of nodes, store one batch.
	//
	// ECONFLICT if b.ID exists; EINVALID if there are no items.
	CreateBatch(ctx context.Context, b Batch, items NewBatchItems, idem Idempotency) (BatchCreated, error)
	// Batch returns one batch. ENOTFOUND if unknown.
	Batch(ctx context.Context, id string) (Batch, error)
	// BatchItems returns the batch's items in index order, filtered and paged
	// by f, and the number matching f. Items not yet applied are pending.
	// ENOTFOUND if the batch is unknown.
	BatchItems(ctx context.Context, id string, f BatchItemFilter) ([]BatchItem, int, error)
	// ClaimBatch leases the oldest batch that is pending, or processing with
	// an expired lease, to owner until now+ttl, and marks it processing.
	// ENOTFOUND when there is nothing to claim.
	ClaimBatch(ctx context.Context, owner string, now time.Time, ttl time.Duration) (Lease, error)
	// FailBatch ends the leased batch as failed (spec §4.11: the batch job
	// itself aborted): items not yet applied stay pending and are never
	// applied, and a batch.failed outbox event is written in the same
	// transaction. ECONFLICT if the lease was lost.
	FailBatch(ctx context.Context, l Lease, now time.Time) error
	// RenewLease extends the lease to now+ttl. ECONFLICT if it was lost.
	RenewLease(ctx context.Context, l Lease, now time.Time, ttl time.Duration) error
	// LeasedItems returns up to ChunkSize raw items of the leased batch from
	// index from. ECONFLICT if the lease was lost.
	LeasedItems(ctx context.Context, l Lease, from int) ([]RawItem, error)
	// ApplyChunk applies c in one transaction: it looks up every key the
	// chunk names, resolves the items in order with Resolve, writes the
	// profiles, the item results, the outbox events, the counters and the
	// cursor, extends the lease to c.Now+ttl, and marks the batch completed
	// when the cursor reaches the end. It commits only if l still holds and
	// c starts at the batch's cursor (so a chunk retried after it committed
	// does not apply twice): otherwise ECONFLICT and nothing is written. It
	// returns the new cursor.
	ApplyChunk(ctx context.Context, l Lease, c Chunk, ttl time.Duration) (int, error)
	// QueuedItems counts the items not yet applied of batches not yet
	// completed (the backlog that --queue-limit bounds).
	QueuedItems(ctx context.Context) (int, error)
}

// ProfileStore reads profiles.
type ProfileStore interface {
	// Profile returns a live profile. ENOTFOUND if unknown or removed.
	Profile(ctx context.Context, id string) (Profile, error)
	// ProfileByIdentity returns the live profile that holds the identity k.
	// ENOTFOUND if none does.
	ProfileByIdentity(ctx context.Context, k IdentityKey) (Profile, error)
	// ListProfiles returns one page of live profiles and the total matching f.
	ListProfiles(ctx context.Context, f ProfileFilter) ([]Profile, int, error)
	// ListIdentities returns one page, in id order, of the identities of
	// live profiles that match f, and the total matching f.
	ListIdentities(ctx context.Context, f IdentityFilter) ([]Identity, int, error)
}

// IdentityFilter selects identities (spec §7.2); nil means no filter.
// Handles and identifiers are keys, so they match exactly.
type IdentityFilter struct {
	Handle     *string
	Identifier *string
	ProfileID  *string
	IsActive   *bool
	Offset     int
	Limit      int // 0 = all
}

// RawItem is one stored batch item, still JSON.
type RawItem struct {
	Index int
	JSON  []byte
}

// ProfileFilter selects live profiles (spec §5.1, §8.1). Every condition
// set must hold. String equality filters ignore case; nil or empty means no
// filter. profilefilter.go holds the conditions that are more than a
// column comparison.
type ProfileFilter struct {
	IDs         []string // any of; ids as stored (lower-case UUIDs)
	Email       *string
	FirstName   *string
	LastName    *string
	MobilePhone *string // E.164, as stored: callers normalise it first
	// EmailIn … MobilePhoneIn are the [in] forms: any of the values.
	EmailIn       []string
	FirstNameIn   []string
	LastNameIn    []string
	MobilePhoneIn []string // E.164, as MobilePhone
	ProfileTypes  []string // any of
	CreatedAt     []TimeCond
	UpdatedAt     []TimeCond
	// TagHandles: the profile has one of these tags, ignoring case.
	TagHandles []string
	// Attributes: every condition holds (find by custom attribute).
	Attributes []AttributeCond
	// RegionIDs: the profile links one of these global regions.
	RegionIDs []int64
	Search    string // substring of first/last name, email or mobile, ignoring case
	Sort      []SortField
	Offset    int
	Limit     int
}

// SortField is one key of a sort; Field is one of ProfileSortFields.
type SortField struct {
	Field string
	Desc  bool
}

// ProfileSortFields are the fields /profiles may sort on (spec §5.1).
var ProfileSortFields = []string{"created_at", "updated_at", "first_name", "last_name", "email"}

// CheckSchema says whether a store may run on a schema at version current
// when this build's migrations end at known. A newer build's migrations
// may change what a profile's rows must hold (PostgreSQL's 00009 put its
// identities in the row), and an older build would go on reading and
// writing them its own way, out of step with the newer nodes: so a schema
// newer than the build is refused, not used.
func CheckSchema(current, known int64) error {
	if current > known {
		return fmt.Errorf("the database's schema is at version %d, newer than this build's %d: "+
			"run a build that knows it (going back needs the newer migrations undone first)", current, known)
	}
	return nil
}
