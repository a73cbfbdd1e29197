package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/clientele/clientele"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// createBatch is CreateBatch's write. The batch row and one payload row
// per ChunkSize items go out as one pipeline, which PostgreSQL runs as one
// implicit transaction: one round trip, all or nothing. The batch's total
// is the number of items; its status is pending whatever b says. With an
// idempotency key, the batch row is inserted only if the key is claimed
// (queueBatchRow, idempotency.go); the payload rows follow the batch row.
func (s *Store) createBatch(ctx context.Context, b clientele.Batch, items clientele.NewBatchItems, idem clientele.Idempotency) error {
	n := len(items.Raw)
	if n == 0 {
		return clientele.Errorf(clientele.EINVALID, "a batch needs at least one item")
	}
	if len(items.MatchValues) != n {
		return fmt.Errorf("postgres: batch has %d items and %d match values", n, len(items.MatchValues))
	}
	updated := b.UpdatedAt
	if updated.IsZero() {
		updated = b.CreatedAt
	}
	var pl pgx.Batch
	queueBatchRow(&pl, b, n, updated, idem)
	for lo := 0; lo < n; lo += clientele.ChunkSize {
		hi := min(lo+clientele.ChunkSize, n)
		raw := make([]string, hi-lo)
		for i, r := range items.Raw[lo:hi] {
			if len(r) == 0 {
				return fmt.Errorf("postgres: batch item %d is empty", lo+i)
			}
			raw[i] = string(r)
		}
		pl.Queue(`INSERT INTO batch_payloads (batch_seq, chunk_no, match_values, items)
			SELECT seq, $2, $3, $4 FROM batches WHERE id = $1`,
			b.ID, lo/clientele.ChunkSize, items.MatchValues[lo:hi], raw)
	}
	err := s.pool.SendBatch(ctx, &pl).Close()
	if isUnique(err) {
		return clientele.Errorf(clientele.ECONFLICT, "batch %s already exists", b.ID)
	}
	if err != nil {
		return fmt.Errorf("postgres: create batch: %w", err)
	}
	return nil
}

const batchColumns = `id, import_job_id, match_criteria, status, total_count, processed_count,
	success_count, failed_count, created_count, updated_count, unchanged_count,
	created_at, updated_at, started_at, completed_at`

// scanBatch scans one row of batchColumns.
func scanBatch(row pgx.Row) (clientele.Batch, error) {
	var b clientele.Batch
	err := row.Scan(&b.ID, &b.ImportJobID, &b.MatchCriteria, &b.Status, &b.TotalCount, &b.ProcessedCount,
		&b.SuccessCount, &b.FailedCount, &b.CreatedCount, &b.UpdatedCount, &b.UnchangedCount,
		&b.CreatedAt, &b.UpdatedAt, &b.StartedAt, &b.CompletedAt)
	if err != nil {
		return clientele.Batch{}, err
	}
	b.CreatedAt, b.UpdatedAt = utc(b.CreatedAt), utc(b.UpdatedAt)
	b.StartedAt, b.CompletedAt = utcPtr(b.StartedAt), utcPtr(b.CompletedAt)
	return b, nil
}

