// Command hello serves GET /hello?name=X: a greeting as JSON.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"go-services/services/hello/internal/hello"
	"go-services/services/platform"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return platform.Run(ctx, hello.Service(), args, getenv, stdout, stderr)
}
