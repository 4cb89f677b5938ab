// Command statusservice is a service for tests of what the platform observes,
// never deployed: GET /status/{code} answers with that status code, so that a
// test sends exactly the 2xx, 4xx and 5xx answers it wants to find in the
// metrics (test/observability). Everything else is the platform's, as in
// every service.
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"

	"go-services/services/platform"
)

func main() {
	if err := platform.Run(context.Background(), service(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func service() platform.Service {
	return platform.Service{
		Name: "statusservice",
		Register: func(mux *http.ServeMux, _ platform.Deps) error {
			mux.HandleFunc("GET /status/{code}", answerWithStatus)
			return nil
		},
	}
}

// answerWithStatus answers GET /status/{code} with code, 200 to 599.
func answerWithStatus(w http.ResponseWriter, r *http.Request) {
	code, err := strconv.Atoi(r.PathValue("code"))
	if err != nil || code < 200 || code > 599 {
		platform.WriteError(w, http.StatusBadRequest, fmt.Sprintf("status code %q is not an integer from 200 to 599", r.PathValue("code")))
		return
	}
	platform.WriteJSON(w, code, map[string]int{"status": code})
}
