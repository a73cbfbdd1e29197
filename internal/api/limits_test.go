package api_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/api"
)

const bodyTooMany = `{"message":"Too Many Attempts."}`

// expectTooMany checks a 429 with the exact body and a Retry-After of
// whole seconds in [1, 60].
func expectTooMany(t *testing.T, r response) int {
	t.Helper()
	expect(t, r, http.StatusTooManyRequests, bodyTooMany)
	secs, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || secs < 1 || secs > 60 {
		t.Errorf("Retry-After = %q, want whole seconds in [1, 60]", r.header.Get("Retry-After"))
	}
	return secs
}

// nested is a JSON value nested depth levels deep: {"a":{"a":…1…}}.
func nested(depth int) string {
	return strings.Repeat(`{"a":`, depth) + "1" + strings.Repeat("}", depth)
}

// TestBodyAndBatchSizeLimits: a body over the limit is 413 whether it says
// so up front (Content-Length) or not (chunked), and too many profiles is
// 422 (spec §13 E10).
func TestBodyAndBatchSizeLimits(t *testing.T) {
	e := newEnv(t)
	item := `{"email":"a@example.com","company":"` + strings.Repeat("x", testMaxBody/2) + `"}`
	big := profilesJSON("email", item, item)
	expect(t, e.do("POST", "/api/v3/profiles/batch", e.admin, []byte(big)), http.StatusRequestEntityTooLarge, bodyTooLarge)

	// Chunked: no Content-Length, so the limit is found while reading.
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v3/profiles/batch", strings.NewReader(big))
	req.ContentLength = -1
	req.Header.Set("Authorization", "Bearer "+e.admin)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked oversized body: %d, want 413", resp.StatusCode)
	}

	six := strings.TrimSuffix(strings.Repeat(`{"email":"x@example.com"},`, testMaxBatch+1), ",")
	expectInvalid(t, e.do("POST", "/api/v3/profiles/batch", e.admin, []byte(`{"match_criteria":"email","profiles":[`+six+`]}`)), "profiles")
	if n := e.queued(); n != 0 {
		t.Errorf("QueuedItems = %d, want 0", n)
	}
}

// TestJSONShapeLimits: nesting deeper than clientele.MaxJSONDepth, and
// strings, keys and numbers over their limits, are 422 with the dot path of
// the offending value, in a batch and in any other JSON body.
func TestJSONShapeLimits(t *testing.T) {
	e := newEnv(t, func(d *api.Deps) { d.MaxBodyBytes = 1 << 20 })
	attr := func(value string) string {
		return `{"email":"a@example.com","custom_attributes":[{"namespace":"n","handle":"h","type":"json","value":` + value + `}]}`
	}
	ok := attr(nested(clientele.MaxJSONDepth - 5)) // value sits at depth 5
	deep := attr(nested(clientele.MaxJSONDepth - 4))
	deepKey := "profiles.1.custom_attributes.0.value" + strings.Repeat(".a", clientele.MaxJSONDepth-5)
	longKey := strings.Repeat("k", clientele.MaxJSONKey+1)
	for _, c := range []struct {
		name, body, key, msg string
	}{
		{"nested too deeply", profilesJSON("email", ok, deep), deepKey, "The " + deepKey + " is nested too deeply."},
		{"string too long", profilesJSON("email", ok, attr(`"`+strings.Repeat("é", clientele.MaxJSONString/2+1)+`"`)),
			"profiles.1.custom_attributes.0.value", "The profiles.1.custom_attributes.0.value must not be greater than 65535 bytes."},
		{"key too long", profilesJSON("email", `{"email":"a@example.com","`+longKey+`":1}`),
			"profiles.0", "The profiles.0 has a key longer than 255 bytes."},
		{"number too long", profilesJSON("email", `{"email":"a@example.com","birth_year":1`+strings.Repeat("0", 300)+`}`),
			"profiles.0.birth_year", "The profiles.0.birth_year must not be greater than 255 bytes."},
		{"root key too long", `{"` + longKey + `":1,"match_criteria":"email","profiles":[{}]}`, "body", "The body has a key longer than 255 bytes."},
	} {
		t.Run(c.name, func(t *testing.T) {
			want := `{"message":"The given data was invalid.","errors":{"` + c.key + `":["` + c.msg + `"]}}`
			expect(t, e.do("POST", "/api/v3/profiles/batch.json", e.admin, []byte(c.body)), http.StatusUnprocessableEntity, want)
		})
	}
	// Exactly at the limits is fine.
	atLimit := attr(`{"s":"` + strings.Repeat("x", clientele.MaxJSONString) + `"}`)
	expect(t, e.do("POST", "/api/v3/profiles/batch", e.admin, []byte(profilesJSON("email", ok, atLimit))), http.StatusAccepted, "")

	// Any JSON body: the token request.
	r := e.do("POST", "/api/v3/auth/api-tokens", e.admin, []byte(`{"name":"x","scopes":["*"],"extra":`+nested(clientele.MaxJSONDepth)+`}`))
	expectInvalid(t, r, "extra"+strings.Repeat(".a", clientele.MaxJSONDepth-1))
	r = e.do("POST", "/api/v3/auth/api-tokens", e.admin, []byte(`{"name":"`+strings.Repeat("n", clientele.MaxJSONString+1)+`","scopes":["*"]}`))
	expectInvalid(t, r, "name")
}

