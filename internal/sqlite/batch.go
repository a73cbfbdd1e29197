package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/clientele/clientele"
	"github.com/google/uuid"
)

// payloadRow is one stored chunk of a batch's items.
type payloadRow struct {
	chunkNo     int
	matchValues string // JSON array of strings
	items       string // JSON array of the raw items
}

// payloadRows splits items into ChunkSize rows. It runs before the
// transaction, so the writer holds the lock only to insert.
func payloadRows(items clientele.NewBatchItems) ([]payloadRow, error) {
	n := len(items.Raw)
	if len(items.MatchValues) != n {
		return nil, fmt.Errorf("sqlite: batch has %d items and %d match values", n, len(items.MatchValues))
	}
	rows := make([]payloadRow, 0, (n+clientele.ChunkSize-1)/clientele.ChunkSize)
	for lo := 0; lo < n; lo += clientele.ChunkSize {
		hi := min(lo+clientele.ChunkSize, n)
		size := 2
		for _, r := range items.Raw[lo:hi] {
			size += len(r) + 1
		}
		buf := bytes.NewBuffer(make([]byte, 0, size))
		buf.WriteByte('[')
		for i, r := range items.Raw[lo:hi] {
			if len(r) == 0 {
				return nil, fmt.Errorf("sqlite: batch item %d is empty", lo+i)
			}
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.Write(r)
		}
		buf.WriteByte(']')
		mv, err := json.Marshal(items.MatchValues[lo:hi])
		if err != nil {
			return nil, fmt.Errorf("sqlite: batch match values: %w", err)
		}
		rows = append(rows, payloadRow{chunkNo: lo / clientele.ChunkSize, matchValues: string(mv), items: buf.String()})
	}
	return rows, nil
}

