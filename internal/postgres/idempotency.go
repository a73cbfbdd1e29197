package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clientele/clientele"
	"github.com/jackc/pgx/v5"
)

// pruneKeys is how many expired idempotency keys one submission with a key
// deletes afterwards: enough to outpace the keys being added.
const pruneKeys = 100

// CreateBatch implements clientele.Store. The key is claimed by the first
// statement of createBatch's pipeline (queueBatchRow), in the transaction
// that stores the batch; which batch the key names afterwards tells what
// happened. A second submission of a key whose first one is still in
// flight waits on the key's primary key until that one commits, so two
// nodes never both store a batch for one key.
func (s *Store) CreateBatch(ctx context.Context, b clientele.Batch, items clientele.NewBatchItems, idem clientele.Idempotency) (clientele.BatchCreated, error) {
	if err := s.createBatch(ctx, b, items, idem); err != nil {
		return clientele.BatchCreated{}, err
	}
	if idem.Key == "" {
		return clientele.BatchCreated{ID: b.ID}, nil
	}
	var (
		batchID string
		hash    []byte
	)
	err := s.pool.QueryRow(ctx, `SELECT batch_id, request_hash FROM idempotency_keys
		WHERE user_id = $1 AND key = $2`, idem.UserID, idem.Key).Scan(&batchID, &hash)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		// Pruned already: only when another submission's clock is a day
		// ahead of b.CreatedAt. The batch row says whether it was stored.
		var stored bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM batches WHERE id = $1)`, b.ID).Scan(&stored); err != nil {
			return clientele.BatchCreated{}, fmt.Errorf("postgres: idempotency key: %w", err)
		}
		if !stored {
			return clientele.BatchCreated{}, fmt.Errorf("postgres: idempotency key %q vanished before batch %s was stored", idem.Key, b.ID)
		}
	case err != nil:
		return clientele.BatchCreated{}, fmt.Errorf("postgres: idempotency key: %w", err)
	case batchID == b.ID:
	case bytes.Equal(hash, idem.RequestHash[:]):
		return clientele.BatchCreated{ID: batchID, Replayed: true}, nil
	default:
		return clientele.BatchCreated{}, clientele.ErrIdempotencyMismatch()
	}
	s.pruneIdempotencyKeys(ctx, b.CreatedAt)
	return clientele.BatchCreated{ID: b.ID}, nil
}

// queueBatchRow queues the insert of b's row, n items, at the head of
// createBatch's pipeline. With a key, the row is inserted only if the same
// statement claims the key: it inserts the key, or takes over an expired
// one (ON CONFLICT … WHERE expires_at <= now). An unexpired key, whatever
// its hash, is left alone and no batch row is inserted, so neither are the
// payload rows that select it.
func queueBatchRow(pl *pgx.Batch, b clientele.Batch, n int, updated time.Time, idem clientele.Idempotency) {
	if idem.Key == "" {
		pl.Queue(`INSERT INTO batches (id, import_job_id, match_criteria, status, total_count, created_at, updated_at, origin)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			b.ID, b.ImportJobID, b.MatchCriteria, clientele.BatchPending, n, b.CreatedAt, updated, b.Origin)
		return
	}
	pl.Queue(`WITH claimed AS (
			INSERT INTO idempotency_keys (user_id, key, request_hash, batch_id, created_at, expires_at)
			VALUES ($8, $9, $10, $1, $6, $11)
			ON CONFLICT (user_id, key) DO UPDATE SET request_hash = excluded.request_hash,
				batch_id = excluded.batch_id, created_at = excluded.created_at, expires_at = excluded.expires_at
			WHERE idempotency_keys.expires_at <= excluded.created_at
			RETURNING 1)
		INSERT INTO batches (id, import_job_id, match_criteria, status, total_count, created_at, updated_at, origin)
		SELECT $1::text, $2::bigint, $3::text, $4::text, $5::integer, $6::timestamptz, $7::timestamptz, $12::text
		WHERE EXISTS (SELECT 1 FROM claimed)`,
		b.ID, b.ImportJobID, b.MatchCriteria, clientele.BatchPending, n, b.CreatedAt, updated,
		idem.UserID, idem.Key, idem.RequestHash[:], b.CreatedAt.Add(clientele.IdempotencyTTL), b.Origin)
}

// pruneIdempotencyKeys deletes a few keys expired at now, in a transaction
// of its own after the batch committed. SKIP LOCKED keeps concurrent
// submissions from waiting on (or deadlocking over) the same expired rows.
// Its failure is ignored: the batch is stored, and a later submission
// prunes the rows instead.
func (s *Store) pruneIdempotencyKeys(ctx context.Context, now time.Time) {
	_, _ = s.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE (user_id, key) IN
		(SELECT user_id, key FROM idempotency_keys WHERE expires_at <= $1
		 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)`, now, pruneKeys)
}
