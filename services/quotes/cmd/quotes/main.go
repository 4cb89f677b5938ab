// Command quotes serves quotes about programming: GET /quotes/random[?tag=T]
// and GET /quotes/{id}.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"go-services/services/platform"
	"go-services/services/quotes/internal/quotes"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return platform.Run(ctx, quotes.Service(), args, getenv, stdout, stderr)
}
