package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/clientele/clientele"
)

// Dispatcher defaults.
const (
	DefaultConcurrency = 16
	DefaultPerHost     = 4
	DefaultTimeout     = 10 * time.Second
	// maxErrorBody is how much of a failed response's body the log keeps.
	maxErrorBody = 256
	// maxRedirects bounds the 307/308 redirects a delivery follows.
	maxRedirects = 3
)

// userAgent names clientele to receivers.
const userAgent = "clientele-webhooks/1"

// Dispatcher sends due deliveries. Run it on every node: claims keep the
// nodes from sending one attempt twice.
type Dispatcher struct {
	store       clientele.Store
	log         *slog.Logger
	now         func() time.Time
	owner       string
	secret      string
	client      *http.Client
	schedule    Schedule
	concurrency int
	perHost     int
	backlog     int
	timeout     time.Duration
	leaseTTL    time.Duration
	poll        time.Duration
	rand        func() float64

	wake  chan struct{}
	mu    sync.Mutex
	hosts map[string]*hostSlots // per-host slots of the hosts in use
}

// hostSlots bounds the requests in flight to one host. users counts the
// requests holding or waiting for a slot, so the entry is dropped when the
// host is idle and the map holds only hosts in use, not every host a
// long-running process has ever sent to.
type hostSlots struct {
	ch    chan struct{}
	users int
}

// newClient is the dispatcher's HTTP client: connections through guard,
// no proxy from the environment (the guard must see the real
// destination), keep-alive pools sized per host, and redirects followed
// only when they keep the POST and its body (307, 308).
func newClient(guard *Guard, perHost int, timeout time.Duration) *http.Client {
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           guard.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   perHost,
		MaxConnsPerHost:       perHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return errors.New("too many redirects")
			}
			// Only these keep the method and the body; the client re-sends
			// both, with every header (the signatures still hold), through
			// the guard.
			if req.Response != nil && req.Response.StatusCode != http.StatusTemporaryRedirect &&
				req.Response.StatusCode != http.StatusPermanentRedirect {
				return http.ErrUseLastResponse
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("redirect to %s URL", req.URL.Scheme)
			}
			return nil
		},
	}
}

// Notify wakes the dispatcher because deliveries were just stored.
func (d *Dispatcher) Notify() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// maxRecordBatch bounds the attempts recorded in one transaction.
const maxRecordBatch = 256

// Run sends deliveries until ctx ends, then waits for the sends in flight.
//
// A feeder claims due deliveries in batches, keeping up to Backlog claimed
// and not yet recorded; every claimed delivery waits for a slot of its
// host (PerHost), then for one of Concurrency, so that deliveries waiting
// on a slow host hold no slot others could use. A recorder stores the
// attempts, as many per transaction as are ready, so that the database
// commits once for many sends; and the claims of deliveries not yet
// recorded are renewed every third of their lease, so that a live node
// keeps them however long they wait, and a dead node's are sent again by
// another within a lease. A send cut short by ctx is not recorded: its
// claim expires, and the delivery is sent again by whichever node claims
// it next.
func (d *Dispatcher) Run(ctx context.Context) {
	global := make(chan struct{}, d.concurrency)
	results := make(chan clientele.ClaimedAttempt, d.backlog)
	progress := make(chan struct{}, 1)
	held := &heldSet{m: map[int64]clientele.Delivery{}}
	settle := func(ds ...clientele.Delivery) {
		held.remove(ds...)
		select {
		case progress <- struct{}{}:
		default:
		}
	}

	recorded := make(chan struct{})
	go func() {
		defer close(recorded)
		d.recordAll(results, settle)
	}()
	renewCtx, stopRenewing := context.WithCancel(context.WithoutCancel(ctx))
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		d.renew(renewCtx, held)
	}()

	var sends sync.WaitGroup
	d.feed(ctx, held, progress, func(del clientele.Delivery) {
		sends.Go(func() {
			if a, ok := d.attempt(ctx, del, global); ok {
				results <- a
			} else {
				settle(del)
			}
		})
	})
	sends.Wait()
	close(results)
	<-recorded
	stopRenewing()
	<-renewed
}

// heldSet is the deliveries this node has claimed and not yet recorded.
type heldSet struct {
	mu sync.Mutex
	m  map[int64]clientele.Delivery
}

