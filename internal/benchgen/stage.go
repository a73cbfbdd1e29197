package benchgen

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/worker"
	"github.com/google/uuid"
)

// StageChunk readies raw items (at most clientele.ChunkSize) for a benchmark of
// Store.ApplyChunk alone: it stores them as one batch matched by email,
// claims that batch and prepares its one chunk exactly as the worker does
// (decoded, phone numbers normalised for phoneRegion). The
// store must have no other claimable batch. An item the worker would fail
// is an error: benchmark data that fails measures the wrong path.
func StageChunk(ctx context.Context, s clientele.Store, raw [][]byte, phoneRegion string, now time.Time) (clientele.Lease, clientele.Chunk, error) {
	if len(raw) == 0 || len(raw) > clientele.ChunkSize {
		return clientele.Lease{}, clientele.Chunk{}, fmt.Errorf("benchgen: %d items in a chunk (1 to %d)", len(raw), clientele.ChunkSize)
	}
	items := clientele.NewBatchItems{
		Raw:         make([]json.RawMessage, len(raw)),
		MatchValues: make([]string, len(raw)),
	}
	for k, r := range raw {
		in, err := clientele.DecodeProfileInput(r)
		if err != nil {
			return clientele.Lease{}, clientele.Chunk{}, fmt.Errorf("benchgen: item %d: %w", k, err)
		}
		items.Raw[k] = r
		items.MatchValues[k] = clientele.MatchValue(clientele.MatchEmail, in)
	}
	batch := clientele.Batch{ID: uuid.NewString(), MatchCriteria: clientele.MatchEmail, CreatedAt: now, UpdatedAt: now}
	if _, err := s.CreateBatch(ctx, batch, items, clientele.Idempotency{}); err != nil {
		return clientele.Lease{}, clientele.Chunk{}, err
	}
	l, err := s.ClaimBatch(ctx, "bench", now, time.Minute)
	if err != nil {
		return clientele.Lease{}, clientele.Chunk{}, err
	}
	if l.BatchID != batch.ID {
		return clientele.Lease{}, clientele.Chunk{}, fmt.Errorf("benchgen: claimed batch %s, not the one just stored", l.BatchID)
	}
	stored, err := s.LeasedItems(ctx, l, 0)
	if err != nil {
		return clientele.Lease{}, clientele.Chunk{}, err
	}
	c := worker.Prepare(stored, phoneRegion, now)
	for _, it := range c.Items {
		if it.Errors != nil {
			return clientele.Lease{}, clientele.Chunk{}, fmt.Errorf("benchgen: item %d: %v", it.Index, it.Errors)
		}
	}
	return l, c, nil
}
