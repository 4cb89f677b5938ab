package quotes

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// FuzzQuoteByID sends any path segment as the id of GET /quotes/{id}. The
// answer is the quote of exactly that id, or a JSON 400 or 404.
func FuzzQuoteByID(f *testing.F) {
	for _, seed := range []string{"1", "12", "007", "0", "13", "-1", "+1", "1e3", "0x1", "2147483647", "2147483648",
		"99999999999999999999", "", " 1", "1 ", "１", "random", "%31"} {
		f.Add(seed)
	}
	c, err := parseCatalog(catalogJSON)
	if err != nil {
		f.Fatal(err)
	}
	handler := quoteByID(c)
	f.Fuzz(func(t *testing.T, id string) {
		r := httptest.NewRequest(http.MethodGet, "/quotes/x", nil)
		r.SetPathValue("id", id)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, r)

		switch rec.Code {
		case http.StatusOK:
			q := decodeQuote(t, rec)
			if want := strings.TrimLeft(id, "0"); strconv.Itoa(q.ID) != want {
				t.Fatalf("id %q answered with quote %d", id, q.ID)
			}
		case http.StatusBadRequest, http.StatusNotFound:
			decodeError(t, rec)
		default:
			t.Fatalf("id %q: status %d, want 200, 400 or 404", id, rec.Code)
		}
	})
}

// FuzzRandomQuote sends any query string to GET /quotes/random. The answer is
// a quote of the catalog, with the tag asked for if any, or a JSON 400 or 404.
func FuzzRandomQuote(f *testing.F) {
	for _, seed := range []string{"", "tag=go", "tag=errors", "tag=", "tag=Go", "tag=zzz", "tag=a&tag=b", "tag=%",
		"tag=a;b", "tag=" + strings.Repeat("a", 33), "tag=%E2%80%8B", "x=1&tag=design"} {
		f.Add(seed)
	}
	c, err := parseCatalog(catalogJSON)
	if err != nil {
		f.Fatal(err)
	}
	handler := randomQuote(c, func(n int) int { return n / 2 })
	f.Fuzz(func(t *testing.T, rawQuery string) {
		r := httptest.NewRequest(http.MethodGet, "/quotes/random", nil)
		r.URL.RawQuery = rawQuery
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, r)

		switch rec.Code {
		case http.StatusOK:
			q := decodeQuote(t, rec)
			if _, ok := c.byID[q.ID]; !ok {
				t.Fatalf("query %q answered with quote %d, not in the catalog", rawQuery, q.ID)
			}
			query, err := url.ParseQuery(rawQuery)
			if err != nil {
				t.Fatalf("query %q is malformed (%v) but was answered 200", rawQuery, err)
			}
			if tags, ok := query["tag"]; ok && !slices.Contains(q.Tags, tags[0]) {
				t.Fatalf("query %q answered with quote %d, tagged %v", rawQuery, q.ID, q.Tags)
			}
		case http.StatusBadRequest, http.StatusNotFound:
			decodeError(t, rec)
		default:
			t.Fatalf("query %q: status %d, want 200, 400 or 404", rawQuery, rec.Code)
		}
	})
}

func decodeQuote(t *testing.T, rec *httptest.ResponseRecorder) Quote {
	t.Helper()
	var q Quote
	if err := json.Unmarshal(rec.Body.Bytes(), &q); err != nil || q.Text == "" {
		t.Fatalf("200 with body %q, not a quote (%v)", rec.Body, err)
	}
	return q
}

func decodeError(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	var body struct{ Error string }
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error == "" {
		t.Fatalf("%d without a JSON error: %q", rec.Code, rec.Body)
	}
}