func (h *heldSet) add(ds ...clientele.Delivery) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, d := range ds {
		h.m[d.ID] = d
	}
}

func (h *heldSet) remove(ds ...clientele.Delivery) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, d := range ds {
		delete(h.m, d.ID)
	}
}

func (h *heldSet) len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.m)
}

func (h *heldSet) list() []clientele.Delivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]clientele.Delivery, 0, len(h.m))
	for _, d := range h.m {
		out = append(out, d)
	}
	return out
}

// feed claims due deliveries and hands each to send, until ctx ends. It
// claims when at least half the backlog is free, so that claims come in
// batches (one transaction for many deliveries).
func (d *Dispatcher) feed(ctx context.Context, held *heldSet, progress <-chan struct{}, send func(clientele.Delivery)) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for ctx.Err() == nil {
		room := d.backlog - held.len()
		if room >= (d.backlog+1)/2 {
			ds, err := d.store.ClaimDeliveries(ctx, d.owner, d.now(), d.leaseTTL, room)
			if err != nil && ctx.Err() == nil {
				d.log.Error("webhook dispatcher: claim", "error", err)
			}
			held.add(ds...)
			for _, del := range ds {
				send(del)
			}
			if len(ds) == room {
				continue // more may be due
			}
		}
		timer.Reset(d.poll)
		select {
		case <-ctx.Done():
		case <-d.wake:
		case <-progress:
		case <-timer.C:
		}
	}
}

// renew extends the claims of the held deliveries every third of a lease
// until ctx ends.
func (d *Dispatcher) renew(ctx context.Context, held *heldSet) {
	t := time.NewTicker(d.leaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if ds := held.list(); len(ds) > 0 {
			if err := d.store.RenewClaims(ctx, ds, d.now(), d.leaseTTL); err != nil && ctx.Err() == nil {
				d.log.Error("webhook dispatcher: renew claims", "error", err)
			}
		}
	}
}

// recordAll stores the attempts that arrive on results until it closes,
// many per transaction.
func (d *Dispatcher) recordAll(results <-chan clientele.ClaimedAttempt, settle func(...clientele.Delivery)) {
	for a := range results {
		batch := []clientele.ClaimedAttempt{a}
	gather:
		for len(batch) < maxRecordBatch {
			select {
			case more, ok := <-results:
				if !ok {
					break gather
				}
				batch = append(batch, more)
			default:
				break gather
			}
		}
		d.record(batch)
		ds := make([]clientele.Delivery, len(batch))
		for i, ca := range batch {
			ds[i] = ca.Delivery
		}
		settle(ds...)
	}
}

// attempt makes one attempt at del, once it has a slot of its host and
// one of global. It reports false when ctx ended first: that send is not
// recorded.
func (d *Dispatcher) attempt(ctx context.Context, del clientele.Delivery, global chan struct{}) (clientele.ClaimedAttempt, bool) {
	u, err := url.Parse(del.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return d.outcome(del, d.now(), 0, outcome{err: "invalid URL"}), true
	}
	release, err := d.hostSlot(ctx, strings.ToLower(u.Host))
	if err != nil {
		return clientele.ClaimedAttempt{}, false
	}
	defer release()
	select {
	case global <- struct{}{}:
		defer func() { <-global }()
	case <-ctx.Done():
		return clientele.ClaimedAttempt{}, false
	}
	started := d.now()
	o := d.send(ctx, del, started)
	if ctx.Err() != nil {
		return clientele.ClaimedAttempt{}, false // shutting down: the claim expires and it is sent again
	}
	return d.outcome(del, started, d.now().Sub(started), o), true
}

// hostSlot takes one of host's slots, waiting for one if need be; release
// gives it back.
func (d *Dispatcher) hostSlot(ctx context.Context, host string) (release func(), err error) {
	d.mu.Lock()
	hs := d.hosts[host]
	if hs == nil {
		hs = &hostSlots{ch: make(chan struct{}, d.perHost)}
		d.hosts[host] = hs
	}
	hs.users++
	d.mu.Unlock()
	leave := func() {
		d.mu.Lock()
		if hs.users--; hs.users == 0 {
			delete(d.hosts, host)
		}
		d.mu.Unlock()
	}
	select {
	case hs.ch <- struct{}{}:
		return func() { <-hs.ch; leave() }, nil
	case <-ctx.Done():
		leave()
		return nil, ctx.Err()
	}
}

