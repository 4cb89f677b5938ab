package quotes

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
)

// catalogJSON holds the quotes the service serves, compiled into the binary so
// that the image needs no data files. It is only ever read.
//
//go:embed quotes.json
var catalogJSON []byte

// Quote is one quote, as the API returns it.
type Quote struct {
	ID     int      `json:"id"`
	Text   string   `json:"text"`
	Author string   `json:"author"`
	Tags   []string `json:"tags"`
}

// catalog is the quotes in data order, by id and by tag.
type catalog struct {
	all   []Quote
	byID  map[int]Quote
	byTag map[string][]Quote
}

// parseCatalog reads quotes from data, a JSON array of Quote, and checks that
// every quote has a unique positive id, a text, an author and valid tags.
func parseCatalog(data []byte) (*catalog, error) {
	var quotes []Quote
	if err := json.Unmarshal(data, &quotes); err != nil {
		return nil, fmt.Errorf("quotes data: %w", err)
	}
	if len(quotes) == 0 {
		return nil, errors.New("quotes data: no quotes")
	}
	c := &catalog{byID: make(map[int]Quote, len(quotes)), byTag: make(map[string][]Quote)}
	for i, q := range quotes {
		if err := validateQuote(q); err != nil {
			return nil, fmt.Errorf("quotes data: quote %d: %w", i+1, err)
		}
		if _, dup := c.byID[q.ID]; dup {
			return nil, fmt.Errorf("quotes data: quote %d: id %d is used twice", i+1, q.ID)
		}
		if q.Tags == nil {
			q.Tags = []string{} // [] rather than null in answers
		}
		c.all = append(c.all, q)
		c.byID[q.ID] = q
		for _, tag := range q.Tags {
			c.byTag[tag] = append(c.byTag[tag], q)
		}
	}
	return c, nil
}

func validateQuote(q Quote) error {
	switch {
	case q.ID < 1 || q.ID > maxID:
		return fmt.Errorf("id %d is not an integer from 1 to %d", q.ID, maxID)
	case q.Text == "":
		return fmt.Errorf("id %d has no text", q.ID)
	case q.Author == "":
		return fmt.Errorf("id %d has no author", q.ID)
	}
	for _, tag := range q.Tags {
		if !validTag(tag) {
			return fmt.Errorf("id %d has tag %q; a tag is %s", q.ID, tag, tagRule)
		}
	}
	return nil
}

// maxID is the largest quote id: ids fit in an int32 everywhere.
const maxID = 1<<31 - 1

const tagRule = "1 to 32 lowercase ASCII letters, digits or hyphens"

// validTag reports whether tag follows tagRule, in the data and in requests.
func validTag(tag string) bool {
	if len(tag) < 1 || len(tag) > 32 {
		return false
	}
	for _, b := range []byte(tag) {
		if !tagByte(b) {
			return false
		}
	}
	return true
}

func tagByte(b byte) bool {
	return 'a' <= b && b <= 'z' || '0' <= b && b <= '9' || b == '-'
}
