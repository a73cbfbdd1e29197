package wire

import (
	"github.com/clientele/clientele"
)

// Batch is the Batch object of spec §4.11 with the E1 additions, without
// its items: the body of the batch.completed and batch.failed webhooks
// (spec §13 E7).
type Batch struct {
	ID             string  `json:"id"`
	ImportJobID    *int64  `json:"import_job_id"`
	EntityType     string  `json:"entity_type"`
	MatchCriteria  string  `json:"match_criteria"`
	Status         string  `json:"status"`
	TotalCount     int     `json:"total_count"`
	ProcessedCount int     `json:"processed_count"`
	SuccessCount   int     `json:"success_count"`
	FailedCount    int     `json:"failed_count"`
	CreatedCount   int     `json:"created_count"`
	UpdatedCount   int     `json:"updated_count"`
	UnchangedCount int     `json:"unchanged_count"`
	StartedAt      *string `json:"started_at"`
	CompletedAt    *string `json:"completed_at"`
	CreatedAt      string  `json:"created_at"`
	UpdatedAt      string  `json:"updated_at"`
}

// BatchWithItems is the Batch object as GET /batches/{id} answers it: the
// embedded Batch's keys, then items.
type BatchWithItems struct {
	Batch
	Items []BatchItem `json:"items"`
}

// BatchItem is the BatchItem object (spec §4.11, E1). errors is always an object,
// {} when the item has none, so clients can index it without a null check;
// error (the one-line summary Omneo defines) is null then.
type BatchItem struct {
	ID                int                 `json:"id"`
	Index             int                 `json:"index"`
	EntityID          *string             `json:"entity_id"`
	ExternalID        *string             `json:"external_id"`
	MatchValue        *string             `json:"match_value"`
	Status            string              `json:"status"`
	Outcome           *string             `json:"outcome"`
	Error             *string             `json:"error"`
	Errors            map[string][]string `json:"errors"`
	ConflictProfileID *string             `json:"conflict_profile_id"`
	CreatedAt         string              `json:"created_at"`
	UpdatedAt         string              `json:"updated_at"`
}

// entityTypeProfile is the only batch entity type (spec §4.11 DECISION).
const entityTypeProfile = "profile"

// RenderBatch renders b without items.
func RenderBatch(b clientele.Batch) Batch {
	return Batch{
		ID:             b.ID,
		ImportJobID:    b.ImportJobID,
		EntityType:     entityTypeProfile,
		MatchCriteria:  b.MatchCriteria,
		Status:         b.Status,
		TotalCount:     b.TotalCount,
		ProcessedCount: b.ProcessedCount,
		SuccessCount:   b.SuccessCount,
		FailedCount:    b.FailedCount,
		CreatedCount:   b.CreatedCount,
		UpdatedCount:   b.UpdatedCount,
		UnchangedCount: b.UnchangedCount,
		StartedAt:      FormatTimePtr(b.StartedAt),
		CompletedAt:    FormatTimePtr(b.CompletedAt),
		CreatedAt:      FormatTime(b.CreatedAt),
		UpdatedAt:      FormatTime(b.UpdatedAt),
	}
}

// RenderBatchWithItems renders b with items (which may be empty, never
// null).
func RenderBatchWithItems(b clientele.Batch, items []clientele.BatchItem) BatchWithItems {
	return BatchWithItems{Batch: RenderBatch(b), Items: RenderBatchItems(items)}
}

// RenderBatchItems renders items as a JSON array ([] when empty).
func RenderBatchItems(items []clientele.BatchItem) []BatchItem {
	out := make([]BatchItem, 0, len(items))
	for _, it := range items {
		out = append(out, renderBatchItem(it))
	}
	return out
}

func renderBatchItem(it clientele.BatchItem) BatchItem {
	errs := map[string][]string(it.Errors)
	if errs == nil {
		errs = map[string][]string{}
	}
	// The store keeps "" for an item with no match value; the wire says
	// null, as for every absent value.
	mv := it.MatchValue
	if mv != nil && *mv == "" {
		mv = nil
	}
	var outcome *string
	if it.Outcome != "" {
		o := it.Outcome
		outcome = &o
	}
	return BatchItem{
		ID:                it.Index + 1,
		Index:             it.Index,
		EntityID:          it.EntityID,
		ExternalID:        mv,
		MatchValue:        mv,
		Status:            it.Status,
		Outcome:           outcome,
		Error:             it.Error(),
		Errors:            errs,
		ConflictProfileID: it.ConflictProfileID,
		CreatedAt:         FormatTime(it.CreatedAt),
		UpdatedAt:         FormatTime(it.UpdatedAt),
	}
}
