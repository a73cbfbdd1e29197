package clientele

import "testing"

func TestPlanItemPage(t *testing.T) {
	// A batch of 10 items with the cursor at 6: 4 succeeded, 2 failed.
	const count, cursor, ok, bad = 10, 6, 4, 2
	for _, tc := range []struct {
		name string
		f    BatchItemFilter
		want ItemPage
	}{
		{"all", BatchItemFilter{}, ItemPage{Total: 10, AppliedTo: 6, PendingFrom: 6, PendingTo: 10}},
		{"page across the cursor", BatchItemFilter{Offset: 4, Limit: 4}, ItemPage{Total: 10, AppliedFrom: 4, AppliedTo: 6, PendingFrom: 6, PendingTo: 8}},
		{"page of applied only", BatchItemFilter{Limit: 3}, ItemPage{Total: 10, AppliedTo: 3, PendingFrom: 6, PendingTo: 3}},
		{"past the end", BatchItemFilter{Offset: 20, Limit: 5}, ItemPage{Total: 10, AppliedFrom: 10, AppliedTo: 6, PendingFrom: 10, PendingTo: 10}},
		{"pending", BatchItemFilter{Status: ItemPending, Offset: 1, Limit: 2}, ItemPage{Total: 4, PendingFrom: 7, PendingTo: 9}},
		{"failed", BatchItemFilter{Status: ItemFailed}, ItemPage{Total: 2, AppliedStatus: ItemFailed, AppliedTo: 2}},
		{"success paged", BatchItemFilter{Status: ItemSuccess, Offset: 3, Limit: 5}, ItemPage{Total: 4, AppliedStatus: ItemSuccess, AppliedFrom: 3, AppliedTo: 4}},
	} {
		got, err := PlanItemPage(tc.f, count, cursor, ok, bad)
		if err != nil || got != tc.want {
			t.Errorf("%s: got %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
	if _, err := PlanItemPage(BatchItemFilter{Status: "done"}, count, cursor, ok, bad); ErrorCode(err) != EINVALID {
		t.Errorf("unknown status: %v, want EINVALID", err)
	}
}
