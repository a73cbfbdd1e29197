package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/clientele/clientele/internal/postgres"
	"github.com/clientele/clientele/internal/postgres/pgtest"
	"github.com/jackc/pgx/v5"
)

// These tests run several real `clientele serve` processes on one
// PostgreSQL schema (CLIENTELE_TEST_POSTGRES; skipped without it, failed
// without it in CI). Every item sets a first name no other item sets, so
// every item changes its profile: a profile's version counts the items
// applied to it, and the outbox holds one event per applied item. An item
// lost or applied twice shows in both.

// pgSchema returns a DSN on a new, migrated schema, and a connection to it
// for checking the tables directly.
func pgSchema(t *testing.T) (string, *pgx.Conn) {
	t.Helper()
	dsn := pgtest.Schema(t, pgtest.DSN(t))
	s, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return dsn, conn
}

// person is the item for person p, with a first name unique to the item.
func person(p int, first string) obj {
	return obj{"email": fmt.Sprintf("Person%04d@Example.com", p), "first_name": first,
		"mobile_phone": fmt.Sprintf("+61400%06d", p),
		"identities":   []any{obj{"handle": "shopify", "identifier": fmt.Sprintf("S%d", p)}}}
}

// checkExactlyOnce checks the tables after every batch completed: one
// profile per person, each key on one profile, each profile's version the
// number of items that named it, one profile event per item.
func checkExactlyOnce(t *testing.T, conn *pgx.Conn, named map[int]int, items int) {
	t.Helper()
	ctx := t.Context()
	var profiles, emails, identities, events int
	err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM profiles), (SELECT count(DISTINCT email) FROM profiles),
		(SELECT count(*) FROM identities),
		(SELECT count(*) FROM events WHERE type IN ('profile.created', 'profile.updated'))`).Scan(&profiles, &emails, &identities, &events)
	if err != nil {
		t.Fatal(err)
	}
	if profiles != len(named) || emails != len(named) || identities != len(named) {
		t.Errorf("%d profiles, %d emails, %d identities; want %d of each", profiles, emails, identities, len(named))
	}
	if events != items {
		t.Errorf("%d events, want one per item: %d", events, items)
	}
	rows, err := conn.Query(ctx, `SELECT email, version FROM profiles`)
	if err != nil {
		t.Fatal(err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct {
		Email   string
		Version int64
	}])
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range versions {
		var p int
		fmt.Sscanf(v.Email, "person%04d@example.com", &p)
		if v.Version != int64(named[p]) {
			t.Errorf("%s: version %d, want %d (the items that named it)", v.Email, v.Version, named[p])
		}
	}
}

// TestMultiNodeOverlappingBatches: three nodes, 50 batches posted to all of
// them at once, every batch naming people that other batches name too, by
// email or by identity (issue 3, requirements 3 and 5). Concurrent creates
// of one person on two nodes must end in one profile with one created item;
// no item may fail.
func TestMultiNodeOverlappingBatches(t *testing.T) {
	dsn, conn := pgSchema(t)
	nodes := []*node{startNodeDSN(t, dsn), startNodeDSN(t, dsn), startNodeDSN(t, dsn)}
	const batches, perBatch, people = 50, 100, 150
	rng := rand.New(rand.NewPCG(3, 4))
	named := map[int]int{}
	bodies := make([]obj, batches)
	for b := range bodies {
		match := "email"
		if b%4 == 3 {
			match = "shopify"
		}
		profiles := make([]any, perBatch)
		for i := range profiles {
			p := rng.IntN(people)
			named[p]++
			profiles[i] = person(p, fmt.Sprintf("B%dI%d", b, i))
		}
		bodies[b] = obj{"match_criteria": match, "profiles": profiles}
	}
	ids := make([]string, batches)
	var wg sync.WaitGroup
	for b := range bodies {
		wg.Go(func() { ids[b] = nodes[b%len(nodes)].submit(bodies[b]) })
	}
	wg.Wait()

	created := map[string]int{} // profile id -> created items
	for b, id := range ids {
		batch := nodes[(b+1)%len(nodes)].wait(id)
		if batch["failed_count"] != 0.0 || batch["unchanged_count"] != 0.0 || batch["processed_count"] != float64(perBatch) {
			t.Errorf("batch %d: %v processed, %v failed, %v unchanged", b, batch["processed_count"], batch["failed_count"], batch["unchanged_count"])
		}
		for i := range perBatch {
			it := item(batch, i)
			if it["outcome"] == "created" {
				created[it["entity_id"].(string)]++
			}
			if it["outcome"] == "failed" {
				t.Errorf("batch %d item %d failed: %v", b, i, it["errors"])
			}
		}
	}
	for id, n := range created {
		if n != 1 {
			t.Errorf("profile %s created by %d items", id, n)
		}
	}
	if len(created) != len(named) {
		t.Errorf("%d profiles created, want %d", len(created), len(named))
	}
	if total := nodes[0].listTotal(""); total != float64(len(named)) {
		t.Errorf("%v profiles listed, want %d", total, len(named))
	}
	checkExactlyOnce(t, conn, named, batches*perBatch)
}

// TestMultiNodeKillHoldingLeases: kill -9 a node while it holds leases in
// the middle of batches; the other nodes finish them once the leases
// expire (--lease-ttl 2s), and nothing is lost or applied twice (issue 3,
// requirement 4).
func TestMultiNodeKillHoldingLeases(t *testing.T) {
	dsn, conn := pgSchema(t)
	victim := startNodeDSN(t, dsn, "--max-batch-size", "10000", "--workers", "3")
	const batches, perBatch, people = 4, 4000, 3000
	named := map[int]int{}
	var ids []string
	for b := range batches {
		profiles := make([]any, perBatch)
		for i := range profiles {
			p := (i*7 + b*13) % people
			named[p]++
			profiles[i] = person(p, fmt.Sprintf("B%dI%d", b, i))
		}
		ids = append(ids, victim.submit(obj{"match_criteria": "email", "profiles": profiles}))
	}
	// The others start once the victim has claimed what it can, so that it
	// holds several leases when it dies.
	survivors := []*node{startNodeDSN(t, dsn, "--max-batch-size", "10000"), startNodeDSN(t, dsn, "--max-batch-size", "10000")}

	owner := "%/" + strconv.Itoa(victim.cmd.Process.Pid)
	var held []string
	deadline := time.Now().Add(30 * time.Second)
	for len(held) == 0 {
		rows, err := conn.Query(t.Context(), `SELECT id FROM batches WHERE lease_owner LIKE $1
			AND status = 'processing' AND cursor > 0 AND cursor < total_count`, owner)
		if err != nil {
			t.Fatal(err)
		}
		if held, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the victim never held a lease part-way through a batch")
		}
		time.Sleep(2 * time.Millisecond)
	}
	victim.kill()
	killed := time.Now()

	for _, id := range ids {
		b := survivors[0].wait(id)
		if b["processed_count"] != float64(perBatch) || b["failed_count"] != 0.0 || b["unchanged_count"] != 0.0 {
			t.Errorf("batch %s: %v processed, %v failed, %v unchanged", id, b["processed_count"], b["failed_count"], b["unchanged_count"])
		}
	}
	t.Logf("victim held %d leases part-way; all %d batches done %v after the kill", len(held), batches, time.Since(killed).Round(time.Millisecond))
	checkExactlyOnce(t, conn, named, batches*perBatch)
}
