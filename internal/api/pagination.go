package api

import (
	"net/http"
	"net/url"
	"strconv"
)

// Page sizes (spec §1.2 DECISION): Laravel's default, and a maximum that
// larger requests are clamped to rather than rejected.
const (
	defaultPageSize = 15
	maxPageSize     = 100
	// onEachSide is Laravel's default window of page links around the
	// current page in meta.links.
	onEachSide = 3
)

// pageRequest is a validated page[number]/page[size].
type pageRequest struct {
	Number int
	Size   int
}

// offset is the index of the page's first row.
func (p pageRequest) offset() int { return (p.Number - 1) * p.Size }

// parsePage reads page[number] and page[size], or the legacy page and
// per_page the PHP SDK sends; the bracketed form wins when both are given.
func parsePage(q url.Values) (pageRequest, error) {
	p := pageRequest{Number: 1, Size: defaultPageSize}
	for _, f := range []struct {
		keys []string
		dst  *int
	}{
		{[]string{"page[number]", "page"}, &p.Number},
		{[]string{"page[size]", "per_page"}, &p.Size},
	} {
		for _, k := range f.keys {
			if !q.Has(k) {
				continue
			}
			n, err := strconv.Atoi(q.Get(k))
			// Laravel's validation keys use dots for brackets.
			key := map[string]string{"page[number]": "page.number", "page[size]": "page.size"}[k]
			if key == "" {
				key = k
			}
			if err != nil {
				return p, invalid(key, "The "+key+" field must be an integer.")
			}
			if n < 1 {
				return p, invalid(key, "The "+key+" field must be at least 1.")
			}
			*f.dst = n
			break
		}
	}
	p.Size = min(p.Size, maxPageSize)
	return p, nil
}

// paginated is Laravel's length-aware paginator envelope (spec §1.2).
type paginated struct {
	Data  any       `json:"data"`
	Links pageLinks `json:"links"`
	Meta  pageMeta  `json:"meta"`
}

type pageLinks struct {
	First string  `json:"first"`
	Last  string  `json:"last"`
	Prev  *string `json:"prev"`
	Next  *string `json:"next"`
}

// pageMeta keeps Laravel's key order.
type pageMeta struct {
	CurrentPage int        `json:"current_page"`
	From        *int       `json:"from"`
	LastPage    int        `json:"last_page"`
	Links       []metaLink `json:"links"`
	Path        string     `json:"path"`
	PerPage     int        `json:"per_page"`
	To          *int       `json:"to"`
	Total       int        `json:"total"`
}

type metaLink struct {
	URL    *string `json:"url"`
	Label  string  `json:"label"`
	Active bool    `json:"active"`
}

// newPage builds the envelope for one page holding count rows of total.
// data must encode as an array (a nil slice would encode as null).
func newPage(r *http.Request, p pageRequest, total, count int, data any) paginated {
	base := requestBase(r)
	q := r.URL.Query()
	// Links speak page[number] whichever spelling came in; every other
	// parameter (filters, page[size], per_page) is kept.
	q.Del("page")
	pageURL := func(n int) string {
		q.Set("page[number]", strconv.Itoa(n))
		return base + "?" + q.Encode()
	}
	last := max((total+p.Size-1)/p.Size, 1)

	m := pageMeta{CurrentPage: p.Number, LastPage: last, Path: base, PerPage: p.Size, Total: total}
	if count > 0 {
		from, to := p.offset()+1, p.offset()+count
		m.From, m.To = &from, &to
	}
	l := pageLinks{First: pageURL(1), Last: pageURL(last)}
	if p.Number > 1 {
		u := pageURL(p.Number - 1)
		l.Prev = &u
	}
	if p.Number < last {
		u := pageURL(p.Number + 1)
		l.Next = &u
	}

	m.Links = append(m.Links, metaLink{URL: l.Prev, Label: "&laquo; Previous"})
	for _, n := range pageWindow(p.Number, last) {
		if n == 0 {
			m.Links = append(m.Links, metaLink{Label: "..."})
			continue
		}
		u := pageURL(n)
		m.Links = append(m.Links, metaLink{URL: &u, Label: strconv.Itoa(n), Active: n == p.Number})
	}
	m.Links = append(m.Links, metaLink{URL: l.Next, Label: "Next &raquo;"})
	return paginated{Data: data, Links: l, Meta: m}
}

// pageWindow lists the page numbers Laravel's UrlWindow shows, with 0 for
// each "..." separator: every page when there are few, else the start, a
// window around the current page, and the end.
func pageWindow(current, last int) []int {
	rng := func(a, b int) []int {
		var out []int
		for i := max(a, 1); i <= min(b, last); i++ {
			out = append(out, i)
		}
		return out
	}
	if last < onEachSide*2+8 {
		return rng(1, last)
	}
	window := onEachSide + 4
	var out []int
	switch {
	case current <= window:
		out = append(rng(1, window+onEachSide), 0)
		out = append(out, rng(last-1, last)...)
	case current > last-window:
		out = append(rng(1, 2), 0)
		out = append(out, rng(last-(window+onEachSide-1), last)...)
	default:
		out = append(rng(1, 2), 0)
		out = append(out, rng(current-onEachSide, current+onEachSide)...)
		out = append(out, 0)
		out = append(out, rng(last-1, last)...)
	}
	return out
}

// requestBase is the absolute URL of the request without its query, as
// Laravel's meta.path. Behind a TLS-terminating proxy X-Forwarded-Proto
// tells the scheme the client used.
func requestBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	u := url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path}
	return u.String()
}
