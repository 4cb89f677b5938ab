package hello

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go-services/services/platform/platformtest"
)

func TestGreet(t *testing.T) {
	tests := []struct {
		name       string
		query      string
		wantStatus int
		wantBody   string
	}{
		{"name", "name=Ada", 200, `{"message":"hello, Ada","version":"v1.2.3"}`},
		{"no name greets the world", "", 200, `{"message":"hello, world","version":"v1.2.3"}`},
		{"other parameters are ignored", "lang=fr&name=Ada", 200, `{"message":"hello, Ada","version":"v1.2.3"}`},
		{"percent-encoded letters", "name=Zo%C3%AB+O%27Brien", 200, `{"message":"hello, Zoë O'Brien","version":"v1.2.3"}`},
		{"64 characters", "name=" + strings.Repeat("a", 64), 200, `{"message":"hello, ` + strings.Repeat("a", 64) + `","version":"v1.2.3"}`},
		{"empty name", "name=", 400, `{"error":"name is empty; give 1 to 64 characters, or leave out the parameter to greet \"world\""}`},
		{"65 characters", "name=" + strings.Repeat("a", 65), 400, `{"error":"name is 65 characters long; at most 64 are allowed"}`},
		{
			"markup", "name=%3Cb%3E", 400,
			`{"error":"name has '\u003c' at character 1; allowed are letters, digits, spaces, hyphens and apostrophes"}`,
		},
		{"invalid UTF-8", "name=%FF", 400, `{"error":"name is not valid UTF-8"}`},
		{"name twice", "name=a&name=b", 400, `{"error":"query parameter \"name\" is given 2 times; give it once"}`},
		{"malformed query", "name=%G1", 400, `{"error":"malformed query string: invalid URL escape \"%G1\""}`},
	}
	handler := greet("v1.2.3")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/hello?"+tt.query, nil))
			platformtest.CheckAnswer(t, rec, tt.wantStatus, tt.wantBody)
		})
	}
}
