// Package hello greets people by name.
package hello

import (
	"net/http"

	"go-services/services/platform"
)

// Service describes the hello service to the platform.
func Service() platform.Service {
	return platform.Service{Name: "hello", Register: register}
}

func register(mux *http.ServeMux, deps platform.Deps) error {
	mux.Handle("GET /hello", greet(deps.Build.Version))
	return nil
}

// greeting is the answer of GET /hello.
type greeting struct {
	Message string `json:"message"`
	Version string `json:"version"`
}

// greet answers GET /hello?name=X with {"message":"hello, X","version":...}.
// Without a name parameter it greets "world"; an invalid name is a 400 that
// says what is allowed.
func greet(version string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, given, err := platform.QueryValue(r, "name")
		if err != nil {
			platform.WriteError(w, http.StatusBadRequest, err.Error())
			return
		}
		if !given {
			name = "world"
		}
		if err := validateName(name); err != nil {
			platform.WriteError(w, http.StatusBadRequest, err.Error())
			return
		}
		platform.WriteJSON(w, http.StatusOK, greeting{Message: "hello, " + name, Version: version})
	})
}
