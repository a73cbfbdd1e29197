// Package client is a Go client for clientele's HTTP API (the Omneo API v3
// profiles surface). It is used by the clientele CLI and by end-to-end
// tests, and works against any server that speaks the same contract.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client calls one clientele server with one token. It is safe for
// concurrent use.
type Client struct {
	base  string // server root, without /api/v3
	token string
	http  *http.Client
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the Client send its requests through h (timeouts,
// transports, test servers). The default is http.DefaultClient.
func WithHTTPClient(h *http.Client) Option {
	return func(c *Client) { c.http = h }
}

// New returns a client for the server at baseURL (e.g.
// "http://localhost:8080"). A base URL ending in /api/v3, as Omneo SDKs are
// configured, is accepted too. token is the bearer secret.
func New(baseURL, token string, opts ...Option) *Client {
	base := strings.TrimRight(baseURL, "/")
	base = strings.TrimSuffix(base, "/api/v3")
	c := &Client{base: base, token: token, http: http.DefaultClient}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Health checks GET /api/health.
func (c *Client) Health(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/api/health", nil, nil, nil)
}

// BatchRequest is the body of POST /profiles/batch. Profiles are encoded
// as given: maps, structs or json.RawMessage.
type BatchRequest struct {
	MatchCriteria string `json:"match_criteria"`
	Profiles      []any  `json:"profiles"`
	ImportJobID   *int64 `json:"import_job_id,omitempty"`
}

// SubmitBatch queues a batch of profiles and returns its id. The batch is
// applied asynchronously: poll it with Batch or WaitBatch.
func (c *Client) SubmitBatch(ctx context.Context, req BatchRequest) (string, error) {
	var out struct {
		Data struct {
			Message string `json:"message"`
			BatchID string `json:"batch_id"`
		} `json:"data"`
	}
	if err := c.do(ctx, http.MethodPost, "/api/v3/profiles/batch", nil, req, &out); err != nil {
		return "", err
	}
	return out.Data.BatchID, nil
}

// Batch returns a batch with all its items.
func (c *Client) Batch(ctx context.Context, id string) (*Batch, error) {
	var out struct {
		Data Batch `json:"data"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v3/batches/"+url.PathEscape(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out.Data, nil
}

// ItemsQuery selects a page of a batch's items. Zero values mean "not
// sent": all statuses, page 1, the server's default size.
type ItemsQuery struct {
	Status string // pending, success or failed
	Page   int
	Size   int
}

// BatchItems returns one page of a batch's items.
func (c *Client) BatchItems(ctx context.Context, id string, q ItemsQuery) (*ItemsPage, error) {
	v := url.Values{}
	if q.Status != "" {
		v.Set("filter[status]", q.Status)
	}
	setPage(v, q.Page, q.Size)
	var out ItemsPage
	if err := c.do(ctx, http.MethodGet, "/api/v3/batches/"+url.PathEscape(id)+"/items", v, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// WaitBatch polls a batch every poll (default one second) until it is
// completed or failed, and returns it; it stops early when ctx ends.
func (c *Client) WaitBatch(ctx context.Context, id string, poll time.Duration) (*Batch, error) {
	if poll <= 0 {
		poll = time.Second
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		b, err := c.Batch(ctx, id)
		if err != nil {
			return nil, err
		}
		if b.Status == StatusCompleted || b.Status == StatusFailed {
			return b, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// Profile returns one profile by id.
func (c *Client) Profile(ctx context.Context, id string) (*Profile, error) {
	var out struct {
		Data Profile `json:"data"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v3/profiles/"+url.PathEscape(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out.Data, nil
}

// ProfilesQuery selects a page of profiles. Empty fields are not sent.
// ProfileType may be a comma-separated list; Sort is "field[,-field]".
type ProfilesQuery struct {
	Email       string
	FirstName   string
	LastName    string
	ProfileType string
	Search      string
	Sort        string
	Page        int
	Size        int
}

// ListProfiles returns one page of profiles.
func (c *Client) ListProfiles(ctx context.Context, q ProfilesQuery) (*ProfilesPage, error) {
	v := url.Values{}
	for k, s := range map[string]string{
		"filter[email]":        q.Email,
		"filter[first_name]":   q.FirstName,
		"filter[last_name]":    q.LastName,
		"filter[profile_type]": q.ProfileType,
		"filter[search]":       q.Search,
		"sort":                 q.Sort,
	} {
		if s != "" {
			v.Set(k, s)
		}
	}
	setPage(v, q.Page, q.Size)
	var out ProfilesPage
	if err := c.do(ctx, http.MethodGet, "/api/v3/profiles", v, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func setPage(v url.Values, page, size int) {
	if page > 0 {
		v.Set("page[number]", strconv.Itoa(page))
	}
	if size > 0 {
		v.Set("page[size]", strconv.Itoa(size))
	}
}

// maxErrorBody bounds how much of an error response is read: error bodies
// are small, and a misbehaving proxy's HTML page need not be kept whole.
const maxErrorBody = 1 << 20

// do sends one request and decodes a 2xx body into out (when not nil); any
// other status becomes an *Error.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("client: encoding request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" && strings.HasPrefix(path, "/api/v3/") {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return decodeError(resp)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("client: %s %s: decoding response: %w", method, path, err)
	}
	return nil
}