// CreateBatch implements clientele.Store. The batch's total is the number
// of items; its status is pending whatever b says. The single writer runs
// the key's lookup and the batch's insert in one transaction, so two
// submissions of one key cannot both insert.
func (s *Store) CreateBatch(ctx context.Context, b clientele.Batch, items clientele.NewBatchItems, idem clientele.Idempotency) (clientele.BatchCreated, error) {
	if len(items.Raw) == 0 {
		return clientele.BatchCreated{}, clientele.Errorf(clientele.EINVALID, "a batch needs at least one item")
	}
	rows, err := payloadRows(items)
	if err != nil {
		return clientele.BatchCreated{}, err
	}
	updated := b.UpdatedAt
	if updated.IsZero() {
		updated = b.CreatedAt
	}
	created := clientele.BatchCreated{ID: b.ID}
	err = s.write(ctx, func(tx *sql.Tx) error {
		if idem.Key != "" {
			original, err := claimIdempotencyKey(ctx, tx, b, idem)
			if err != nil || original != "" {
				created = clientele.BatchCreated{ID: original, Replayed: original != ""}
				return err
			}
		}
		var seq int64
		err := tx.QueryRowContext(ctx, `INSERT INTO batches
			(id, import_job_id, match_criteria, status, total_count, created_at, updated_at, origin)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
			b.ID, b.ImportJobID, b.MatchCriteria, clientele.BatchPending, len(items.Raw),
			micros(b.CreatedAt), micros(updated), b.Origin).Scan(&seq)
		if isUnique(err) {
			return clientele.Errorf(clientele.ECONFLICT, "batch %s already exists", b.ID)
		}
		if err != nil {
			return fmt.Errorf("sqlite: create batch: %w", err)
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO batch_payloads
			(batch_seq, chunk_no, match_values, items) VALUES (?, ?, ?, ?)`)
		if err != nil {
			return fmt.Errorf("sqlite: create batch: %w", err)
		}
		defer stmt.Close()
		for _, r := range rows {
			if _, err := stmt.ExecContext(ctx, seq, r.chunkNo, r.matchValues, r.items); err != nil {
				return fmt.Errorf("sqlite: create batch payload: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return clientele.BatchCreated{}, err
	}
	return created, nil
}

const batchColumns = `id, import_job_id, match_criteria, status, total_count, processed_count,
	success_count, failed_count, created_count, updated_count, unchanged_count,
	created_at, updated_at, started_at, completed_at`

// scanBatch scans one row of batchColumns.
func scanBatch(row interface{ Scan(...any) error }) (clientele.Batch, error) {
	var (
		b                  clientele.Batch
		importJob          sql.NullInt64
		created, updated   int64
		started, completed sql.NullInt64
	)
	err := row.Scan(&b.ID, &importJob, &b.MatchCriteria, &b.Status, &b.TotalCount, &b.ProcessedCount,
		&b.SuccessCount, &b.FailedCount, &b.CreatedCount, &b.UpdatedCount, &b.UnchangedCount,
		&created, &updated, &started, &completed)
	if err != nil {
		return clientele.Batch{}, err
	}
	if importJob.Valid {
		b.ImportJobID = &importJob.Int64
	}
	b.CreatedAt, b.UpdatedAt = fromMicros(created), fromMicros(updated)
	b.StartedAt, b.CompletedAt = fromNullMicros(started), fromNullMicros(completed)
	return b, nil
}

// Batch implements clientele.Store.
func (s *Store) Batch(ctx context.Context, id string) (clientele.Batch, error) {
	b, err := scanBatch(s.r.QueryRowContext(ctx, `SELECT `+batchColumns+` FROM batches WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return clientele.Batch{}, clientele.Errorf(clientele.ENOTFOUND, "batch %s not found", id)
	}
	if err != nil {
		return clientele.Batch{}, fmt.Errorf("sqlite: batch: %w", err)
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
	err := s.read(ctx, func(tx *sql.Tx) error {
		var (
			seq                              int64
			count, cursor, succeeded, failed int
			createdUS                        int64
		)
		err := tx.QueryRowContext(ctx, `SELECT seq, total_count, cursor, success_count, failed_count, created_at
			FROM batches WHERE id = ?`, id).Scan(&seq, &count, &cursor, &succeeded, &failed, &createdUS)
		if errors.Is(err, sql.ErrNoRows) {
			return clientele.Errorf(clientele.ENOTFOUND, "batch %s not found", id)
		}
		if err != nil {
			return fmt.Errorf("sqlite: batch items: %w", err)
		}
		created := fromMicros(createdUS)
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
func appliedItems(ctx context.Context, tx *sql.Tx, seq int64, created time.Time, lo, hi int, status string) ([]clientele.BatchItem, error) {
	if hi <= lo {
		return nil, nil
	}
	const cols = `SELECT idx, outcome, entity_id, match_value, errors, conflict_profile_id, updated_at
		FROM batch_items WHERE batch_seq = ?`
	var (
		rows *sql.Rows
		err  error
	)
	switch status {
	case "":
		rows, err = tx.QueryContext(ctx, cols+` AND idx >= ? AND idx < ? ORDER BY idx`, seq, lo, hi)
	case clientele.ItemFailed:
		rows, err = tx.QueryContext(ctx, cols+` AND outcome = 'failed' ORDER BY idx LIMIT ? OFFSET ?`, seq, hi-lo, lo)
	default:
		rows, err = tx.QueryContext(ctx, cols+` AND outcome <> 'failed' ORDER BY idx LIMIT ? OFFSET ?`, seq, hi-lo, lo)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: batch items: %w", err)
	}
	defer rows.Close()
	items := make([]clientele.BatchItem, 0, hi-lo)
	for rows.Next() {
		var (
			it                      clientele.BatchItem
			entity, match, conflict sql.NullString
			errs                    []byte
			updatedUS               int64
		)
		if err := rows.Scan(&it.Index, &it.Outcome, &entity, &match, &errs, &conflict, &updatedUS); err != nil {
			return nil, fmt.Errorf("sqlite: batch items: %w", err)
		}
		it.Status = clientele.ItemSuccess
		if it.Outcome == clientele.OutcomeFailed {
			it.Status = clientele.ItemFailed
		}
		it.EntityID, it.MatchValue, it.ConflictProfileID = fromNullString(entity), fromNullString(match), fromNullString(conflict)
		if len(errs) > 0 {
			if err := json.Unmarshal(errs, &it.Errors); err != nil {
				return nil, fmt.Errorf("sqlite: batch item errors: %w", err)
			}
		}
		it.CreatedAt, it.UpdatedAt = created, fromMicros(updatedUS)
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: batch items: %w", err)
	}
	return items, nil
}

// pendingItems synthesises the pending items [lo, hi) from the match
// values of their payload rows.
func pendingItems(ctx context.Context, tx *sql.Tx, seq int64, created time.Time, lo, hi int) ([]clientele.BatchItem, error) {
	if hi <= lo {
		return nil, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT chunk_no, match_values FROM batch_payloads
		WHERE batch_seq = ? AND chunk_no BETWEEN ? AND ? ORDER BY chunk_no`,
		seq, lo/clientele.ChunkSize, (hi-1)/clientele.ChunkSize)
	if err != nil {
		return nil, fmt.Errorf("sqlite: pending items: %w", err)
	}
	defer rows.Close()
	items := make([]clientele.BatchItem, 0, hi-lo)
	for rows.Next() {
		var (
			chunkNo int
			raw     []byte
			values  []string
		)
		if err := rows.Scan(&chunkNo, &raw); err != nil {
			return nil, fmt.Errorf("sqlite: pending items: %w", err)
		}
		if err := json.Unmarshal(raw, &values); err != nil {
			return nil, fmt.Errorf("sqlite: pending items: %w", err)
		}
		items = clientele.AppendPendingItems(items, chunkNo, values, lo, hi, created)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: pending items: %w", err)
	}
	return items, nil
}

// ClaimBatch implements clientele.Store. One statement finds and leases the
// batch; the single writer makes that atomic without row locks.
func (s *Store) ClaimBatch(ctx context.Context, owner string, now time.Time, ttl time.Duration) (clientele.Lease, error) {
	l := clientele.Lease{Owner: owner, Token: uuid.NewString()}
	at := micros(now)
	err := s.w.QueryRowContext(ctx, `UPDATE batches SET status = 'processing',
			lease_owner = ?, lease_token = ?, lease_expires_at = ?, claims = claims + 1,
			started_at = coalesce(started_at, ?), updated_at = ?
		WHERE seq = (SELECT seq FROM batches
			WHERE status IN ('pending', 'processing') AND (status = 'pending' OR lease_expires_at <= ?)
			ORDER BY seq LIMIT 1)
		RETURNING id, match_criteria, cursor, total_count, claims`,
		owner, l.Token, micros(now.Add(ttl)), at, at, at).
		Scan(&l.BatchID, &l.MatchCriteria, &l.Cursor, &l.Total, &l.Claims)
	if errors.Is(err, sql.ErrNoRows) {
		return clientele.Lease{}, clientele.Errorf(clientele.ENOTFOUND, "no batch to claim")
	}
	if err != nil {
		return clientele.Lease{}, fmt.Errorf("sqlite: claim batch: %w", err)
	}
	return l, nil
}

// RenewLease implements clientele.Store.
func (s *Store) RenewLease(ctx context.Context, l clientele.Lease, now time.Time, ttl time.Duration) error {
	res, err := s.w.ExecContext(ctx, `UPDATE batches SET lease_expires_at = ?
		WHERE id = ? AND lease_token = ?`, micros(now.Add(ttl)), l.BatchID, l.Token)
	if err != nil {
		return fmt.Errorf("sqlite: renew lease: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: renew lease: %w", err)
	} else if n == 0 {
		return lostLease(l)
	}
	return nil
}

// FailBatch implements clientele.Store.
func (s *Store) FailBatch(ctx context.Context, l clientele.Lease, now time.Time) error {
	at := micros(now)
	return s.writeBackground(ctx, func(tx *sql.Tx) error {
		var seq int64
		err := tx.QueryRowContext(ctx, `UPDATE batches SET status = 'failed', completed_at = ?, updated_at = ?,
				lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
			WHERE id = ? AND lease_token = ? RETURNING seq`, at, at, l.BatchID, l.Token).Scan(&seq)
		if errors.Is(err, sql.ErrNoRows) {
			return lostLease(l)
		}
		if err != nil {
			return fmt.Errorf("sqlite: fail batch: %w", err)
		}
		t := &chunkTx{ctx: ctx, tx: tx}
		return t.batchEvent(seq, clientele.EventBatchFailed, now)
	})
}

// lostLease is the error of a write under a lease another worker has taken
// (or that ended with the batch).
func lostLease(l clientele.Lease) error {
	return clientele.Errorf(clientele.ECONFLICT, "lease on batch %s lost", l.BatchID)
}

// LeasedItems implements clientele.Store. It returns the items [from,
// min(from+ChunkSize, total)), reading the one or two payload rows that
// hold them.
func (s *Store) LeasedItems(ctx context.Context, l clientele.Lease, from int) ([]clientele.RawItem, error) {
	var out []clientele.RawItem
	err := s.read(ctx, func(tx *sql.Tx) error {
		var seq int64
		var total int
		err := tx.QueryRowContext(ctx, `SELECT seq, total_count FROM batches WHERE id = ? AND lease_token = ?`,
			l.BatchID, l.Token).Scan(&seq, &total)
		if errors.Is(err, sql.ErrNoRows) {
			return lostLease(l)
		}
		if err != nil {
			return fmt.Errorf("sqlite: leased items: %w", err)
		}
		if from < 0 || from > total {
			return clientele.Errorf(clientele.EINVALID, "item %d is outside batch %s", from, l.BatchID)
		}
		hi := min(from+clientele.ChunkSize, total)
		out = make([]clientele.RawItem, 0, hi-from)
		if hi == from {
			return nil
		}
		rows, err := tx.QueryContext(ctx, `SELECT chunk_no, items FROM batch_payloads
			WHERE batch_seq = ? AND chunk_no BETWEEN ? AND ? ORDER BY chunk_no`,
			seq, from/clientele.ChunkSize, (hi-1)/clientele.ChunkSize)
		if err != nil {
			return fmt.Errorf("sqlite: leased items: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var (
				chunkNo int
				raw     []byte
			)
			if err := rows.Scan(&chunkNo, &raw); err != nil {
				return fmt.Errorf("sqlite: leased items: %w", err)
			}
			items, err := splitArray(raw)
			if err != nil {
				return fmt.Errorf("sqlite: batch %s payload %d: %w", l.BatchID, chunkNo, err)
			}
			base := chunkNo * clientele.ChunkSize
			for i := max(from, base); i < min(hi, base+len(items)); i++ {
				out = append(out, clientele.RawItem{Index: i, JSON: items[i-base]})
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("sqlite: leased items: %w", err)
		}
		if len(out) != hi-from {
			return fmt.Errorf("sqlite: batch %s: payload holds %d of items [%d, %d)", l.BatchID, len(out), from, hi)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// splitArray returns the elements of the JSON array b, sharing its bytes.
// It does not validate them: CreateBatch wrote the array from items the
// accept path had decoded, and json.Unmarshal would spend as long checking
// them again as the worker spends applying them.
func splitArray(b []byte) ([]json.RawMessage, error) {
	b = bytes.TrimSpace(b)
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return nil, errors.New("payload is not a JSON array")
	}
	var out []json.RawMessage
	depth, start, inString, comma := 0, -1, false, false
	for i := 1; i < len(b)-1; i++ {
		c := b[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '"':
			inString = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case ',':
			if depth == 0 {
				if start < 0 {
					return nil, errors.New("payload has an empty element")
				}
				out = append(out, bytes.TrimSpace(b[start:i]))
				start, comma = -1, true
				continue
			}
		}
		if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out = append(out, bytes.TrimSpace(b[start:len(b)-1]))
	}
	if depth != 0 || inString || start < 0 && comma {
		return nil, errors.New("payload is not a JSON array")
	}
	return out, nil
}

// QueuedItems implements clientele.Store: the items not yet applied of
// batches not yet completed.
func (s *Store) QueuedItems(ctx context.Context) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT coalesce(sum(total_count - cursor), 0) FROM batches
		WHERE status IN ('pending', 'processing')`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqlite: queued items: %w", err)
	}
	return n, nil
}