// Batch implements clientele.Store.
func (s *Store) Batch(ctx context.Context, id string) (clientele.Batch, error) {
	b, err := scanBatch(s.pool.QueryRow(ctx, `SELECT `+batchColumns+` FROM batches WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return clientele.Batch{}, clientele.Errorf(clientele.ENOTFOUND, "batch %s not found", id)
	}
	if err != nil {
		return clientele.Batch{}, fmt.Errorf("postgres: batch: %w", err)
	}
	return b, nil
}

// BatchItems implements clientele.Store. Items before the cursor have a
// result row; the rest are pending and come from the payload, so a page
// may join both. The totals come from the batch's counters, which the
// apply transaction keeps equal to the result rows.
func (s *Store) BatchItems(ctx context.Context, id string, f clientele.BatchItemFilter) ([]clientele.BatchItem, int, error) {
	var (
		items []clientele.BatchItem
		total int
	)
	err := s.read(ctx, func(tx pgx.Tx) error {
		var (
			seq                              int64
			count, cursor, succeeded, failed int
			created                          time.Time
		)
		err := tx.QueryRow(ctx, `SELECT seq, total_count, cursor, success_count, failed_count, created_at
			FROM batches WHERE id = $1`, id).Scan(&seq, &count, &cursor, &succeeded, &failed, &created)
		if errors.Is(err, pgx.ErrNoRows) {
			return clientele.Errorf(clientele.ENOTFOUND, "batch %s not found", id)
		}
		if err != nil {
			return fmt.Errorf("postgres: batch items: %w", err)
		}
		created = utc(created)
		plan, err := clientele.PlanItemPage(f, count, cursor, succeeded, failed)
		if err != nil {
			return err
		}
		total = plan.Total
		if items, err = appliedItems(ctx, tx, seq, created, plan.AppliedFrom, plan.AppliedTo, plan.AppliedStatus); err != nil {
			return err
		}
		pending, err := pendingItems(ctx, tx, seq, created, plan.PendingFrom, plan.PendingTo)
		items = append(items, pending...)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	if items == nil {
		items = []clientele.BatchItem{}
	}
	return items, total, nil
}

// appliedItems reads result rows. With status "" lo and hi are item
// indexes; otherwise they are positions among the items with that status.
func appliedItems(ctx context.Context, tx pgx.Tx, seq int64, created time.Time, lo, hi int, status string) ([]clientele.BatchItem, error) {
	if hi <= lo {
		return nil, nil
	}
	const cols = `SELECT idx, outcome, entity_id, match_value, errors, conflict_profile_id, updated_at
		FROM batch_items WHERE batch_seq = $1`
	var (
		rows pgx.Rows
		err  error
	)
	switch status {
	case "":
		rows, err = tx.Query(ctx, cols+` AND idx >= $2 AND idx < $3 ORDER BY idx`, seq, lo, hi)
	case clientele.ItemFailed:
		rows, err = tx.Query(ctx, cols+` AND outcome = 'failed' ORDER BY idx LIMIT $2 OFFSET $3`, seq, hi-lo, lo)
	default:
		rows, err = tx.Query(ctx, cols+` AND outcome <> 'failed' ORDER BY idx LIMIT $2 OFFSET $3`, seq, hi-lo, lo)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: batch items: %w", err)
	}
	defer rows.Close()
	items := make([]clientele.BatchItem, 0, hi-lo)
	for rows.Next() {
		var (
			it   clientele.BatchItem
			errs *string
		)
		if err := rows.Scan(&it.Index, &it.Outcome, &it.EntityID, &it.MatchValue, &errs, &it.ConflictProfileID,
			&it.UpdatedAt); err != nil {
			return nil, fmt.Errorf("postgres: batch items: %w", err)
		}
		it.Status = clientele.ItemSuccess
		if it.Outcome == clientele.OutcomeFailed {
			it.Status = clientele.ItemFailed
		}
		if errs != nil {
			if err := json.Unmarshal([]byte(*errs), &it.Errors); err != nil {
				return nil, fmt.Errorf("postgres: batch item errors: %w", err)
			}
		}
		it.CreatedAt, it.UpdatedAt = created, utc(it.UpdatedAt)
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: batch items: %w", err)
	}
	return items, nil
}

// pendingItems synthesises the pending items [lo, hi) from the match
// values of their payload rows.
func pendingItems(ctx context.Context, tx pgx.Tx, seq int64, created time.Time, lo, hi int) ([]clientele.BatchItem, error) {
	if hi <= lo {
		return nil, nil
	}
	rows, err := tx.Query(ctx, `SELECT chunk_no, match_values FROM batch_payloads
		WHERE batch_seq = $1 AND chunk_no BETWEEN $2 AND $3 ORDER BY chunk_no`,
		seq, lo/clientele.ChunkSize, (hi-1)/clientele.ChunkSize)
	if err != nil {
		return nil, fmt.Errorf("postgres: pending items: %w", err)
	}
	defer rows.Close()
	items := make([]clientele.BatchItem, 0, hi-lo)
	for rows.Next() {
		var (
			chunkNo int
			values  []string
		)
		if err := rows.Scan(&chunkNo, &values); err != nil {
			return nil, fmt.Errorf("postgres: pending items: %w", err)
		}
		items = clientele.AppendPendingItems(items, chunkNo, values, lo, hi, created)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: pending items: %w", err)
	}
	return items, nil
}

// ClaimBatch implements clientele.Store. One statement finds the oldest
// claimable batch, locks it, skipping rows other nodes have locked (a claim
// in flight, or a chunk being applied under a live lease), and leases it.
// READ COMMITTED re-checks the row after the lock, so a batch another node
// claimed a moment earlier is passed over, not claimed twice.
func (s *Store) ClaimBatch(ctx context.Context, owner string, now time.Time, ttl time.Duration) (clientele.Lease, error) {
	l := clientele.Lease{Owner: owner, Token: uuid.NewString()}
	err := s.pool.QueryRow(ctx, `WITH next AS (
			SELECT seq FROM batches
			WHERE status IN ('pending', 'processing') AND (status = 'pending' OR lease_expires_at <= $4)
			ORDER BY seq LIMIT 1
			FOR UPDATE SKIP LOCKED)
		UPDATE batches b SET status = 'processing',
			lease_owner = $1, lease_token = $2, lease_expires_at = $3, claims = b.claims + 1,
			started_at = coalesce(b.started_at, $4), updated_at = $4
		FROM next WHERE b.seq = next.seq
		RETURNING b.id, b.match_criteria, b.cursor, b.total_count, b.claims`,
		owner, l.Token, now.Add(ttl), now).
		Scan(&l.BatchID, &l.MatchCriteria, &l.Cursor, &l.Total, &l.Claims)
	if errors.Is(err, pgx.ErrNoRows) {
		return clientele.Lease{}, clientele.Errorf(clientele.ENOTFOUND, "no batch to claim")
	}
	if err != nil {
		return clientele.Lease{}, fmt.Errorf("postgres: claim batch: %w", err)
	}
	return l, nil
}

// RenewLease implements clientele.Store.
func (s *Store) RenewLease(ctx context.Context, l clientele.Lease, now time.Time, ttl time.Duration) error {
	tag, err := s.pool.Exec(ctx, `UPDATE batches SET lease_expires_at = $1
		WHERE id = $2 AND lease_token = $3`, now.Add(ttl), l.BatchID, l.Token)
	if err != nil {
		return fmt.Errorf("postgres: renew lease: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return lostLease(l)
	}
	return nil
}

// FailBatch implements clientele.Store.
func (s *Store) FailBatch(ctx context.Context, l clientele.Lease, now time.Time) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var seq int64
		err := tx.QueryRow(ctx, `UPDATE batches SET status = 'failed', completed_at = $1, updated_at = $1,
				lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
			WHERE id = $2 AND lease_token = $3 RETURNING seq`, now, l.BatchID, l.Token).Scan(&seq)
		if errors.Is(err, pgx.ErrNoRows) {
			return lostLease(l)
		}
		if err != nil {
			return fmt.Errorf("postgres: fail batch: %w", err)
		}
		if _, err := tx.Exec(ctx, insertBatchEvent, clientele.EventBatchFailed, now, seq); err != nil {
			return fmt.Errorf("postgres: fail batch event: %w", err)
		}
		return nil
	})
}

// lostLease is the error of a write under a lease another worker has taken
// (or that ended with the batch).
func lostLease(l clientele.Lease) error {
	return clientele.Errorf(clientele.ECONFLICT, "lease on batch %s lost", l.BatchID)
}

// LeasedItems implements clientele.Store. It returns the items [from,
// min(from+ChunkSize, total)), reading the one or two payload rows that
// hold them in the statement that checks the lease.
func (s *Store) LeasedItems(ctx context.Context, l clientele.Lease, from int) ([]clientele.RawItem, error) {
	if from < 0 {
		return nil, clientele.Errorf(clientele.EINVALID, "item %d is outside batch %s", from, l.BatchID)
	}
	rows, err := s.pool.Query(ctx, `SELECT b.total_count, p.chunk_no, p.items
		FROM batches b LEFT JOIN batch_payloads p ON p.batch_seq = b.seq AND p.chunk_no BETWEEN $3 AND $4
		WHERE b.id = $1 AND b.lease_token = $2 ORDER BY p.chunk_no`,
		l.BatchID, l.Token, from/clientele.ChunkSize, (from+clientele.ChunkSize-1)/clientele.ChunkSize)
	if err != nil {
		return nil, fmt.Errorf("postgres: leased items: %w", err)
	}
	defer rows.Close()
	var (
		out   []clientele.RawItem
		total = -1
	)
	for rows.Next() {
		var (
			chunkNo *int
			items   []string
		)
		if err := rows.Scan(&total, &chunkNo, &items); err != nil {
			return nil, fmt.Errorf("postgres: leased items: %w", err)
		}
		if chunkNo == nil {
			continue
		}
		if out == nil {
			out = make([]clientele.RawItem, 0, min(clientele.ChunkSize, max(total-from, 0)))
		}
		base := *chunkNo * clientele.ChunkSize
		for i := max(from, base); i < min(from+clientele.ChunkSize, total, base+len(items)); i++ {
			out = append(out, clientele.RawItem{Index: i, JSON: []byte(items[i-base])})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: leased items: %w", err)
	}
	if total < 0 {
		return nil, lostLease(l)
	}
	if from > total {
		return nil, clientele.Errorf(clientele.EINVALID, "item %d is outside batch %s", from, l.BatchID)
	}
	if want := min(from+clientele.ChunkSize, total) - from; len(out) != want {
		return nil, fmt.Errorf("postgres: batch %s: payload holds %d of items [%d, %d)", l.BatchID, len(out), from, from+want)
	}
	if out == nil {
		out = []clientele.RawItem{}
	}
	return out, nil
}

// QueuedItems implements clientele.Store: the items not yet applied of
// batches not yet completed.
func (s *Store) QueuedItems(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT coalesce(sum(total_count - cursor), 0) FROM batches
		WHERE status IN ('pending', 'processing')`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("postgres: queued items: %w", err)
	}
	return n, nil
}
