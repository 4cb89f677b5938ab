package platform_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go-services/services/platform"
)

func TestWriteJSON(t *testing.T) {
	rec := httptest.NewRecorder()
	platform.WriteJSON(rec, http.StatusTeapot, map[string]int{"n": 1})

	if rec.Code != http.StatusTeapot {
		t.Errorf("status %d, want 418", rec.Code)
	}
	for header, want := range map[string]string{"Content-Type": "application/json", "X-Content-Type-Options": "nosniff"} {
		if got := rec.Header().Get(header); got != want {
			t.Errorf("%s %q, want %q", header, got, want)
		}
	}
	if got := rec.Body.String(); got != `{"n":1}`+"\n" {
		t.Errorf("body %q", got)
	}
}

func TestWriteError(t *testing.T) {
	rec := httptest.NewRecorder()
	platform.WriteError(rec, http.StatusBadRequest, `name "<" is not allowed`)
	if got, want := rec.Body.String(), `{"error":"name \"\u003c\" is not allowed"}`+"\n"; got != want {
		t.Errorf("body %s, want %s", got, want)
	}
}

func TestWriteJSONPanicsOnValuesJSONCannotEncode(t *testing.T) {
	defer func() {
		if p, _ := recover().(string); !strings.Contains(p, "cannot encode chan int") {
			t.Errorf("panic %q, want one naming the type", p)
		}
	}()
	platform.WriteJSON(httptest.NewRecorder(), http.StatusOK, make(chan int))
}
