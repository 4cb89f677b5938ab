package hello

import (
	"strings"
	"testing"
)

func TestValidateNameAccepts(t *testing.T) {
	for _, name := range []string{
		"A",
		"Ada",
		"Ada Lovelace",
		"Jean-Luc",
		"O'Brien",
		"O’Brien",
		"Zoë",
		"Zoe\u0308", // e followed by a combining diaeresis
		"Łukasz",
		"Дмитрий",
		"李小龙",
		"محمد",
		"R2-D2",
		strings.Repeat("é", maxNameLength),
	} {
		if err := validateName(name); err != nil {
			t.Errorf("validateName(%q): %v", name, err)
		}
	}
}

func TestValidateNameRejects(t *testing.T) {
	const allowed = "; allowed are letters, digits, spaces, hyphens and apostrophes"
	tests := []struct {
		name string
		want string
	}{
		{"", `name is empty; give 1 to 64 characters, or leave out the parameter to greet "world"`},
		{strings.Repeat("a", maxNameLength+1), "name is 65 characters long; at most 64 are allowed"},
		{strings.Repeat("é", maxNameLength+1), "name is 65 characters long; at most 64 are allowed"},
		{" Ada", "name starts or ends with a space"},
		{"Ada ", "name starts or ends with a space"},
		{"<script>", `name has '<' at character 1` + allowed},
		{"Ada!", `name has '!' at character 4` + allowed},
		{"Ada\nLovelace", `name has '\n' at character 4` + allowed},
		{"Ada\tLovelace", `name has '\t' at character 4` + allowed},
		{"Ada\u00a0Lovelace", `name has '\u00a0' at character 4` + allowed},
		{"Zoë\u200bK", `name has '\u200b' at character 4` + allowed},
		{"Ada_L", `name has '_' at character 4` + allowed},
		{"١٢٣", `name has '١' at character 1` + allowed},
		{"😀", `name has '😀' at character 1` + allowed},
		{"Ada\xff", "name is not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validateName(tt.name)
			if err == nil {
				t.Fatalf("validateName(%q) = nil, want an error", tt.name)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("validateName(%q):\n%s\nwant:\n%s", tt.name, got, tt.want)
			}
		})
	}
}
