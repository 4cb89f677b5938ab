package platform

import (
	"fmt"
	"net/http"
	"net/url"
)

// QueryValue returns the value of the query parameter name and whether it was
// given. A malformed query string or a parameter given more than once is an
// error whose message can be sent to the client as it is.
func QueryValue(r *http.Request, name string) (value string, given bool, err error) {
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return "", false, fmt.Errorf("malformed query string: %v", err)
	}
	values, given := query[name]
	switch {
	case !given:
		return "", false, nil
	case len(values) > 1:
		return "", true, fmt.Errorf("query parameter %q is given %d times; give it once", name, len(values))
	}
	return values[0], true, nil
}
