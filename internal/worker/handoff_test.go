package worker

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/clientele/clientele"
)

// accepted parses a batch of n profiles as the API does: mixed-case and
// padded emails, national and E.164 phones, identities, attributes.
func accepted(t *testing.T, n int) *clientele.BatchRequest {
	t.Helper()
	body := []byte(`{"match_criteria": "email", "profiles": [`)
	for i := range n {
		if i > 0 {
			body = append(body, ',')
		}
		phone := fmt.Sprintf("+614%08d", i)
		if i%2 == 0 {
			phone = fmt.Sprintf("04%02d %03d %03d", i/1000000, i/1000%1000, i%1000)
		}
		body = fmt.Appendf(body, `{"email": " P%d@Example.COM ", "first_name": "N%d", "mobile_phone": %q,
			"identities": [{"handle": " pos ", "identifier": "P-%d"}], "tags": ["t %d"],
			"custom_attributes": [{"namespace": "crm", "handle": "visits", "type": "integer", "value": %d}]}`, i, i, phone, i, i%3, i)
	}
	body = append(body, "]}"...)
	req, err := clientele.ParseBatchRequest(body, 10000)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// A chunk taken from the handoff is what Prepare makes of the stored
// items: the same inputs, the same errors, in the same order. Without a
// phone region the national numbers fail, the same way on both paths.
func TestHandoffTakeIsPrepare(t *testing.T) {
	const n = clientele.ChunkSize + 120
	for _, region := range []string{"AU", ""} {
		req := accepted(t, n)
		h := NewHandoff(DefaultHandoffItems)
		h.Put("b", req.Inputs)
		failed := 0
		for _, from := range []int{0, clientele.ChunkSize} {
			got, ok := h.Take("b", from, region)
			if !ok {
				t.Fatalf("chunk at %d not held", from)
			}
			var raw []clientele.RawItem
			for i := from; i < min(from+clientele.ChunkSize, n); i++ {
				raw = append(raw, clientele.RawItem{Index: i, JSON: req.Items.Raw[i]})
			}
			want := Prepare(raw, region, time.Time{}).Items
			if len(got) != len(want) {
				t.Fatalf("region %q, chunk at %d: %d items, want %d", region, from, len(got), len(want))
			}
			for i := range want {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Fatalf("region %q, item %d: handoff %+v\nprepare %+v", region, from+i, got[i], want[i])
				}
				if want[i].Errors != nil {
					failed++
				}
			}
		}
		if (region == "") != (failed > 0) {
			t.Errorf("region %q: %d failed items", region, failed)
		}
		if got := fmt.Sprint(h.held, len(h.batches), len(h.order)); got != "0 0 0" {
			t.Errorf("after the last chunk: held, batches, order = %s", got)
		}
	}
}

// Each chunk is taken once; a cursor the handoff cannot serve drops the
// batch; a batch that does not fit is left out (the older ones held are
// needed sooner); a batch held too long makes room.
func TestHandoffBounds(t *testing.T) {
	req := accepted(t, 2*clientele.ChunkSize)
	h := NewHandoff(3 * clientele.ChunkSize)
	h.Put("a", req.Inputs)
	if _, ok := h.Take("a", 0, ""); !ok {
		t.Fatal("first take failed")
	}
	if _, ok := h.Take("a", 0, ""); ok {
		t.Error("a chunk was taken twice")
	}
	if _, ok := h.Take("a", clientele.ChunkSize, ""); ok || h.held != 0 {
		t.Errorf("the batch survived a cursor it could not serve (held %d)", h.held)
	}

	h.Put("b", accepted(t, 2*clientele.ChunkSize).Inputs)
	h.Put("c", accepted(t, 2*clientele.ChunkSize).Inputs) // does not fit
	if _, ok := h.Take("c", 0, ""); ok {
		t.Error("c was kept beyond the limit")
	}
	h.order[0].at = h.order[0].at.Add(-h.maxAge - time.Second) // b waited too long
	h.Put("d", accepted(t, 2*clientele.ChunkSize).Inputs)
	if _, ok := h.Take("b", 0, ""); ok {
		t.Error("b outlived its age")
	}
	if _, ok := h.Take("d", 0, ""); !ok {
		t.Error("d did not take b's room")
	}
	h.Drop("d")
	if h.held != 0 || len(h.batches) != 0 || len(h.order) != 0 {
		t.Errorf("after Drop: held %d, batches %d, order %d", h.held, len(h.batches), len(h.order))
	}
	if _, ok := h.Take("unknown", 0, ""); ok {
		t.Error("took a chunk of a batch never put")
	}
	var none *Handoff
	if _, ok := none.Take("c", 0, ""); ok {
		t.Error("a nil handoff held something")
	}
}
