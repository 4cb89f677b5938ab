// Package quotes serves quotes about programming from a catalog compiled into
// the binary.
package quotes

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"

	"go-services/services/platform"
)

// Service describes the quotes service to the platform.
func Service() platform.Service {
	return platform.Service{Name: "quotes", Register: register}
}

func register(mux *http.ServeMux, deps platform.Deps) error {
	c, err := parseCatalog(catalogJSON)
	if err != nil {
		return err
	}
	deps.Logger.Info("quote catalog loaded", "quotes", len(c.all), "tags", len(c.byTag))
	mux.Handle("GET /quotes/random", randomQuote(c, rand.IntN))
	mux.Handle("GET /quotes/{id}", quoteByID(c))
	return nil
}

// quoteByID answers GET /quotes/{id} with the quote of that id.
func quoteByID(c *catalog) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw := r.PathValue("id")
		id, err := strconv.ParseUint(raw, 10, 31)
		if err != nil || id == 0 {
			platform.WriteError(w, http.StatusBadRequest,
				fmt.Sprintf("quote id %q is not an integer from 1 to %d", raw, maxID))
			return
		}
		q, ok := c.byID[int(id)]
		if !ok {
			platform.WriteError(w, http.StatusNotFound, fmt.Sprintf("no quote has id %d", id))
			return
		}
		platform.WriteJSON(w, http.StatusOK, q)
	})
}

// randomQuote answers GET /quotes/random[?tag=T] with a quote drawn by intN,
// among those with tag T when a tag is given.
func randomQuote(c *catalog, intN func(n int) int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tag, given, err := platform.QueryValue(r, "tag")
		if err != nil {
			platform.WriteError(w, http.StatusBadRequest, err.Error())
			return
		}
		pool := c.all
		if given {
			if !validTag(tag) {
				platform.WriteError(w, http.StatusBadRequest, fmt.Sprintf("tag %q is not allowed; a tag is %s", tag, tagRule))
				return
			}
			if pool = c.byTag[tag]; len(pool) == 0 {
				platform.WriteError(w, http.StatusNotFound, fmt.Sprintf("no quote has tag %q", tag))
				return
			}
		}
		// Each call draws anew; a cache must not answer it with an earlier draw.
		w.Header().Set("Cache-Control", "no-store")
		platform.WriteJSON(w, http.StatusOK, pool[intN(len(pool))])
	})
}
