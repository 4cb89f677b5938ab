package platform_test

import (
	"net/http/httptest"
	"testing"

	"go-services/services/platform"
)

func TestQueryValue(t *testing.T) {
	tests := []struct {
		query     string
		wantValue string
		wantGiven bool
		wantErr   string
	}{
		{query: "", wantGiven: false},
		{query: "other=1", wantGiven: false},
		{query: "name=Ada", wantValue: "Ada", wantGiven: true},
		{query: "name=", wantValue: "", wantGiven: true},
		{query: "name", wantValue: "", wantGiven: true},
		{query: "name=Zo%C3%AB+K", wantValue: "Zoë K", wantGiven: true},
		{query: "name=a&name=b", wantGiven: true, wantErr: `query parameter "name" is given 2 times; give it once`},
		{query: "name=%zz", wantErr: `malformed query string: invalid URL escape "%zz"`},
		{query: "name=a;b", wantErr: "malformed query string: invalid semicolon separator in query"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.URL.RawQuery = tt.query
			value, given, err := platform.QueryValue(r, "name")
			if gotErr := errorString(err); gotErr != tt.wantErr {
				t.Fatalf("error %q, want %q", gotErr, tt.wantErr)
			}
			if value != tt.wantValue || given != tt.wantGiven {
				t.Errorf("QueryValue = %q, %t; want %q, %t", value, given, tt.wantValue, tt.wantGiven)
			}
		})
	}
}

func errorString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
