package main

import (
	"bytes"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clientele/clientele/internal/api"
)

// TestServeLimitFlags: --queue-limit and --rate-limit, from flags or the
// environment, with their defaults and bounds.
func TestServeLimitFlags(t *testing.T) {
	cfg, err := parseServeFlags(nil, noEnv, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.queueLimit != api.DefaultQueueLimit || cfg.rateLimit != 0 {
		t.Errorf("defaults: queue limit %d, rate limit %v", cfg.queueLimit, cfg.rateLimit)
	}
	env := map[string]string{"CLIENTELE_QUEUE_LIMIT": "5000", "CLIENTELE_RATE_LIMIT": "2.5"}
	cfg, err = parseServeFlags(nil, func(k string) string { return env[k] }, &bytes.Buffer{})
	if err != nil || cfg.queueLimit != 5000 || cfg.rateLimit != 2.5 {
		t.Errorf("from the environment: %+v, %v", cfg, err)
	}
	for _, bad := range [][]string{{"--queue-limit", "-1"}, {"--rate-limit", "-1"}, {"--rate-limit", "NaN"}, {"--rate-limit", "Inf"}} {
		if _, err := parseServeFlags(bad, noEnv, &bytes.Buffer{}); err == nil {
			t.Errorf("%v: accepted", bad)
		}
	}
	// 0 means no limit on the command line, and no limit to the API.
	if apiQueueLimit(0) >= 0 || apiQueueLimit(7) != 7 {
		t.Errorf("apiQueueLimit(0) = %d, apiQueueLimit(7) = %d", apiQueueLimit(0), apiQueueLimit(7))
	}
}

// TestE2ERequestLimits: the real server refuses a header block over its
// limit (431) and a body over --max-body-bytes (413, JSON body), and stays
// up for the next request.
func TestE2ERequestLimits(t *testing.T) {
	n := startNode(t, filepath.Join(t.TempDir(), "c.db"), "--max-body-bytes", "4096")

	req, _ := http.NewRequest("GET", n.URL+"/api/v3/profiles", nil)
	req.Header.Set("Authorization", "Bearer "+n.Token)
	req.Header.Set("X-Padding", strings.Repeat("p", maxHeaderBytes+8192))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("oversized header block: %d, want 431", resp.StatusCode)
	}

	body := `{"match_criteria":"email","profiles":[{"email":"a@example.com","company":"` + strings.Repeat("x", 5000) + `"}]}`
	req, _ = http.NewRequest("POST", n.URL+"/api/v3/profiles/batch", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+n.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || string(raw) != `{"message":"Payload Too Large."}` {
		t.Errorf("oversized body: %d %s", resp.StatusCode, raw)
	}

	var out struct{ Status int }
	if code := n.do("GET", "/api/v3/auth/verify", nil, &out); code != 200 || out.Status != 200 {
		t.Errorf("verify after the refusals: %d %+v", code, out)
	}
}
