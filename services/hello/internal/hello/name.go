package hello

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxNameLength is the longest name greeted, in characters (Unicode code points).
const maxNameLength = 64

// validateName tells why name cannot be greeted, or returns nil. A name is 1
// to 64 characters: letters of any script with their combining marks, ASCII
// digits, spaces, hyphens and apostrophes (' and ’), neither starting nor
// ending with a space. Letters of every script are allowed because people's
// names are written in every script.
func validateName(name string) error {
	if !utf8.ValidString(name) {
		return errors.New("name is not valid UTF-8")
	}
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		return errors.New(`name is empty; give 1 to 64 characters, or leave out the parameter to greet "world"`)
	case n > maxNameLength:
		return fmt.Errorf("name is %d characters long; at most %d are allowed", n, maxNameLength)
	}
	if strings.HasPrefix(name, " ") || strings.HasSuffix(name, " ") {
		return errors.New("name starts or ends with a space")
	}
	position := 0
	for _, r := range name {
		position++
		if !nameRune(r) {
			return fmt.Errorf("name has %q at character %d; allowed are letters, digits, spaces, hyphens and apostrophes", r, position)
		}
	}
	return nil
}

func nameRune(r rune) bool {
	switch {
	case unicode.IsLetter(r), unicode.IsMark(r):
		return true
	case '0' <= r && r <= '9':
		return true
	}
	return strings.ContainsRune(" -'’", r)
}
