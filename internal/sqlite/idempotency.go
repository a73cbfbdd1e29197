package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/clientele/clientele"
)

// pruneKeys is how many expired idempotency keys one submission with a key
// deletes: enough to outpace the keys being added, few enough that the
// writer's transaction stays short.
const pruneKeys = 100

// claimIdempotencyKey runs inside CreateBatch's transaction, before the
// batch is inserted. It returns the original batch's id when the key
// replays (nothing must be stored), ErrIdempotencyMismatch when the key
// was used for another request, or "" after remembering the key for b.
func claimIdempotencyKey(ctx context.Context, tx *sql.Tx, b clientele.Batch, idem clientele.Idempotency) (string, error) {
	now := micros(b.CreatedAt)
	var (
		batchID string
		hash    []byte
	)
	err := tx.QueryRowContext(ctx, `SELECT batch_id, request_hash FROM idempotency_keys
		WHERE user_id = ? AND key = ? AND expires_at > ?`, idem.UserID, idem.Key, now).Scan(&batchID, &hash)
	switch {
	case err == nil && bytes.Equal(hash, idem.RequestHash[:]):
		return batchID, nil
	case err == nil:
		return "", clientele.ErrIdempotencyMismatch()
	case !errors.Is(err, sql.ErrNoRows):
		return "", fmt.Errorf("sqlite: idempotency key: %w", err)
	}
	// Unknown, or expired: (re)claim it for this batch.
	_, err = tx.ExecContext(ctx, `INSERT INTO idempotency_keys
		(user_id, key, request_hash, batch_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id, key) DO UPDATE SET request_hash = excluded.request_hash,
			batch_id = excluded.batch_id, created_at = excluded.created_at, expires_at = excluded.expires_at`,
		idem.UserID, idem.Key, idem.RequestHash[:], b.ID, now, micros(b.CreatedAt.Add(clientele.IdempotencyTTL)))
	if err != nil {
		return "", fmt.Errorf("sqlite: idempotency key: %w", err)
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE (user_id, key) IN
		(SELECT user_id, key FROM idempotency_keys WHERE expires_at <= ? LIMIT ?)`, now, pruneKeys)
	if err != nil {
		return "", fmt.Errorf("sqlite: prune idempotency keys: %w", err)
	}
	return "", nil
}
