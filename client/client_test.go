package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/clientele/clientele/client"
)

// The client is exercised against the real server in internal/api's tests;
// these cover what a real server does not easily produce.

func TestBaseURLAndAuth(t *testing.T) {
	var gotPath, gotAuth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotAuth = r.URL.RequestURI(), r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"data":{"id":"b1","status":"pending","items":[]}}`))
	}))
	defer srv.Close()

	for _, base := range []string{srv.URL, srv.URL + "/", srv.URL + "/api/v3", srv.URL + "/api/v3/"} {
		c := client.New(base, "secret", client.WithHTTPClient(srv.Client()))
		b, err := c.Batch(t.Context(), "b1")
		if err != nil || b.ID != "b1" {
			t.Fatalf("%s: Batch = %+v, %v", base, b, err)
		}
		if gotPath != "/api/v3/batches/b1" || gotAuth != "Bearer secret" {
			t.Errorf("%s: request %s with %q", base, gotPath, gotAuth)
		}
		if err := c.Health(t.Context()); err != nil || gotPath != "/api/health" || gotAuth != "" {
			t.Errorf("%s: health %s with %q: %v", base, gotPath, gotAuth, err)
		}
	}
}

func TestErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v3/profiles/p422":
			w.WriteHeader(422)
			w.Write([]byte(`{"message":"The given data was invalid.","errors":{"email":["bad"]}}`))
		case "/api/v3/profiles/p502":
			w.WriteHeader(502)
			w.Write([]byte(`<html>bad gateway</html>`))
		default:
			w.WriteHeader(404)
			w.Write([]byte(`{"message":"Not Found."}`))
		}
	}))
	defer srv.Close()
	c := client.New(srv.URL, "t", client.WithHTTPClient(srv.Client()))

	_, err := c.Profile(t.Context(), "p422")
	var e *client.Error
	if !errors.As(err, &e) || !client.IsInvalid(err) || e.Errors["email"][0] != "bad" || e.Message != "The given data was invalid." {
		t.Errorf("422: %#v", err)
	}
	_, err = c.Profile(t.Context(), "p502")
	if client.StatusCode(err) != 502 || !errors.As(err, &e) || e.Message != "Bad Gateway" {
		t.Errorf("502: %#v", err)
	}
	if _, err := c.Profile(t.Context(), "x"); !client.IsNotFound(err) || err.Error() != "clientele: 404 Not Found." {
		t.Errorf("404: %v", err)
	}
	if client.IsNotFound(errors.New("other")) || client.StatusCode(nil) != 0 {
		t.Error("helpers must be false for non-client errors")
	}
}

func TestWaitBatchStopsWithContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"data":{"id":"b1","status":"processing","items":[]}}`))
	}))
	defer srv.Close()
	c := client.New(srv.URL, "t", client.WithHTTPClient(srv.Client()))
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.WaitBatch(ctx, "b1", time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitBatch = %v, want the context's error", err)
	}
}
