package quotes

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"go-services/services/platform/platformtest"
)

// testCatalog has three quotes; tag "b" is on the last two.
func testCatalog(t *testing.T) *catalog {
	t.Helper()
	c, err := parseCatalog([]byte(`[
		{"id": 1, "text": "one", "author": "A", "tags": ["a"]},
		{"id": 2, "text": "two", "author": "B", "tags": ["a", "b"]},
		{"id": 3, "text": "three", "author": "C", "tags": ["b"]}
	]`))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// lastIndex draws the last quote of any pool, so that tests know the answer.
func lastIndex(n int) int { return n - 1 }

func TestQuoteByID(t *testing.T) {
	tests := []struct {
		id         string
		wantStatus int
		wantBody   string
	}{
		{"2", 200, `{"id":2,"text":"two","author":"B","tags":["a","b"]}`},
		{"002", 200, `{"id":2,"text":"two","author":"B","tags":["a","b"]}`},
		{"4", 404, `{"error":"no quote has id 4"}`},
		{"2147483647", 404, `{"error":"no quote has id 2147483647"}`},
		{"0", 400, `{"error":"quote id \"0\" is not an integer from 1 to 2147483647"}`},
		{"-1", 400, `{"error":"quote id \"-1\" is not an integer from 1 to 2147483647"}`},
		{"+1", 400, `{"error":"quote id \"+1\" is not an integer from 1 to 2147483647"}`},
		{"1.0", 400, `{"error":"quote id \"1.0\" is not an integer from 1 to 2147483647"}`},
		{"2147483648", 400, `{"error":"quote id \"2147483648\" is not an integer from 1 to 2147483647"}`},
		{"one", 400, `{"error":"quote id \"one\" is not an integer from 1 to 2147483647"}`},
	}
	handler := quoteByID(testCatalog(t))
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/quotes/"+tt.id, nil)
			r.SetPathValue("id", tt.id)
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, r)
			platformtest.CheckAnswer(t, rec, tt.wantStatus, tt.wantBody)
		})
	}
}

func TestRandomQuote(t *testing.T) {
	tests := []struct {
		name       string
		query      string
		wantStatus int
		wantBody   string
	}{
		{"any quote", "", 200, `{"id":3,"text":"three","author":"C","tags":["b"]}`},
		{"quote with a tag", "tag=a", 200, `{"id":2,"text":"two","author":"B","tags":["a","b"]}`},
		{"other parameters are ignored", "x=1", 200, `{"id":3,"text":"three","author":"C","tags":["b"]}`},
		{"unknown tag", "tag=zzz", 404, `{"error":"no quote has tag \"zzz\""}`},
		{"empty tag", "tag=", 400, `{"error":"tag \"\" is not allowed; a tag is ` + tagRule + `"}`},
		{"upper-case tag", "tag=A", 400, `{"error":"tag \"A\" is not allowed; a tag is ` + tagRule + `"}`},
		{"tag twice", "tag=a&tag=b", 400, `{"error":"query parameter \"tag\" is given 2 times; give it once"}`},
		{"malformed query", "tag=%", 400, `{"error":"malformed query string: invalid URL escape \"%\""}`},
	}
	handler := randomQuote(testCatalog(t), lastIndex)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/quotes/random?"+tt.query, nil))
			platformtest.CheckAnswer(t, rec, tt.wantStatus, tt.wantBody)
			if cc := rec.Header().Get("Cache-Control"); rec.Code == http.StatusOK && cc != "no-store" {
				t.Errorf("Cache-Control %q on a random draw, want no-store", cc)
			}
		})
	}
}

func TestRandomQuoteDrawsFromTheWholePool(t *testing.T) {
	c := testCatalog(t)
	var pools []int
	spy := func(n int) int {
		pools = append(pools, n)
		return 0
	}
	handler := randomQuote(c, spy)
	for _, query := range []string{"", "tag=a", "tag=b"} {
		handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/quotes/random?"+query, nil))
	}
	if want := []int{3, 2, 2}; !slices.Equal(pools, want) {
		t.Errorf("drew from pools of %v, want %v", pools, want)
	}
}
