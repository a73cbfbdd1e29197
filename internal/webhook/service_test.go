package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clientele/clientele"
)

// verifyHex checks X-Omneo-Hmac-SHA256 as Omneo's PHP SDK does:
// hash_hmac('sha256', body, secret), compared with hash_equals.
func verifyHex(t *testing.T, r request) {
	t.Helper()
	m := hmac.New(sha256.New, []byte(testSecret))
	m.Write(r.body)
	if got, want := r.header.Get("X-Omneo-Hmac-SHA256"), hex.EncodeToString(m.Sum(nil)); got != want {
		t.Errorf("X-Omneo-Hmac-SHA256 = %q, want %q", got, want)
	}
}

// verifyStandard checks the Standard Webhooks headers as the
// specification's verifiers do, with the key in its whsec_ form: decode
// the base64 after the prefix, HMAC "id.timestamp.body", compare with each
// v1 signature of the header.
func verifyStandard(t *testing.T, r request) {
	t.Helper()
	id, ts, sigs := r.header.Get("webhook-id"), r.header.Get("webhook-timestamp"), r.header.Get("webhook-signature")
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(StandardSecret(testSecret), "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(r.body)
	want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	if !slices.Contains(strings.Fields(sigs), want) {
		t.Errorf("webhook-signature %q lacks %q", sigs, want)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(sec, 0)).Abs() > time.Minute {
		t.Errorf("webhook-timestamp %q is not now", ts)
	}
	if !hasPrefix(id, "msg_") {
		t.Errorf("webhook-id %q", id)
	}
}

func TestDeliverySignedBothWays(t *testing.T) {
	s := newStore(t)
	rc := newReceiver(t, nil)
	w := subscribe(t, s, clientele.EventProfileCreated, rc.URL+"/hook?x=1")
	start(t, s)
	load(t, s, "", `{"email":"Ann@Example.com","first_name":"Ann","tags":["vip customer"],"statuses":["gold"]}`)
	waitFor(t, "one delivered delivery", settled(t, s, w, 1))

	got := rc.requests()
	if len(got) != 1 {
		t.Fatalf("%d requests, want 1", len(got))
	}
	r := got[0]
	verifyHex(t, r)
	verifyStandard(t, r)
	if r.header.Get("X-Omneo-Event") != "profile.created" || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", r.header)
	}
	if field(t, r.body, "data") != nil || field(t, r.body, "email") != "ann@example.com" ||
		field(t, r.body, "full_name") != "Ann Unknown" {
		t.Errorf("body is not the Profile at the root: %s", r.body)
	}
	for _, k := range []string{"flattened_tags", "tags"} {
		if tags, _ := field(t, r.body, k).([]any); len(tags) != 1 || tags[0] != "vip-customer" {
			t.Errorf("%s = %v", k, field(t, r.body, k))
		}
	}
	if st, _ := field(t, r.body, "flattened_statuses").([]any); len(st) != 1 || st[0] != "gold" {
		t.Errorf("flattened_statuses = %v", field(t, r.body, "flattened_statuses"))
	}
	d := deliveries(t, s, w)[0]
	if d.Status != clientele.DeliveryDelivered || d.Attempts != 1 || d.MessageID != r.header.Get("webhook-id") {
		t.Errorf("delivery %+v", d)
	}
}

