package storetest

import (
	"encoding/json"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/clientele/clientele"
	"github.com/google/uuid"
)

// benchItem is a realistic batch item: 1–3 identities, five custom
// attributes, an address, tags and comms. rev changes what an update
// sends, so that a matched item is an update, not unchanged.
func benchItem(i, rev int) string {
	ids := fmt.Sprintf(`{"handle":"shopify","identifier":"S%d","is_primary":true}`, i)
	if i%3 > 0 {
		ids += fmt.Sprintf(`,{"handle":"pos","identifier":"P%d"}`, i)
	}
	if i%3 == 2 {
		ids += fmt.Sprintf(`,{"handle":"loyalty","identifier":"L%d"}`, i)
	}
	return fmt.Sprintf(`{"email":"Customer.%d@Bench.example","first_name":"First%d","last_name":"Last%d",
		"gender":"female","mobile_phone":"+614%08d","birth_day":%d,"birth_month":%d,"birth_year":%d,
		"tags":["vip customer","rev-%d"],"identities":[%s],
		"custom_attributes":[
			{"namespace":"locale","handle":"language","type":"string","value":"EN"},
			{"namespace":"prefs","handle":"score","type":"integer","value":%d},
			{"namespace":"prefs","handle":"newsletter","type":"boolean","value":true},
			{"namespace":"prefs","handle":"segment","type":"string","value":"seg-%d"},
			{"namespace":"crm","handle":"profile","type":"json","value":{"tier":"gold","since":2019}}],
		"addresses":[{"address_line_1":"%d George St","city":"Sydney","state":"NSW","postcode":"2000",
			"country":"AU","external_id":"home","is_default":true}],
		"comms_attributes":{"email_promo":true,"sms_optout":false}}`,
		i, i, i, i, i%28+1, i%12+1, 1950+i%50, rev, ids, i%100+rev, i%7, i%200+1)
}

// benchChunk stores a batch of items i0…i0+ChunkSize-1, claims it and
// prepares its one chunk as the worker would.
func benchChunk(b *testing.B, s clientele.Store, i0, rev int) (clientele.Lease, clientele.Chunk) {
	b.Helper()
	ctx := b.Context()
	items := clientele.NewBatchItems{}
	for i := i0; i < i0+clientele.ChunkSize; i++ {
		raw := benchItem(i, rev)
		in, err := clientele.DecodeProfileInput([]byte(raw))
		if err != nil {
			b.Fatal(err)
		}
		items.Raw = append(items.Raw, json.RawMessage(raw))
		items.MatchValues = append(items.MatchValues, clientele.MatchValue(clientele.MatchEmail, in))
	}
	now := time.Now().UTC()
	batch := clientele.Batch{ID: uuid.NewString(), MatchCriteria: clientele.MatchEmail, CreatedAt: now, UpdatedAt: now}
	if _, err := s.CreateBatch(ctx, batch, items, clientele.Idempotency{}); err != nil {
		b.Fatal(err)
	}
	l, err := s.ClaimBatch(ctx, "bench", now, time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	raw, err := s.LeasedItems(ctx, l, 0)
	if err != nil {
		b.Fatal(err)
	}
	c := clientele.Chunk{From: 0, Now: now}
	for _, r := range raw {
		in, err := clientele.DecodeProfileInput(r.JSON)
		if err != nil {
			b.Fatal(err)
		}
		it := clientele.ChunkItem{Index: r.Index, Input: in}
		if errs := clientele.ValidateProfileInput(in, clientele.ModeBatchItem); len(errs) > 0 {
			b.Fatalf("item %d: %v", r.Index, errs)
		}
		if errs := clientele.NormalizeInput(in, "AU"); len(errs) > 0 {
			b.Fatalf("item %d: %v", r.Index, errs)
		}
		c.Items = append(c.Items, it)
	}
	return l, c
}

// benchApply applies c. It leaves the timer as it finds it.
func benchApply(b *testing.B, s clientele.Store, l clientele.Lease, c clientele.Chunk) {
	b.Helper()
	if _, err := s.ApplyChunk(b.Context(), l, c, time.Minute); err != nil {
		b.Fatal(err)
	}
}

// benchCheck fails unless every item of the lease's batch had outcome want.
func benchCheck(b *testing.B, s clientele.Store, l clientele.Lease, want string) {
	b.Helper()
	bt, err := s.Batch(b.Context(), l.BatchID)
	if err != nil {
		b.Fatal(err)
	}
	got := map[string]int{clientele.OutcomeCreated: bt.CreatedCount, clientele.OutcomeUpdated: bt.UpdatedCount}
	if got[want] != clientele.ChunkSize || bt.FailedCount != 0 || bt.Status != clientele.BatchCompleted {
		b.Fatalf("batch %+v: want %d %s", bt, clientele.ChunkSize, want)
	}
}

// BenchApplyChunk measures ApplyChunk alone (the worker's decode and
// phone parsing are outside the timer) on chunks of ChunkSize profiles:
// "new" creates every profile, "matched" updates existing ones, matched by
// email. Every store runs this same benchmark, item for item, so that
// their figures compare.
func BenchApplyChunk(b *testing.B, newStore func(b *testing.B) clientele.Store) {
	b.Run("new", func(b *testing.B) {
		s := newStore(b)
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			l, c := benchChunk(b, s, i*clientele.ChunkSize, 0)
			runtime.GC() // the setup's garbage is not ApplyChunk's cost
			b.StartTimer()
			benchApply(b, s, l, c)
			b.StopTimer()
			benchCheck(b, s, l, clientele.OutcomeCreated)
			b.StartTimer()
		}
		b.ReportMetric(float64(b.N*clientele.ChunkSize)/b.Elapsed().Seconds(), "profiles/s")
	})
	b.Run("matched", func(b *testing.B) {
		s := newStore(b)
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			l, c := benchChunk(b, s, i*clientele.ChunkSize, 0)
			benchApply(b, s, l, c)
			benchCheck(b, s, l, clientele.OutcomeCreated)
			l, c = benchChunk(b, s, i*clientele.ChunkSize, 1)
			runtime.GC()
			b.StartTimer()
			benchApply(b, s, l, c)
			b.StopTimer()
			benchCheck(b, s, l, clientele.OutcomeUpdated)
			b.StartTimer()
		}
		b.ReportMetric(float64(b.N*clientele.ChunkSize)/b.Elapsed().Seconds(), "profiles/s")
	})
}
