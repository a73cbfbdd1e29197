package api

import "testing"

func TestCanonicalPath(t *testing.T) {
	for p, want := range map[string]bool{
		"/api/v3/profiles": true, "/api/v3/profiles/": true, "/": true,
		"/api//v3": false, "/api/./v3": false, "/api/v3/..": false, "": false,
	} {
		if got := canonicalPath(p); got != want {
			t.Errorf("canonicalPath(%q) = %v, want %v", p, got, want)
		}
	}
}
