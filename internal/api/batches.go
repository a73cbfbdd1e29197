package api

import (
	"net/http"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/wire"
)

// getBatch answers GET /batches/{id} (spec §6.2, E1) with every item.
func (s *server) getBatch(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	b, err := s.store.Batch(r.Context(), id)
	if err != nil {
		return err
	}
	items, _, err := s.store.BatchItems(r.Context(), id, clientele.BatchItemFilter{})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dataBody{wire.RenderBatchWithItems(b, items)})
	return nil
}

// itemStatuses are the values filter[status] accepts on batch items.
var itemStatuses = map[string]bool{
	clientele.ItemPending: true,
	clientele.ItemSuccess: true,
	clientele.ItemFailed:  true,
}

// listBatchItems answers GET /batches/{id}/items (spec §13 E1): the items
// in index order, optionally only one status, in the Laravel envelope.
func (s *server) listBatchItems(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	page, err := parsePage(q)
	if err != nil {
		return err
	}
	f := clientele.BatchItemFilter{Offset: page.offset(), Limit: page.Size}
	// An empty filter[status]= means no filter, as for profile filters.
	if f.Status = q.Get("filter[status]"); f.Status != "" {
		if !itemStatuses[f.Status] {
			return invalid("filter.status", "The selected filter.status is invalid.")
		}
	}
	items, total, err := s.store.BatchItems(r.Context(), r.PathValue("id"), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(r, page, total, len(items), wire.RenderBatchItems(items)))
	return nil
}
