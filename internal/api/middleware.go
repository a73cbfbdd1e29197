package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"runtime/debug"
	"strings"
	"time"

	"github.com/google/uuid"
)

// requestIDHeader carries the request id both ways: a caller (or a proxy)
// may send one to correlate logs across services, and every response
// returns the id that this server logged.
const requestIDHeader = "X-Request-Id"

type requestInfoKey struct{}

// requestInfo is what observe logs about a request beyond its line: it is
// shared through the context so that inner layers (authentication) can fill
// it in for the outer access log.
type requestInfo struct {
	id      string
	tokenID string
}

func infoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	return info
}

// requestID returns the id observe gave the request, "" outside a request.
func requestID(ctx context.Context) string {
	if info := infoFrom(ctx); info != nil {
		return info.id
	}
	return ""
}

// validRequestID accepts a caller's id only when it is short and plain, so
// that a header cannot inject text into log lines.
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range id {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.ContainsRune("-_.:", c):
		default:
			return false
		}
	}
	return true
}

// recorder remembers the status and size of a response for the access log,
// and whether anything was sent, so that a panic after the header went out
// does not try to write a second one.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (deadlines,
// flushing) through the recorder.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// observe gives every request an id, logs one access line per request,
// and turns a panic into a 500 with the standard body.
func (s *server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(requestIDHeader)
		if !validRequestID(id) {
			id = uuid.NewString()
		}
		w.Header().Set(requestIDHeader, id)
		info := &requestInfo{id: id}
		r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info))
		rec := &recorder{ResponseWriter: w}

		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					// The handler asked for the connection to be cut; let
					// net/http do that.
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "panic serving request",
					"request_id", id, "error", fmt.Sprint(v), "stack", string(debug.Stack()))
				if rec.status == 0 {
					writeJSON(rec, http.StatusInternalServerError, messageBody{msgServerError})
				}
			}
			attrs := []slog.Attr{
				slog.String("request_id", id),
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", rec.status),
				slog.Int("bytes", rec.bytes),
				slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
				slog.String("remote_addr", r.RemoteAddr),
			}
			if info.tokenID != "" {
				// The token's id, never its secret: who made the request.
				attrs = append(attrs, slog.String("token_id", info.tokenID))
			}
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "http request", attrs...)
		}()
		next.ServeHTTP(rec, r)
	})
}

// statusOnly is a ResponseWriter that keeps the header and status and drops
// the body: it captures what ServeMux's own 404 and 405 handlers decide
// while their text/plain bodies are thrown away.
type statusOnly struct {
	header http.Header
	status int
}

func (s *statusOnly) Header() http.Header         { return s.header }
func (s *statusOnly) Write(b []byte) (int, error) { return len(b), nil }
func (s *statusOnly) WriteHeader(status int)      { s.status = status }

// fallback serves what the route table does not: ServeMux answers unknown
// routes and wrong methods with text bodies, and non-canonical paths with a
// redirect, none of which an Omneo client expects. They get the JSON 404
// and 405 bodies of spec §2 instead (405 keeps its Allow header).
func (s *server) fallback(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !canonicalPath(r.URL.Path) {
			writeError(w, r, s.log, errNotFound)
			return
		}
		h, pattern := mux.Handler(r)
		if pattern != "" {
			// Serve through the mux again rather than h: only ServeHTTP
			// sets the request's path values ({id}).
			mux.ServeHTTP(w, r)
			return
		}
		so := &statusOnly{header: http.Header{}}
		h.ServeHTTP(so, r)
		if so.status == http.StatusMethodNotAllowed {
			if allow := so.header.Get("Allow"); allow != "" {
				w.Header().Set("Allow", allow)
			}
			writeError(w, r, s.log, errMethodNotAllowed)
			return
		}
		writeError(w, r, s.log, errNotFound)
	})
}

// canonicalPath reports whether ServeMux would serve p without redirecting
// (no "//", "." or ".." segments).
func canonicalPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c == p
}
