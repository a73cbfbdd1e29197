package api

import (
	"github.com/clientele/clientele"
)

// batchOut is the Batch object of spec §4.11 with the E1 additions.
type batchOut struct {
	ID             string      `json:"id"`
	ImportJobID    *int64      `json:"import_job_id"`
	EntityType     string      `json:"entity_type"`
	MatchCriteria  string      `json:"match_criteria"`
	Status         string      `json:"status"`
	TotalCount     int         `json:"total_count"`
	ProcessedCount int         `json:"processed_count"`
	SuccessCount   int         `json:"success_count"`
	FailedCount    int         `json:"failed_count"`
	CreatedCount   int         `json:"created_count"`
	UpdatedCount   int         `json:"updated_count"`
	UnchangedCount int         `json:"unchanged_count"`
	StartedAt      *string     `json:"started_at"`
	CompletedAt    *string     `json:"completed_at"`
	CreatedAt      string      `json:"created_at"`
	UpdatedAt      string      `json:"updated_at"`
	Items          []batchItem `json:"items"`
}

// batchItem is a BatchItem (spec §4.11, E1). errors is always an object,
// {} when the item has none, so clients can index it without a null check;
// error (the one-line summary Omneo defines) is null then.
type batchItem struct {
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

// renderBatch renders b with items (which may be empty, never null).
func renderBatch(b clientele.Batch, items []clientele.BatchItem) batchOut {
	out := batchOut{
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
		StartedAt:      formatTimePtr(b.StartedAt),
		CompletedAt:    formatTimePtr(b.CompletedAt),
		CreatedAt:      formatTime(b.CreatedAt),
		UpdatedAt:      formatTime(b.UpdatedAt),
	}
	out.Items = renderBatchItems(items)
	return out
}

// renderBatchItems renders items as a JSON array ([] when empty).
func renderBatchItems(items []clientele.BatchItem) []batchItem {
	out := make([]batchItem, 0, len(items))
	for _, it := range items {
		out = append(out, renderBatchItem(it))
	}
	return out
}

func renderBatchItem(it clientele.BatchItem) batchItem {
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
	return batchItem{
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
		CreatedAt:         formatTime(it.CreatedAt),
		UpdatedAt:         formatTime(it.UpdatedAt),
	}
}