// TestQueueLimit: once the queued items reach the limit, new batches get
// 429 with a Retry-After and nothing is stored; a batch that would take
// the queue past it is refused too; once the workers drain, batches are
// accepted again (spec §13 E11).
func TestQueueLimit(t *testing.T) {
	e := newEnv(t, func(d *api.Deps) { d.QueueLimit = 4 })
	item := func(i int) string { return fmt.Sprintf(`{"email":"q%d@example.com"}`, i) }

	// A batch larger than the limit still enters an empty queue.
	e.submit(profilesJSON("email", item(0), item(1), item(2), item(3), item(4)))
	expectTooMany(t, e.do("POST", "/api/v3/profiles/batch", e.admin, []byte(profilesJSON("email", item(5)))))
	if n := e.queued(); n != 5 {
		t.Errorf("QueuedItems = %d, want 5", n)
	}

	e.drain()
	// The gate rereads the queue within a fraction of a second.
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := e.do("POST", "/api/v3/profiles/batch", e.admin, []byte(profilesJSON("email", item(6), item(7), item(8))))
		if r.status == http.StatusAccepted {
			break
		}
		expectTooMany(t, r)
		if time.Now().After(deadline) {
			t.Fatal("batches still refused after the queue drained")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// 3 queued: one more item fits, two do not.
	expectTooMany(t, e.do("POST", "/api/v3/profiles/batch", e.admin, []byte(profilesJSON("email", item(9), item(10)))))
	e.submit(profilesJSON("email", item(11)))
	expectTooMany(t, e.do("POST", "/api/v3/profiles/batch", e.admin, []byte(profilesJSON("email", item(12)))))
	if n := e.queued(); n != 4 {
		t.Errorf("QueuedItems = %d, want 4", n)
	}
	// Reads are never refused.
	expect(t, e.do("GET", "/api/v3/profiles", e.admin, nil), http.StatusOK, "")
}

// TestRateLimit: with --rate-limit, each token has its own bucket of one
// second's requests; past it, 429 with Retry-After, and RateLimit-* headers
// on every answer (spec §13 E11). The clock stands still, so the bucket
// does not refill during the test.
func TestRateLimit(t *testing.T) {
	c := newClock(testNow)
	e := newEnv(t, withClock(c), func(d *api.Deps) { d.RateLimit = 2 })
	other := e.token("read-profiles")
	check := func(r response, remaining, reset string) {
		t.Helper()
		if got := [3]string{r.header.Get("RateLimit-Limit"), r.header.Get("RateLimit-Remaining"), r.header.Get("RateLimit-Reset")}; got != [3]string{"2", remaining, reset} {
			t.Errorf("RateLimit headers (limit, remaining, reset) = %v, want [2 %s %s]", got, remaining, reset)
		}
	}
	r := e.do("GET", "/api/v3/profiles", e.admin, nil)
	expect(t, r, http.StatusOK, "")
	check(r, "1", "1")
	r = e.do("GET", "/api/v3/profiles", e.admin, nil)
	expect(t, r, http.StatusOK, "")
	check(r, "0", "1")
	r = e.do("GET", "/api/v3/profiles", e.admin, nil)
	if secs := expectTooMany(t, r); secs != 1 {
		t.Errorf("Retry-After = %d, want 1 (half a second to the next request, rounded up)", secs)
	}
	check(r, "0", "1")
	// A batch is refused too, and nothing is queued.
	expectTooMany(t, e.do("POST", "/api/v3/profiles/batch", e.admin, []byte(profilesJSON("email", `{"email":"a@example.com"}`))))
	if n := e.queued(); n != 0 {
		t.Errorf("QueuedItems = %d, want 0", n)
	}

	// Another token has its own bucket; health has none.
	expect(t, e.do("GET", "/api/v3/profiles", other, nil), http.StatusOK, "")
	if r := e.do("GET", "/api/health", "", nil); r.header.Get("RateLimit-Limit") != "" {
		t.Error("RateLimit headers on an unauthenticated route")
	}
	// Half a second later one request is allowed again.
	c.add(500 * time.Millisecond)
	expect(t, e.do("GET", "/api/v3/profiles", e.admin, nil), http.StatusOK, "")
	expectTooMany(t, e.do("GET", "/api/v3/profiles", e.admin, nil))
}

// TestRateLimitOffByDefault: no RateLimit headers, no 429, without it.
func TestRateLimitOffByDefault(t *testing.T) {
	e := newEnv(t)
	for range 50 {
		r := e.do("GET", "/api/v3/profiles", e.admin, nil)
		expect(t, r, http.StatusOK, "")
		if r.header.Get("RateLimit-Limit") != "" {
			t.Fatal("RateLimit headers without a rate limit")
		}
	}
}
