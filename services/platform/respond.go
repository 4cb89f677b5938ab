package platform

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// WriteJSON answers with status and v encoded as JSON. A value that cannot be
// encoded is a programming error: WriteJSON panics, and the server's panic
// recovery answers 500 and logs the stack.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("platform.WriteJSON: cannot encode %T: %v", v, err))
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	// An error here means the client has gone; there is no one left to tell.
	_, _ = w.Write(append(body, '\n'))
}

// ErrorBody is the JSON body of every error answer: {"error":"..."}.
type ErrorBody struct {
	Error string `json:"error"`
}

// WriteError answers with status and {"error": message}. The message should say
// what was wrong with the request and what is allowed.
func WriteError(w http.ResponseWriter, status int, message string) {
	WriteJSON(w, status, ErrorBody{Error: message})
}
