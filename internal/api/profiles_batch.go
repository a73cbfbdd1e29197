package api

import (
	"bytes"
	"errors"
	"io"
	"net/http"

	"github.com/clientele/clientele"
	"github.com/google/uuid"
)

// msgBatchQueued is asserted verbatim by the Omneo SDK tests (spec §6.1).
const msgBatchQueued = "Profiles queued for batch import."

// batchAccepted is the 202 body of POST /profiles/batch.
type batchAccepted struct {
	Message string `json:"message"`
	BatchID string `json:"batch_id"`
}

// submitBatch accepts POST /profiles/batch and /profiles/batch.json
// (spec §6.1): it validates the whole request, stores the batch durably,
// wakes the worker and answers 202. Validation failures leave nothing
// queued; matching and uniqueness are the worker's, per item.
//
// Backpressure comes first (spec §13 E11): a full queue or an exhausted
// body budget is refused before the body is read, so a refused request
// costs neither memory nor a parse. A retry with the Idempotency-Key of a
// stored batch answers that batch's 202 again (spec §13 E4).
func (s *server) submitBatch(w http.ResponseWriter, r *http.Request) error {
	if r.ContentLength > s.maxBody {
		return errTooLarge
	}
	if err := s.queue.check(r.Context()); err != nil {
		return err
	}
	release, err := s.budget.reserve(r, s.maxBody)
	if err != nil {
		return err
	}
	defer release()
	body, err := readBody(w, r, s.maxBody)
	if err != nil {
		return err
	}
	idem, err := idempotencyOf(r, body)
	if err != nil {
		return err
	}
	// An empty body is not a syntax error to a Laravel client: it is a
	// request with no input, which fails validation on the required keys.
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	req, err := clientele.ParseBatchRequest(body, s.maxBatch)
	if err != nil {
		return err
	}
	done, err := s.queue.admit(r.Context(), len(req.Items.Raw))
	if err != nil {
		return err
	}
	now := s.now()
	b := clientele.Batch{
		ID:            uuid.NewString(),
		ImportJobID:   req.ImportJobID,
		MatchCriteria: req.MatchCriteria,
		Status:        clientele.BatchPending,
		TotalCount:    len(req.Items.Raw),
		CreatedAt:     now,
		UpdatedAt:     now,
		Origin:        originOf(r),
	}
	if s.handoff != nil {
		s.handoff.Put(b.ID, req.Inputs)
	}
	created, err := s.store.CreateBatch(r.Context(), b, req.Items, idem)
	stored := err == nil && !created.Replayed
	done(stored)
	if !stored && s.handoff != nil {
		s.handoff.Drop(b.ID)
	}
	if err != nil {
		return err
	}
	if created.Replayed {
		w.Header().Set(idempotentReplayedHeader, "true")
	} else if s.notify != nil {
		s.notify()
	}
	writeJSON(w, http.StatusAccepted, dataBody{batchAccepted{msgBatchQueued, created.ID}})
	return nil
}

// readBody reads the whole request body, at most limit bytes; a larger one
// is a 413 (spec §13 E10).
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, errTooLarge
	case err != nil:
		// The client went away or sent a broken chunked body.
		return nil, clientele.Errorf(clientele.EMALFORMED, "reading body: %v", err)
	}
	return body, nil
}
