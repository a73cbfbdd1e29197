package api

import (
	"encoding/json"
	"net/http"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/wire"
)

// webhookOut is the Webhook object (spec §4.9). namespace is never null and
// condition is always present, verbatim or null (spec §11 #11).
type webhookOut struct {
	ID          int64           `json:"id"`
	Trigger     string          `json:"trigger"`
	URL         string          `json:"url"`
	Namespace   string          `json:"namespace"`
	UserID      int64           `json:"user_id"`
	IsActive    bool            `json:"is_active"`
	RetryHourly bool            `json:"retry_hourly"`
	RetryDaily  *bool           `json:"retry_daily"`
	Queue       *string         `json:"queue"`
	Condition   json.RawMessage `json:"condition"`
	CreatedAt   string          `json:"created_at"`
	UpdatedAt   string          `json:"updated_at"`
}

func renderWebhook(w clientele.Webhook) webhookOut {
	cond := w.Condition
	if cond == nil {
		cond = json.RawMessage("null")
	}
	return webhookOut{
		ID: w.ID, Trigger: w.Trigger, URL: w.URL, Namespace: w.Namespace, UserID: w.UserID,
		IsActive: w.IsActive, RetryHourly: w.RetryHourly, RetryDaily: w.RetryDaily, Queue: w.Queue,
		Condition: cond, CreatedAt: wire.FormatTime(w.CreatedAt), UpdatedAt: wire.FormatTime(w.UpdatedAt),
	}
}

// originOf is the namespace of the token that made r: its name (DECISION:
// Omneo's webhook namespace names "the integration whose API token" caused
// an event, and spec §4.10's token has no other field that could carry
// it). The events r causes are held back from webhooks of that namespace
// (spec §10.2, loop prevention).
func originOf(r *http.Request) string {
	t, _ := tokenFrom(r.Context())
	return t.Name
}

// boolFilter reads a boolean filter: 1/0/true/false (spec §1.3); nil when
// absent or empty.
func boolFilter(r *http.Request, key string) (*bool, error) {
	switch r.URL.Query().Get(key) {
	case "":
		return nil, nil
	case "1", "true":
		v := true
		return &v, nil
	case "0", "false":
		v := false
		return &v, nil
	}
	field := "filter." + key[len("filter["):len(key)-1]
	return nil, invalid(field, "The "+field+" field must be true or false.")
}

// listWebhooks answers GET /webhooks (spec §10.1): paginated, with exact
// filters on is_active, trigger and namespace.
func (s *server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	page, err := parsePage(q)
	if err != nil {
		return err
	}
	f := clientele.WebhookFilter{
		Trigger:   nonEmpty(q, "filter[trigger]"),
		Namespace: nonEmpty(q, "filter[namespace]"),
		Offset:    page.offset(),
		Limit:     page.Size,
	}
	if f.IsActive, err = boolFilter(r, "filter[is_active]"); err != nil {
		return err
	}
	hooks, total, err := s.store.ListWebhooks(r.Context(), f)
	if err != nil {
		return err
	}
	data := make([]webhookOut, 0, len(hooks))
	for _, h := range hooks {
		data = append(data, renderWebhook(h))
	}
	writeJSON(w, http.StatusOK, newPage(r, page, total, len(data), data))
	return nil
}

// createWebhook answers POST /webhooks (spec §10.1): 201 with the webhook,
// owned by the caller's user.
func (s *server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	me, err := caller(r)
	if err != nil {
		return err
	}
	body, release, err := s.readJSONBody(w, r)
	if err != nil {
		return err
	}
	defer release()
	in, err := clientele.ParseWebhookInput(body, true)
	if err != nil {
		return err
	}
	hook := in.NewWebhook()
	hook.UserID = me.UserID
	hook.CreatedAt = s.now().UTC()
	hook.UpdatedAt = hook.CreatedAt
	if hook, err = s.store.CreateWebhook(r.Context(), hook); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, dataBody{renderWebhook(hook)})
	return nil
}

// getWebhook answers GET /webhooks/{id}.
func (s *server) getWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIntID(r, "id", "webhook")
	if err != nil {
		return err
	}
	hook, err := s.store.Webhook(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dataBody{renderWebhook(hook)})
	return nil
}

// updateWebhook answers PUT /webhooks/{id} (spec §10.1): a partial update;
// what the body leaves out stays as it was.
func (s *server) updateWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIntID(r, "id", "webhook")
	if err != nil {
		return err
	}
	body, release, err := s.readJSONBody(w, r)
	if err != nil {
		return err
	}
	defer release()
	hook, err := s.store.Webhook(r.Context(), id)
	if err != nil {
		return err
	}
	in, err := clientele.ParseWebhookInput(body, false)
	if err != nil {
		return err
	}
	in.Apply(&hook)
	hook.UpdatedAt = s.now().UTC()
	if hook, err = s.store.UpdateWebhook(r.Context(), hook); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dataBody{renderWebhook(hook)})
	return nil
}

