package postgres

import (
	"testing"
	"time"

	"github.com/clientele/clientele"
)

// TestRouterSeesLateCommits: with several nodes, an event id is taken when
// a transaction inserts and becomes visible when it commits, so a smaller
// id can appear after a larger one was routed. The cursor remembers the
// id it passed and routes the event when it appears.
func TestRouterSeesLateCommits(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	insert := `INSERT INTO events (type, profile_id, version, created_at) VALUES ($1, $2, 1, $3) RETURNING id`

	slow, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Rollback(ctx)
	var lateID, earlyID int64
	if err := slow.QueryRow(ctx, insert, "profile.created", "late", now).Scan(&lateID); err != nil {
		t.Fatal(err)
	}
	if err := s.pool.QueryRow(ctx, insert, "profile.created", "early", now).Scan(&earlyID); err != nil {
		t.Fatal(err)
	}
	if earlyID <= lateID {
		t.Fatalf("ids %d, %d: the test needs the uncommitted one first", lateID, earlyID)
	}

	l, err := s.ClaimRouter(ctx, "router", now, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	page, err := s.NextEvents(ctx, l, 100, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 1 || page.Events[0].ID != earlyID || page.Next.Position != earlyID ||
		len(page.Next.Gaps) != 1 || page.Next.Gaps[0].ID != lateID {
		t.Fatalf("first read %+v", page)
	}
	if err := s.RouteEvents(ctx, l, page, nil, now, time.Minute); err != nil {
		t.Fatal(err)
	}

	if err := slow.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	page, err = s.NextEvents(ctx, l, 100, now.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 1 || page.Events[0].ID != lateID || page.Events[0].ProfileID != "late" ||
		len(page.Next.Gaps) != 0 || page.Next.Position != earlyID {
		t.Fatalf("after the late commit %+v", page)
	}
	if err := s.RouteEvents(ctx, l, page, nil, now, time.Minute); err != nil {
		t.Fatal(err)
	}
	page, err = s.NextEvents(ctx, l, 100, now.Add(2*time.Second))
	if err != nil || len(page.Events) != 0 {
		t.Fatalf("a third read found %+v, %v", page.Events, err)
	}

	// A rolled-back id is looked for until EventGapTimeout, then dropped.
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var lost int64
	if err := tx.QueryRow(ctx, insert, "profile.created", "lost", now).Scan(&lost); err != nil {
		t.Fatal(err)
	}
	tx.Rollback(ctx)
	if _, err := s.pool.Exec(ctx, insert, "profile.created", "after", now); err != nil {
		t.Fatal(err)
	}
	page, err = s.NextEvents(ctx, l, 100, now)
	if err != nil || len(page.Next.Gaps) != 1 || page.Next.Gaps[0].ID != lost {
		t.Fatalf("gap of the rolled-back id: %+v, %v", page.Next, err)
	}
	if err := s.RouteEvents(ctx, l, page, nil, now, time.Minute); err != nil {
		t.Fatal(err)
	}
	page, err = s.NextEvents(ctx, l, 100, now.Add(clientele.EventGapTimeout))
	if err != nil || len(page.Next.Gaps) != 0 || len(page.Events) != 0 {
		t.Fatalf("after the timeout: %+v, %v", page, err)
	}
}
