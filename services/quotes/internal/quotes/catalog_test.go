package quotes

import (
	"strings"
	"testing"
)

func TestEmbeddedCatalogIsValid(t *testing.T) {
	c, err := parseCatalog(catalogJSON)
	if err != nil {
		t.Fatalf("embedded quotes.json: %v", err)
	}
	if len(c.all) < 10 {
		t.Errorf("embedded catalog has %d quotes, want at least 10", len(c.all))
	}
	for _, q := range c.all {
		if len(q.Tags) == 0 {
			t.Errorf("quote %d has no tags, so no tag filter can reach it", q.ID)
		}
	}
}

func TestParseCatalogRejectsInvalidData(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string
	}{
		{"not JSON", `{`, "quotes data: unexpected end of JSON input"},
		{"not an array", `{"id":1}`, "quotes data: json: cannot unmarshal object into Go value of type []quotes.Quote"},
		{"empty", `[]`, "quotes data: no quotes"},
		{"id zero", `[{"id":0,"text":"t","author":"a"}]`, "quotes data: quote 1: id 0 is not an integer from 1 to 2147483647"},
		{"id too large", `[{"id":2147483648,"text":"t","author":"a"}]`, "quotes data: quote 1: id 2147483648 is not an integer from 1 to 2147483647"},
		{"no text", `[{"id":1,"author":"a"}]`, "quotes data: quote 1: id 1 has no text"},
		{"no author", `[{"id":1,"text":"t"}]`, "quotes data: quote 1: id 1 has no author"},
		{"bad tag", `[{"id":1,"text":"t","author":"a","tags":["Go"]}]`, `quotes data: quote 1: id 1 has tag "Go"; a tag is ` + tagRule},
		{
			"duplicate id", `[{"id":1,"text":"t","author":"a"},{"id":1,"text":"u","author":"b"}]`,
			"quotes data: quote 2: id 1 is used twice",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseCatalog([]byte(tt.data))
			if err == nil {
				t.Fatal("parseCatalog succeeded, want an error")
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestValidTag(t *testing.T) {
	for tag, want := range map[string]bool{
		"go": true, "error-handling": true, "web3": true, strings.Repeat("a", 32): true,
		"": false, strings.Repeat("a", 33): false, "Go": false, "go lang": false, "go_lang": false, "café": false,
	} {
		if got := validTag(tag); got != want {
			t.Errorf("validTag(%q) = %t, want %t", tag, got, want)
		}
	}
}