func TestFailingTwiceThenDelivered(t *testing.T) {
	eachStore(t, func(t *testing.T, s clientele.Store) {
		rc := newReceiver(t, func(n int, _ request) int {
			return []int{http.StatusInternalServerError, http.StatusServiceUnavailable, http.StatusNoContent}[min(n, 3)-1]
		})
		w := subscribe(t, s, clientele.EventProfileCreated, rc.URL)
		start(t, s)
		load(t, s, "", people(1, "x")...)
		waitFor(t, "the delivery to settle", settled(t, s, w, 1))

		got := rc.requests()
		if len(got) != 3 {
			t.Fatalf("%d requests, want 3", len(got))
		}
		for _, r := range got {
			verifyHex(t, r)
			verifyStandard(t, r)
			if r.header.Get("webhook-id") != got[0].header.Get("webhook-id") || string(r.body) != string(got[0].body) {
				t.Error("retries changed the webhook-id or the body")
			}
		}
		d, attempts, err := s.Delivery(t.Context(), w.ID, deliveries(t, s, w)[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != clientele.DeliveryDelivered || d.Attempts != 3 || *d.LastStatusCode != 204 || d.DeliveredAt == nil {
			t.Errorf("delivery %+v", d)
		}
		var codes []int
		for _, a := range attempts {
			codes = append(codes, *a.StatusCode)
		}
		if !slices.Equal(codes, []int{500, 503, 204}) || !hasPrefix(*attempts[0].Error, "HTTP 500") {
			t.Errorf("attempt codes %v, first error %v", codes, attempts[0].Error)
		}
	})
}

func TestGoneIsNotRetried(t *testing.T) {
	s := newStore(t)
	rc := newReceiver(t, func(int, request) int { return http.StatusGone })
	w := subscribe(t, s, clientele.EventProfileCreated, rc.URL)
	start(t, s)
	load(t, s, "", people(1, "x")...)
	waitFor(t, "the delivery to fail", settled(t, s, w, 1))
	// Failed is final: no retry is scheduled, so none can follow.
	d := deliveries(t, s, w)[0]
	if n := len(rc.requests()); n != 1 || d.Status != clientele.DeliveryFailed || *d.LastStatusCode != 410 ||
		d.NextAttemptAt != nil {
		t.Errorf("%d requests; delivery %+v", n, d)
	}
}

func TestTooManyRequestsHonoursRetryAfter(t *testing.T) {
	s := newStore(t)
	rc := newReceiver(t, func(int, request) int { return http.StatusTooManyRequests })
	w := subscribe(t, s, clientele.EventProfileCreated, rc.URL)
	start(t, s)
	load(t, s, "", people(1, "x")...)
	waitFor(t, "one attempt", func() bool { return len(rc.requests()) == 1 && deliveries(t, s, w)[0].Attempts == 1 })
	d := deliveries(t, s, w)[0]
	// The receiver's Retry-After: 3600 outweighs the 5ms of the schedule.
	if n := len(rc.requests()); n != 1 || d.Status != clientele.DeliveryPending || d.NextAttemptAt == nil ||
		time.Until(*d.NextAttemptAt) < 59*time.Minute {
		t.Errorf("%d requests; delivery %+v", n, d)
	}
}

func TestNetworkErrorsRetriedUntilTheScheduleEnds(t *testing.T) {
	s := newStore(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close() // nothing listens: every attempt is refused
	daily := false
	w := subscribe(t, s, clientele.EventProfileCreated, url, func(w *clientele.Webhook) {
		w.RetryHourly, w.RetryDaily = true, &daily
	})
	start(t, s)
	load(t, s, "", people(1, "x")...)
	waitFor(t, "the delivery to fail", settled(t, s, w, 1))
	d := deliveries(t, s, w)[0]
	// fastSchedule: 5 fast retries, then 2 hourly ones (retry_hourly), no daily.
	if d.Status != clientele.DeliveryFailed || d.Attempts != 8 || d.LastStatusCode != nil || d.LastError == nil {
		t.Errorf("delivery %+v", d)
	}
}

func TestBatchOf500(t *testing.T) {
	eachStore(t, func(t *testing.T, s clientele.Store) {
		vip, none := newReceiver(t, nil), newReceiver(t, nil)
		wVIP := subscribe(t, s, clientele.EventProfileCreated, vip.URL, func(w *clientele.Webhook) {
			w.Condition = []byte(`{"in":["vip",{"var":"tags"}]}`)
		})
		wNone := subscribe(t, s, clientele.EventProfileCreated, none.URL, func(w *clientele.Webhook) {
			w.Condition = []byte(`{"and":[{"not_in":["vip",{"var":"tags"}]}]}`)
		})
		start(t, s)
		load(t, s, "", people(500, "vip")...)
		waitFor(t, "500 deliveries", settled(t, s, wVIP, 500))

		ids := map[any]bool{}
		for _, r := range vip.requests() {
			ids[field(t, r.body, "id")] = true
		}
		if len(ids) != 500 {
			t.Errorf("%d profiles delivered, want 500", len(ids))
		}
		if n := len(none.requests()); n != 0 || len(deliveries(t, s, wNone)) != 0 {
			t.Errorf("the non-matching condition got %d requests", n)
		}
	})
}

func TestNamespaceLoopPrevention(t *testing.T) {
	s := newStore(t)
	rc := newReceiver(t, nil)
	own := subscribe(t, s, clientele.EventProfileCreated, rc.URL+"/crm", func(w *clientele.Webhook) { w.Namespace = "crm" })
	other := subscribe(t, s, clientele.EventProfileCreated, rc.URL+"/erp", func(w *clientele.Webhook) { w.Namespace = "erp" })
	open := subscribe(t, s, clientele.EventProfileCreated, rc.URL+"/all")
	start(t, s)
	load(t, s, "crm", people(3, "x")...)
	waitFor(t, "deliveries", func() bool { return settled(t, s, other, 3)() && settled(t, s, open, 3)() })
	if n := len(deliveries(t, s, own)); n != 0 {
		t.Errorf("the webhook of the batch's own namespace got %d deliveries", n)
	}
}

func TestBatchCompletedEvent(t *testing.T) {
	s := newStore(t)
	rc := newReceiver(t, nil)
	w := subscribe(t, s, clientele.EventBatchCompleted, rc.URL)
	start(t, s)
	id := load(t, s, "", append(people(2, "x"), `{"first_name":"no email"}`)...)
	waitFor(t, "the batch event", settled(t, s, w, 1))
	r := rc.requests()[0]
	verifyHex(t, r)
	if r.header.Get("X-Omneo-Event") != "batch.completed" || field(t, r.body, "id") != id ||
		field(t, r.body, "status") != "completed" || field(t, r.body, "total_count") != 3.0 ||
		field(t, r.body, "failed_count") != 1.0 || field(t, r.body, "items") != nil ||
		field(t, r.body, "completed_at") == nil {
		t.Errorf("batch.completed: %v %s", r.header, r.body)
	}
}

func TestPrivateDestinationRefused(t *testing.T) {
	s := newStore(t)
	rc := newReceiver(t, nil) // on 127.0.0.1
	w := subscribe(t, s, clientele.EventProfileCreated, rc.URL)
	start(t, s, func(c *Config) { c.AllowPrivate = false })
	load(t, s, "", people(1, "x")...)
	waitFor(t, "the delivery to fail", settled(t, s, w, 1))
	d := deliveries(t, s, w)[0]
	if n := len(rc.requests()); n != 0 || d.Attempts != 1 || !hasPrefix(*d.LastError, "refused") {
		t.Errorf("%d requests; delivery %+v (%s)", n, d, *d.LastError)
	}
}

func TestNodesShareTheWork(t *testing.T) {
	eachStore(t, func(t *testing.T, s clientele.Store) {
		rc := newReceiver(t, nil)
		w := subscribe(t, s, clientele.EventProfileCreated, rc.URL)
		start(t, s)
		start(t, s)
		load(t, s, "", people(50, "x")...)
		waitFor(t, "50 deliveries", settled(t, s, w, 50))
		// Every delivery was recorded after one attempt: no node sent one
		// that another held.
		for _, d := range deliveries(t, s, w) {
			if d.Attempts != 1 {
				t.Errorf("delivery %d: %d attempts", d.ID, d.Attempts)
			}
		}
		if n := len(rc.requests()); n != 50 {
			t.Errorf("%d requests for 50 events: two nodes sent one delivery", n)
		}
	})
}

func TestClaimLostMidSendIsSentAgain(t *testing.T) {
	eachStore(t, func(t *testing.T, s clientele.Store) {
		rc := newReceiver(t, nil)
		w := subscribe(t, s, clientele.EventProfileCreated, rc.URL)
		// A node routes and claims the deliveries, then dies before recording
		// them: only its lease is left.
		svc := New(Config{Store: s, Owner: "dead", Secret: testSecret, AllowPrivate: true})
		load(t, s, "", people(3, "x")...)
		if _, err := svc.Router.routeOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
		claimed, err := s.ClaimDeliveries(t.Context(), "dead", time.Now(), 200*time.Millisecond, 10)
		if err != nil || len(claimed) != 3 {
			t.Fatalf("claimed %d, %v", len(claimed), err)
		}
		start(t, s)
		waitFor(t, "the deliveries to be sent again", settled(t, s, w, 3))
		if n := len(rc.requests()); n != 3 {
			t.Errorf("%d requests, want 3", n)
		}
	})
}
