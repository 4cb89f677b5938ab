package main

import (
	"net/http"
	"slices"
	"testing"

	"go-services/services/platform"
	"go-services/services/platform/platformtest"
)

type quote struct {
	ID     int      `json:"id"`
	Text   string   `json:"text"`
	Author string   `json:"author"`
	Tags   []string `json:"tags"`
}

func TestRunServesQuotes(t *testing.T) {
	srv := platformtest.Start(t, run, nil)
	platformtest.CheckPlatformEndpoints(t, srv, "quotes")
	srv.WaitLog(t, "quote catalog loaded", "quotes", "12")

	if got := platformtest.GetJSON[quote](t, srv, "/quotes/7", http.StatusOK); got.Text != "Clear is better than clever." {
		t.Errorf("GET /quotes/7 = %+v", got)
	}
	if got := platformtest.GetJSON[quote](t, srv, "/quotes/random", http.StatusOK); got.ID < 1 || got.Text == "" {
		t.Errorf("GET /quotes/random = %+v", got)
	}
	if got := platformtest.GetJSON[quote](t, srv, "/quotes/random?tag=errors", http.StatusOK); !slices.Contains(got.Tags, "errors") {
		t.Errorf("GET /quotes/random?tag=errors = %+v", got)
	}
	for path, status := range map[string]int{"/quotes/x": http.StatusBadRequest, "/quotes/999": http.StatusNotFound} {
		if got := platformtest.GetJSON[platform.ErrorBody](t, srv, path, status); got.Error == "" {
			t.Errorf("GET %s: %d without an error message", path, status)
		}
	}
}