// deleteWebhook answers DELETE /webhooks/{id}: 204 with no body; its
// pending deliveries are dropped.
func (s *server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIntID(r, "id", "webhook")
	if err != nil {
		return err
	}
	if err := s.store.DeleteWebhook(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deliveryOut is a delivery in the log (spec §13 E9).
type deliveryOut struct {
	ID               int64   `json:"id"`
	WebhookID        int64   `json:"webhook_id"`
	EventID          int64   `json:"event_id"`
	Event            string  `json:"event"`
	MessageID        string  `json:"message_id"`
	Status           string  `json:"status"`
	Attempts         int     `json:"attempts"`
	LastResponseCode *int    `json:"last_response_code"`
	LastError        *string `json:"last_error"`
	NextAttemptAt    *string `json:"next_attempt_at"`
	DeliveredAt      *string `json:"delivered_at"`
	CreatedAt        string  `json:"created_at"`
	UpdatedAt        string  `json:"updated_at"`
}

func renderDelivery(d clientele.Delivery) deliveryOut {
	return deliveryOut{
		ID: d.ID, WebhookID: d.WebhookID, EventID: d.EventID, Event: d.EventType, MessageID: d.MessageID,
		Status: d.Status, Attempts: d.Attempts, LastResponseCode: d.LastStatusCode, LastError: d.LastError,
		NextAttemptAt: wire.FormatTimePtr(d.NextAttemptAt), DeliveredAt: wire.FormatTimePtr(d.DeliveredAt),
		CreatedAt: wire.FormatTime(d.CreatedAt), UpdatedAt: wire.FormatTime(d.UpdatedAt),
	}
}

// deliveryDetail is one delivery with the body it sends and every attempt.
type deliveryDetail struct {
	deliveryOut
	Payload    json.RawMessage `json:"payload"`
	AttemptLog []attemptOut    `json:"attempt_log"`
}

// attemptOut is one attempt of a delivery.
type attemptOut struct {
	Number       int     `json:"number"`
	StartedAt    string  `json:"started_at"`
	DurationMS   float64 `json:"duration_ms"`
	ResponseCode *int    `json:"response_code"`
	Error        *string `json:"error"`
}

// deliveryStatuses are the values filter[status] accepts on deliveries.
var deliveryStatuses = map[string]bool{
	clientele.DeliveryPending:   true,
	clientele.DeliveryDelivered: true,
	clientele.DeliveryFailed:    true,
}

// listDeliveries answers GET /webhooks/{id}/deliveries (spec §13 E9):
// newest first, optionally one status, paginated.
func (s *server) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIntID(r, "id", "webhook")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	page, err := parsePage(q)
	if err != nil {
		return err
	}
	f := clientele.DeliveryFilter{Status: q.Get("filter[status]"), Offset: page.offset(), Limit: page.Size}
	if f.Status != "" && !deliveryStatuses[f.Status] {
		return invalid("filter.status", "The selected filter.status is invalid.")
	}
	ds, total, err := s.store.Deliveries(r.Context(), id, f)
	if err != nil {
		return err
	}
	data := make([]deliveryOut, 0, len(ds))
	for _, d := range ds {
		data = append(data, renderDelivery(d))
	}
	writeJSON(w, http.StatusOK, newPage(r, page, total, len(data), data))
	return nil
}

// getDelivery answers GET /webhooks/{id}/deliveries/{deliveryId}: the
// delivery, its payload and its attempts.
func (s *server) getDelivery(w http.ResponseWriter, r *http.Request) error {
	hookID, err := pathIntID(r, "id", "webhook")
	if err != nil {
		return err
	}
	id, err := pathIntID(r, "deliveryId", "delivery")
	if err != nil {
		return err
	}
	d, attempts, err := s.store.Delivery(r.Context(), hookID, id)
	if err != nil {
		return err
	}
	out := deliveryDetail{deliveryOut: renderDelivery(d), Payload: d.Body, AttemptLog: make([]attemptOut, 0, len(attempts))}
	if !json.Valid(out.Payload) {
		out.Payload = json.RawMessage("null")
	}
	for _, a := range attempts {
		out.AttemptLog = append(out.AttemptLog, attemptOut{
			Number: a.Number, StartedAt: wire.FormatTime(a.StartedAt),
			DurationMS: float64(a.Duration.Microseconds()) / 1000, ResponseCode: a.StatusCode, Error: a.Error,
		})
	}
	writeJSON(w, http.StatusOK, dataBody{out})
	return nil
}

// retryDelivery answers POST /webhooks/{id}/deliveries/{deliveryId}/retry
// (spec §13 E9): the delivery is sent again now, whatever its status,
// with a fresh retry schedule; 200 with the requeued delivery.
func (s *server) retryDelivery(w http.ResponseWriter, r *http.Request) error {
	hookID, err := pathIntID(r, "id", "webhook")
	if err != nil {
		return err
	}
	id, err := pathIntID(r, "deliveryId", "delivery")
	if err != nil {
		return err
	}
	d, err := s.store.RetryDelivery(r.Context(), hookID, id, s.now().UTC())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dataBody{renderDelivery(d)})
	return nil
}
