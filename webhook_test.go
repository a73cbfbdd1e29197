package clientele

import (
	"slices"
	"testing"
	"time"
)

func TestParseWebhookInputCreate(t *testing.T) {
	in, err := ParseWebhookInput([]byte(`{"trigger":" profile.updated ","url":"https://example.com/hook?a=1",
		"condition":{"and":[{"not_in":[{"var":"email"},["a@b.c"]]}]}, "queue":"urgent"}`), true)
	if err != nil {
		t.Fatal(err)
	}
	w := in.NewWebhook()
	if w.Trigger != "profile.updated" || w.URL != "https://example.com/hook?a=1" || w.Namespace != "" ||
		!w.IsActive || w.RetryHourly || w.RetryDaily != nil {
		t.Errorf("webhook = %+v", w)
	}
	if w.Queue == nil || *w.Queue != WebhookQueueLow {
		t.Errorf("an unknown queue is stored as low, got %v", w.Queue)
	}
	if string(w.Condition) != `{"and":[{"not_in":[{"var":"email"},["a@b.c"]]}]}` {
		t.Errorf("condition = %s", w.Condition)
	}
}

func TestParseWebhookInputErrors(t *testing.T) {
	for _, c := range []struct {
		body   string
		create bool
		keys   []string
	}{
		{`{}`, true, []string{"trigger", "url"}},
		{`[]`, true, []string{"trigger", "url"}},
		{`{}`, false, nil},
		{`{"trigger":"","url":null}`, false, []string{"trigger", "url"}},
		{`{"trigger":1,"url":"ftp://example.com"}`, true, []string{"trigger", "url"}},
		{`{"trigger":"x","url":"/relative"}`, true, []string{"url"}},
		{`{"trigger":"x","url":"https://"}`, true, []string{"url"}},
		{`{"trigger":"x","url":"https://e.com","is_active":1,"retry_hourly":null,"retry_daily":"yes"}`, true,
			[]string{"is_active", "retry_hourly", "retry_daily"}},
		{`{"trigger":"x","url":"https://e.com","condition":[1],"namespace":{}}`, true, []string{"condition", "namespace"}},
		{`{"trigger":"x","url":"https://e.com","condition":null,"retry_daily":null,"namespace":null}`, true, nil},
	} {
		_, err := ParseWebhookInput([]byte(c.body), c.create)
		var got []string
		for k := range ErrorFields(err) {
			got = append(got, k)
		}
		slices.Sort(got)
		slices.Sort(c.keys)
		if !slices.Equal(got, c.keys) {
			t.Errorf("%s (create %v): error keys %v, want %v (%v)", c.body, c.create, got, c.keys, err)
		}
	}
	if _, err := ParseWebhookInput([]byte(`{`), true); ErrorCode(err) != EMALFORMED {
		t.Errorf("broken JSON: %v", err)
	}
}

func TestWebhookInputApplyIsPartial(t *testing.T) {
	yes := true
	q := "high"
	w := Webhook{Trigger: "a", URL: "https://e.com", Namespace: "ns", IsActive: true, RetryDaily: &yes, Queue: &q,
		Condition: []byte(`{"x":1}`)}
	in, err := ParseWebhookInput([]byte(`{"is_active":false,"retry_daily":null,"condition":null,"namespace":null}`), false)
	if err != nil {
		t.Fatal(err)
	}
	in.Apply(&w)
	if w.Trigger != "a" || w.URL != "https://e.com" || w.IsActive || w.RetryDaily != nil || w.Condition != nil ||
		w.Namespace != "" || w.Queue == nil || *w.Queue != "high" {
		t.Errorf("after apply: %+v", w)
	}
}

func TestRouterCursorAdvance(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	c := RouterCursor{Position: 10}
	// 12 and 13 are not visible yet: they become gaps.
	c = c.Advance([]int64{11, 14, 15}, nil, now)
	if c.Position != 15 || !slices.Equal(c.GapIDs(), []int64{12, 13}) {
		t.Fatalf("cursor = %+v", c)
	}
	// 13 commits late; nothing new ahead.
	c = c.Advance(nil, []int64{13}, now.Add(time.Second))
	if c.Position != 15 || !slices.Equal(c.GapIDs(), []int64{12}) {
		t.Fatalf("cursor = %+v", c)
	}
	// 12 never comes: it is given up after EventGapTimeout.
	c = c.Advance([]int64{16}, nil, now.Add(EventGapTimeout))
	if c.Position != 16 || len(c.Gaps) != 0 {
		t.Fatalf("cursor = %+v", c)
	}
	// A huge hole is bounded.
	c = c.Advance([]int64{16 + 3*MaxEventGaps}, nil, now)
	if len(c.Gaps) != MaxEventGaps || c.Position != 16+3*MaxEventGaps {
		t.Fatalf("%d gaps, position %d", len(c.Gaps), c.Position)
	}
}

func TestEventGapsRoundTrip(t *testing.T) {
	seen := time.Date(2026, 1, 2, 3, 4, 5, 678000, time.UTC)
	gaps := []EventGap{{ID: 12, Seen: seen}, {ID: 15, Seen: seen.Add(time.Second)}}
	s, err := MarshalEventGaps(gaps)
	if err != nil || s != `[{"id":12,"seen":1767323045000678},{"id":15,"seen":1767323046000678}]` {
		t.Fatalf("marshal: %s, %v", s, err)
	}
	back, err := UnmarshalEventGaps(s)
	if err != nil || len(back) != 2 || back[0] != gaps[0] || back[1] != gaps[1] {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	if ids := EventIDs([]Event{{ID: 3}, {ID: 9}}); len(ids) != 2 || ids[0] != 3 || ids[1] != 9 {
		t.Errorf("EventIDs = %v", ids)
	}
}
