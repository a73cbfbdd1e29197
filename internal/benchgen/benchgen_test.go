package benchgen

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/sqlite"
)

// TestProfiles checks what the benchmarks rely on: every profile is a
// valid batch item with AU numbers, about 0.9 KB, the same for
// the same arguments, and another revision keeps its keys but changes it.
func TestProfiles(t *testing.T) {
	g := Generator{Seed: 1, National: true}
	total := 0
	const n = 3000
	for i := range n {
		raw := g.AppendProfile(nil, i, 0)
		total += len(raw)
		if !bytes.Equal(raw, g.AppendProfile(nil, i, 0)) {
			t.Fatalf("profile %d differs between calls", i)
		}
		k0 := keys(t, raw)
		next := g.AppendProfile(nil, i, 1)
		if bytes.Equal(raw, next) {
			t.Fatalf("profile %d: revision 1 equals revision 0", i)
		}
		if k1 := keys(t, next); k1 != k0 {
			t.Fatalf("profile %d: keys moved between revisions: %q, %q", i, k0, k1)
		}
	}
	if avg := total / n; avg < 700 || avg > 1100 {
		t.Errorf("average profile is %d bytes, want about 900", avg)
	}
	var body struct{ Profiles []json.RawMessage }
	if err := json.Unmarshal(g.AppendBatch(nil, []Item{{1, 0}, {2, 3}}), &body); err != nil || len(body.Profiles) != 2 {
		t.Fatalf("batch: %v, %d profiles", err, len(body.Profiles))
	}
}

// keys validates and normalises raw and returns its match and unique keys.
func keys(t *testing.T, raw []byte) string {
	t.Helper()
	in, err := clientele.DecodeProfileInput(raw)
	if err != nil {
		t.Fatalf("%v in %s", err, raw)
	}
	if errs := clientele.ValidateProfileInput(in, clientele.ModeBatchItem); errs != nil {
		t.Fatalf("%v in %s", errs, raw)
	}
	if errs := clientele.NormalizeInput(in, "AU"); errs != nil {
		t.Fatalf("%v in %s", errs, raw)
	}
	k := clientele.MatchValue(clientele.MatchEmail, in)
	return k + " " + in.MobilePhone.V
}

// TestStageChunk applies a staged chunk of new profiles, then the same
// profiles in the next revision, and checks the outcomes.
func TestStageChunk(t *testing.T) {
	ctx := t.Context()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	g := Generator{Seed: 1, National: true}
	for rev, want := range []string{clientele.OutcomeCreated, clientele.OutcomeUpdated} {
		var raw [][]byte
		for i := range 50 {
			raw = append(raw, g.AppendProfile(nil, i, rev))
		}
		l, c, err := StageChunk(ctx, s, raw, "AU", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ApplyChunk(ctx, l, c, time.Minute); err != nil {
			t.Fatal(err)
		}
		b, err := s.Batch(ctx, l.BatchID)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{clientele.OutcomeCreated: b.CreatedCount, clientele.OutcomeUpdated: b.UpdatedCount}
		if got[want] != 50 || b.Status != clientele.BatchCompleted {
			t.Fatalf("revision %d: %+v, want 50 %s", rev, b, want)
		}
	}
}
