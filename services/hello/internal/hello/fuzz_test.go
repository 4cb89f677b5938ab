package hello

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzGreet sends any query string to GET /hello. Whatever it is, the answer
// is a JSON 200 greeting a name that passed validation, or a JSON 400 saying
// what was wrong.
func FuzzGreet(f *testing.F) {
	for _, seed := range []string{
		"", "name=Ada", "name=", "name", "name=Zo%C3%AB", "name=a&name=b", "name=%zz", "name=a;b",
		"name=%3Cscript%3E", "name=%FF%FE", "name=+Ada", "name=Ada%00", "name=" + strings.Repeat("%C3%A9", 65),
		"name=O%E2%80%99Brien", "name=%E2%80%8B", "lang=fr",
	} {
		f.Add(seed)
	}
	handler := greet("dev")
	f.Fuzz(func(t *testing.T, rawQuery string) {
		r := httptest.NewRequest(http.MethodGet, "/hello", nil)
		r.URL.RawQuery = rawQuery
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, r)

		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("query %q: Content-Type %q", rawQuery, ct)
		}
		switch rec.Code {
		case http.StatusOK:
			var got greeting
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("query %q: body %q is not a greeting: %v", rawQuery, rec.Body, err)
			}
			name, ok := strings.CutPrefix(got.Message, "hello, ")
			if !ok {
				t.Fatalf("query %q: message %q", rawQuery, got.Message)
			}
			checkGreetedName(t, rawQuery, name)
		case http.StatusBadRequest:
			var got struct{ Error string }
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.Error == "" {
				t.Fatalf("query %q: 400 without a JSON error: %q", rawQuery, rec.Body)
			}
		default:
			t.Fatalf("query %q: status %d, want 200 or 400", rawQuery, rec.Code)
		}
	})
}

// checkGreetedName checks, independently of validateName, that a greeted name
// is the one the query gave and is safe to show.
func checkGreetedName(t *testing.T, rawQuery, name string) {
	t.Helper()
	query, err := url.ParseQuery(rawQuery)
	if err != nil {
		t.Fatalf("query %q is malformed (%v) but was answered 200", rawQuery, err)
	}
	want := "world"
	if values, ok := query["name"]; ok {
		want = values[0]
	}
	if name != want {
		t.Fatalf("query %q: greeted %q, want %q", rawQuery, name, want)
	}
	if n := utf8.RuneCountInString(name); !utf8.ValidString(name) || n < 1 || n > maxNameLength {
		t.Fatalf("query %q: greeted %q, not 1 to %d characters of UTF-8", rawQuery, name, maxNameLength)
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.IsSymbol(r) || (unicode.IsPunct(r) && !strings.ContainsRune("-'’", r)) {
			t.Fatalf("query %q: greeted %q, which has %q", rawQuery, name, r)
		}
	}
}
