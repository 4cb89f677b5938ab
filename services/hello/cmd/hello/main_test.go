package main

import (
	"net/http"
	"testing"

	"go-services/services/platform"
	"go-services/services/platform/platformtest"
)

func TestRunServesHello(t *testing.T) {
	srv := platformtest.Start(t, run, nil)
	platformtest.CheckPlatformEndpoints(t, srv, "hello")

	type greeting struct {
		Message string `json:"message"`
		Version string `json:"version"`
	}
	want := greeting{Message: "hello, Gopher", Version: "dev"}
	if got := platformtest.GetJSON[greeting](t, srv, "/hello?name=Gopher", http.StatusOK); got != want {
		t.Errorf("GET /hello?name=Gopher = %+v, want %+v", got, want)
	}
	if got := platformtest.GetJSON[platform.ErrorBody](t, srv, "/hello?name=%3F", http.StatusBadRequest); got.Error == "" {
		t.Error("GET /hello?name=%3F: 400 without an error message")
	}
	srv.WaitLog(t, "request", "path", "/hello", "status", "400")
}