// outcome is what one attempt came to.
type outcome struct {
	status     *int
	err        string        // "" when delivered
	retry      bool          // worth trying again
	retryAfter time.Duration // the receiver's Retry-After
}

// send POSTs the delivery once, signed, and classifies the answer.
func (d *Dispatcher) send(ctx context.Context, del clientele.Delivery, now time.Time) outcome {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, del.URL, bytes.NewReader(del.Body))
	if err != nil {
		return outcome{err: "invalid URL"}
	}
	ts := now.Unix()
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", userAgent)
	h.Set(HeaderEvent, del.Trigger)
	h.Set(HeaderHMAC, SignHex(d.secret, del.Body))
	h.Set(HeaderID, del.MessageID)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderSignature, SignStandard(d.secret, del.MessageID, ts, del.Body))

	resp, err := d.client.Do(req)
	if err != nil {
		if errors.Is(err, ErrForbiddenAddress) {
			return outcome{err: "refused: " + trimErr(err)}
		}
		return outcome{err: trimErr(err), retry: true}
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	// Drain a little more so the connection can be reused; a receiver
	// that answers with megabytes loses its keep-alive instead.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	code := resp.StatusCode
	o := outcome{status: &code}
	switch {
	case code >= 200 && code < 300:
		return o
	case code == http.StatusRequestTimeout, code == http.StatusTooManyRequests, code >= 500:
		o.retry = true
		if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
			o.retryAfter = retryAfter(resp.Header, d.now())
		}
	}
	o.err = "HTTP " + strconv.Itoa(code)
	if s := printable(snippet); s != "" {
		o.err += ": " + s
	}
	return o
}

// outcome is the attempt to record for o: delivered, to retry on the
// schedule (or at the receiver's Retry-After, if later), or failed.
func (d *Dispatcher) outcome(del clientele.Delivery, started time.Time, took time.Duration, o outcome) clientele.ClaimedAttempt {
	a := clientele.DeliveryAttempt{StartedAt: started, Duration: took, StatusCode: o.status}
	switch {
	case o.err == "":
		a.Delivered = true
	case o.retry:
		n := del.Attempts + 1 - del.RetryBase
		daily := del.RetryDaily != nil && *del.RetryDaily
		if wait, ok := d.schedule.Delay(n, del.RetryHourly, daily, d.rand); ok {
			if o.retryAfter > wait {
				wait = min(o.retryAfter, d.schedule.MaxRetryAfter)
			}
			at := started.Add(took).Add(wait)
			a.RetryAt = &at
		}
	}
	if o.err != "" {
		msg := o.err
		a.Error = &msg
	}
	return clientele.ClaimedAttempt{Delivery: del, Attempt: a}
}

// record stores a batch of attempts. It runs on after shutdown begins: a
// send that completed must be recorded, or it would be sent again. If the
// store fails, the claims expire and the deliveries are sent again.
func (d *Dispatcher) record(batch []clientele.ClaimedAttempt) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lost, err := d.store.RecordAttempts(ctx, batch)
	if err != nil {
		d.log.Error("webhook dispatcher: record attempts", "attempts", len(batch), "error", err)
		return
	}
	for _, id := range lost {
		// The claim expired (a send slower than the lease) or the delivery
		// was requeued: whoever holds it now sends it again.
		d.log.Warn("webhook delivery claim lost", "delivery_id", id)
	}
	for _, ca := range batch {
		if a := ca.Attempt; !a.Delivered && a.RetryAt == nil && !slices.Contains(lost, ca.Delivery.ID) {
			d.log.Warn("webhook delivery failed", "delivery_id", ca.Delivery.ID, "webhook_id", ca.Delivery.WebhookID,
				"attempts", ca.Delivery.Attempts+1, "error", *a.Error)
		}
	}
}

// trimErr is err's text, short enough for the log.
func trimErr(err error) string {
	return printable([]byte(err.Error()))
}

// printable is b as one line of valid UTF-8, at most maxErrorBody bytes.
func printable(b []byte) string {
	s := strings.ToValidUTF8(string(b), "?")
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxErrorBody {
		s = s[:maxErrorBody]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}

// randFloat is the jitter's source.
func randFloat() float64 { return rand.Float64() }
