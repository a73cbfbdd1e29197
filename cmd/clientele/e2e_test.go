package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// These tests drive the real binary over real HTTP on a real SQLite file.

type obj = map[string]any

// submit posts a batch and returns its id, failing unless the answer is 202.
func (n *node) submit(body obj) string {
	n.t.Helper()
	var out struct {
		Data struct {
			Message string `json:"message"`
			BatchID string `json:"batch_id"`
		} `json:"data"`
	}
	if code := n.do("POST", "/api/v3/profiles/batch.json", body, &out); code != 202 {
		n.t.Fatalf("submit: status %d", code)
	}
	if out.Data.Message != "Profiles queued for batch import." || out.Data.BatchID == "" {
		n.t.Fatalf("submit: %+v", out)
	}
	return out.Data.BatchID
}

// wait polls the batch until it is completed and returns it.
func (n *node) wait(id string) obj {
	n.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var out struct{ Data obj }
		if code := n.do("GET", "/api/v3/batches/"+id, nil, &out); code != 200 {
			n.t.Fatalf("batch %s: status %d", id, code)
		}
		if out.Data["status"] == "completed" {
			return out.Data
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("batch %s not completed: %v", id, out.Data["status"])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (n *node) profile(id string) obj {
	n.t.Helper()
	var out struct{ Data obj }
	if code := n.do("GET", "/api/v3/profiles/"+id, nil, &out); code != 200 {
		n.t.Fatalf("profile %s: status %d", id, code)
	}
	return out.Data
}

func (n *node) listTotal(query string) float64 {
	n.t.Helper()
	var out struct{ Meta obj }
	if code := n.do("GET", "/api/v3/profiles?"+query, nil, &out); code != 200 {
		n.t.Fatalf("list: status %d", code)
	}
	return out.Meta["total"].(float64)
}

func outcomes(b obj) []string {
	var o []string
	for _, it := range b["items"].([]any) {
		o = append(o, it.(obj)["outcome"].(string))
	}
	return o
}

func item(b obj, i int) obj { return b["items"].([]any)[i].(obj) }

// seedItem is the reference request of spec/seed-batch-profiles.txt with
// realistic values in every field.
func seedItem() obj {
	var v obj
	if err := json.Unmarshal([]byte(`{
		"first_name": "Jane", "last_name": "Smith", "email": "  JSmith@Example.com ",
		"title": "Ms", "gender": "Female", "currency": "aud", "profile_type": "temporary",
		"joined_at": "2023-11-07T05:31:56Z", "mobile_phone": "0404 123 123",
		"secondary_phone": "+61 2 9876 5432", "birth_day": 12, "birth_month": 3, "birth_year": 1990,
		"company": "Acme", "occupation": "Engineer", "avatar_url": "https://example.com/jane.png",
		"joined_location_id": 123, "joined_location_external_id": "loc-123", "joined_location_external_code": "SYD",
		"preferred_location_id": 124, "preferred_location_external_id": "loc-124", "preferred_location_external_code": "MEL",
		"tags": ["vip customer", "newsletter"],
		"identities": [{"handle": "shopify", "identifier": "shop-1001", "is_active": true}],
		"custom_attributes": [{"namespace": "locale", "handle": "language", "type": "string", "value": "EN"},
		                      {"namespace": "loyalty", "handle": "points", "type": "integer", "value": "42"}],
		"dates_attributes": [{"date": "2023-12-25", "name": "Anniversary", "handle": "anniversary",
			"is_recurring": true, "recurring_schedule": "Yearly", "meta": ["gift"], "note": "flowers",
			"description": "wedding", "relationship": "partner", "role": "spouse",
			"links": [{"profile_id": "p-1", "relationship": "partner", "role": "spouse"}]}],
		"statuses": ["gold"],
		"addresses": [{"address_line_1": "1 George St", "city": "Sydney", "postcode": "2000", "country": "AU",
			"address_line_2": "Level 2", "address_line_3": "Suite 3", "company": "Acme", "state": "NSW",
			"notes": "front desk", "is_default": true, "external_id": "home", "meta": ["x"],
			"iso": "AU", "iso_state": "NSW"}],
		"comms_attributes": {"sms_promo": true, "email_promo": true, "email_bounced": false, "email_benefits": true,
			"email_consent_updated_at": "2023-11-07T05:31:56Z", "sms_consent_updated_at": "2023-11-07T05:31:56Z"},
		"region_id": 7, "region": "apac", "region_country": "AU", "region_state": "NSW",
		"regions": [{"region_id": 7, "handle": "apac", "is_active": true, "country": "AU", "state": "NSW"}],
		"organisations": [{"id": 5, "role_definition_id": 2, "expires_at": "2027-11-07T05:31:56Z", "is_active": true}],
		"attributes": {"comms": {"email_consent_updated_at": "2023-11-07T05:31:56Z"}, "appearance": ["tall"]}
	}`), &v); err != nil {
		panic(err)
	}
	return v
}

func TestE2ESeedBatchRoundTripAndResubmit(t *testing.T) {
	n := startNode(t, filepath.Join(t.TempDir(), "c.db"))
	body := obj{"match_criteria": "email", "profiles": []any{seedItem()}}
	b := n.wait(n.submit(body))
	if got := outcomes(b); !reflect.DeepEqual(got, []string{"created"}) {
		t.Fatalf("outcomes %v, errors %v", got, item(b, 0)["errors"])
	}
	id := item(b, 0)["entity_id"].(string)
	p := n.profile(id)

	want := obj{
		"id": id, "external_id": nil, "title": "Ms", "first_name": "Jane", "last_name": "Smith",
		"full_name": "Jane Smith", "email": "jsmith@example.com", "gender": "female", "currency": "AUD",
		"joined_at": "2023-11-07 05:31:56", "mobile_phone": "+61404123123", "mobile_phone_country": 61.0,
		"mobile_phone_national": "404123123", "mobile_phone_national_prefix": "0404123123",
		"mobile_phone_e164": "+61404123123", "secondary_phone": "+61298765432",
		"birth_day": 12.0, "birth_month": 3.0, "birth_year": 1990.0, "birth_date": "1990-03-12",
		"company": "Acme", "occupation": "Engineer", "avatar_url": "https://example.com/jane.png",
		"is_completed": true, "joined_location_id": 123.0, "joined_location": nil,
		"preferred_location_id": 124.0, "preferred_location": nil, "custom_fields": obj{},
		"tier_handle": nil, "tier": nil, "profile_type": "temporary",
		"tags": []any{"vip-customer", "newsletter"}, "statuses": []any{"gold"}, "statuses_original": []any{"gold"},
		"custom_attributes": obj{"locale": obj{"language": "EN"}, "loyalty": obj{"points": 42.0}},
		"reward_balance":    0.0, "point_balance": 0.0, "point_balance_dollars": 0.0, "combined_balance_dollars": 0.0,
	}
	for k, v := range want {
		if !reflect.DeepEqual(p[k], v) {
			t.Errorf("%s = %#v, want %#v", k, p[k], v)
		}
	}
	for _, k := range []string{"next_birthday", "birth_days", "birth_days_past", "created_at", "updated_at"} {
		if p[k] == nil {
			t.Errorf("%s is null", k)
		}
	}
	ids := p["identities"].([]any)
	if len(ids) != 1 {
		t.Fatalf("identities %v", ids)
	}
	ident := ids[0].(obj)
	if ident["handle"] != "shopify" || ident["identifier"] != "shop-1001" || ident["is_active"] != true ||
		ident["is_primary"] != false || ident["profile_id"] != id || ident["id"] == nil {
		t.Errorf("identity %v", ident)
	}
	attrs := p["attributes"].(obj)
	comms := attrs["comms"].(obj)
	for k, v := range (obj{"sms_promo": true, "email_promo": true, "email_bounced": false, "email_benefits": true,
		"email_optout": false, "email_discover": nil, "email_verification": "not_sent", "profile_id": id,
		"email_consent_updated_at": "2023-11-07 05:31:56", "sms_consent_updated_at": "2023-11-07 05:31:56"}) {
		if !reflect.DeepEqual(comms[k], v) {
			t.Errorf("comms.%s = %#v, want %#v", k, comms[k], v)
		}
	}
	if app := attrs["appearance"].(obj); app["hair_colour"] != nil || app["profile_id"] != id {
		t.Errorf("appearance %v", app)
	}
	dates := attrs["dates"].([]any)
	if len(dates) != 1 {
		t.Fatalf("dates %v", dates)
	}
	d := dates[0].(obj)
	for k, v := range (obj{"date": "2023-12-25", "name": "Anniversary", "handle": "anniversary", "is_recurring": true,
		"recurring_schedule": "Yearly", "note": "flowers", "description": "wedding", "relationship": "partner",
		"role": "spouse", "meta": []any{"gift"}, "profile_id": id}) {
		if !reflect.DeepEqual(d[k], v) {
			t.Errorf("dates.0.%s = %#v, want %#v", k, d[k], v)
		}
	}
	if _, ok := d["id"].(float64); !ok {
		t.Errorf("date id %v is not a number", d["id"])
	}
	addrs := p["addresses"].([]any)
	if len(addrs) != 1 {
		t.Fatalf("addresses %v", addrs)
	}
	a := addrs[0].(obj)
	for k, v := range (obj{"address_line_1": "1 George St", "address_line_2": "Level 2", "address_line_3": "Suite 3",
		"city": "Sydney", "postcode": "2000", "country": "AU", "company": "Acme", "state": "NSW", "notes": "front desk",
		"is_default": true, "external_id": "home", "iso": "AU", "iso_state": "NSW", "meta": []any{"x"}}) {
		if !reflect.DeepEqual(a[k], v) {
			t.Errorf("addresses.0.%s = %#v, want %#v", k, a[k], v)
		}
	}
	if !reflect.DeepEqual(p["address"], a) {
		t.Errorf("address %v, want the default address %v", p["address"], a)
	}
	regions := p["regions"].([]any)
	if len(regions) != 1 || regions[0].(obj)["id"] != 7.0 || regions[0].(obj)["country"] != "AU" ||
		regions[0].(obj)["state"] != "NSW" || regions[0].(obj)["is_active"] != true {
		t.Errorf("regions %v", regions)
	}

	// The same batch again: one item, unchanged, no new profile, updated_at kept.
	b2 := n.wait(n.submit(body))
	if got := outcomes(b2); !reflect.DeepEqual(got, []string{"unchanged"}) {
		t.Fatalf("resubmit outcomes %v (errors %v)", got, item(b2, 0)["errors"])
	}
	if total := n.listTotal(""); total != 1 {
		t.Fatalf("%v profiles after resubmit, want 1", total)
	}
	if p2 := n.profile(id); p2["updated_at"] != p["updated_at"] {
		t.Errorf("updated_at moved on an unchanged resubmit: %v -> %v", p["updated_at"], p2["updated_at"])
	}

	// A change is an update of the same profile.
	changed := seedItem()
	changed["occupation"] = "Architect"
	b3 := n.wait(n.submit(obj{"match_criteria": "email", "profiles": []any{changed}}))
	if got := outcomes(b3); !reflect.DeepEqual(got, []string{"updated"}) || item(b3, 0)["entity_id"] != id {
		t.Fatalf("change: outcomes %v entity %v", got, item(b3, 0)["entity_id"])
	}
	if p3 := n.profile(id); p3["occupation"] != "Architect" {
		t.Errorf("occupation %v", p3["occupation"])
	}
}

func TestE2EMessyEmailsMatchOneProfile(t *testing.T) {
	n := startNode(t, filepath.Join(t.TempDir(), "c.db"))
	b := n.wait(n.submit(obj{"match_criteria": "email", "profiles": []any{
		obj{"email": "Ann.Lee@Example.COM", "first_name": "Ann"},
		obj{"email": "  ann.lee@example.com\t", "last_name": "Lee"},
		obj{"email": "ANN.LEE@EXAMPLE.COM", "last_name": "Lee"},
	}}))
	if got := outcomes(b); !reflect.DeepEqual(got, []string{"created", "updated", "unchanged"}) {
		t.Fatalf("outcomes %v", got)
	}
	if total := n.listTotal("filter[email]=ANN.LEE@example.com"); total != 1 {
		t.Fatalf("%v profiles, want 1", total)
	}
	if total := n.listTotal(""); total != 1 {
		t.Fatalf("%v profiles in all, want 1", total)
	}
}

func TestE2ERepeatedMatchKeyInOneBatch(t *testing.T) {
	n := startNode(t, filepath.Join(t.TempDir(), "c.db"))
	pos := func(first string) obj {
		return obj{"first_name": first, "identities": []any{obj{"handle": "pos", "identifier": "card-77"}}}
	}
	b := n.wait(n.submit(obj{"match_criteria": "pos", "profiles": []any{pos("One"), pos("Two"), pos("Two")}}))
	if got := outcomes(b); !reflect.DeepEqual(got, []string{"created", "updated", "unchanged"}) {
		t.Fatalf("outcomes %v", got)
	}
	id := item(b, 0)["entity_id"]
	for i := 1; i < 3; i++ {
		if item(b, i)["entity_id"] != id {
			t.Fatalf("item %d entity %v, want %v", i, item(b, i)["entity_id"], id)
		}
	}
	p := n.profile(id.(string))
	if p["first_name"] != "Two" || p["last_name"] != "Unknown" {
		t.Errorf("names %v %v", p["first_name"], p["last_name"])
	}
	if item(b, 0)["match_value"] != "card-77" {
		t.Errorf("match_value %v", item(b, 0)["match_value"])
	}
}

func TestE2EConflictingIdentityNamesItsOwner(t *testing.T) {
	n := startNode(t, filepath.Join(t.TempDir(), "c.db"))
	first := n.wait(n.submit(obj{"match_criteria": "email", "profiles": []any{
		obj{"email": "owner@example.com", "identities": []any{obj{"handle": "shopify", "identifier": "s-1"}}},
	}}))
	owner := item(first, 0)["entity_id"]
	b := n.wait(n.submit(obj{"match_criteria": "email", "profiles": []any{
		obj{"email": "other@example.com", "identities": []any{
			obj{"handle": "pos", "identifier": "p-1"}, obj{"handle": "shopify", "identifier": "s-1"}}},
	}}))
	it := item(b, 0)
	if it["outcome"] != "failed" || it["status"] != "failed" || it["conflict_profile_id"] != owner {
		t.Fatalf("item %v, want failed naming %v", it, owner)
	}
	wantErr := obj{"identities.1.identifier": []any{"The identifier has already been taken."}}
	if !reflect.DeepEqual(it["errors"], wantErr) || it["error"] != "The identifier has already been taken." {
		t.Errorf("errors %v / %v", it["errors"], it["error"])
	}
	if b["failed_count"] != 1.0 || b["success_count"] != 0.0 {
		t.Errorf("counts failed %v success %v", b["failed_count"], b["success_count"])
	}
	if total := n.listTotal(""); total != 1 {
		t.Errorf("%v profiles, want 1: a failed item creates nothing", total)
	}
}

// A batch that got 202 is finished after kill -9 and a restart, every item
// applied exactly once: each email appears in three batches with a
// different first name, so every item changes its profile, and a chunk
// applied twice would show in the counters (one create and two updates per
// person, processed == total). Batch order across a crash is not promised:
// the killed batch resumes when its lease expires, possibly after later
// batches, so the final name may be any round's.
func TestE2EKillMidBatchThenRestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "c.db")
	n := startNode(t, db, "--max-batch-size", "10000")
	const perBatch, people = 5000, 5000
	var ids []string
	for round := 1; round <= 3; round++ {
		profiles := make([]any, perBatch)
		for i := range profiles {
			profiles[i] = obj{"email": fmt.Sprintf("person%05d@example.com", i%people), "first_name": fmt.Sprintf("Round%d", round)}
		}
		ids = append(ids, n.submit(obj{"match_criteria": "email", "profiles": profiles}))
	}
	// Kill once the first batch is part-way.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var out struct{ Data obj }
		n.do("GET", "/api/v3/batches/"+ids[0], nil, &out)
		if p := out.Data["processed_count"].(float64); p > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("batch never started")
		}
		time.Sleep(2 * time.Millisecond)
	}
	n.kill()

	n2 := startNode(t, db, "--max-batch-size", "10000")
	var created, updated float64
	for _, id := range ids {
		b := n2.wait(id)
		if b["processed_count"] != float64(perBatch) || b["failed_count"] != 0.0 {
			t.Fatalf("batch %s: %v processed, %v failed", id, b["processed_count"], b["failed_count"])
		}
		created += b["created_count"].(float64)
		updated += b["updated_count"].(float64)
	}
	if created != people || updated != 2*people {
		t.Fatalf("created %v updated %v, want %d and %d", created, updated, people, 2*people)
	}
	if total := n2.listTotal(""); total != people {
		t.Fatalf("%v profiles, want %d", total, people)
	}
	for _, i := range []int{0, people / 2, people - 1} {
		var out struct{ Data []obj }
		n2.do("GET", fmt.Sprintf("/api/v3/profiles?filter[email]=person%05d@example.com", i), nil, &out)
		if len(out.Data) != 1 || !strings.HasPrefix(out.Data[0]["first_name"].(string), "Round") {
			t.Fatalf("person %d: %v", i, out.Data)
		}
	}
}
