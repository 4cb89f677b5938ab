package platformtest

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// CheckAnswer checks an answer a handler wrote to rec: the status, the JSON
// content type, and the body, less the newline that ends it. Handler tests
// use it; tests of the whole server use [GetJSON].
func CheckAnswer(t testing.TB, rec *httptest.ResponseRecorder, wantStatus int, wantBody string) {
	t.Helper()
	if rec.Code != wantStatus {
		t.Errorf("status %d, want %d", rec.Code, wantStatus)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if got := strings.TrimSuffix(rec.Body.String(), "\n"); got != wantBody {
		t.Errorf("body\n%s\nwant\n%s", got, wantBody)
	}
}
