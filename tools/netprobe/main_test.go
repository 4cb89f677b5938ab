package main

import (
	"bytes"
	"net"
	"strings"
	"testing"
)

func TestConnectClassifiesOutcomes(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	open := listener.Addr().String()
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			conn.Close()
		}
	}()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := closed.Addr().String()
	closed.Close()
	defer listener.Close()

	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"connect", open, "2000"}, 0, "accepted"},
		{[]string{"connect", refused, "2000"}, 1, "refused"},
		{[]string{"connect", open, "soon"}, 2, ""},
		{[]string{"bogus"}, 2, ""},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(tc.args, &stdout, &stderr); code != tc.code || strings.TrimSpace(stdout.String()) != tc.out {
			t.Errorf("run(%q) = %d %q (stderr %q), want %d %q", tc.args, code, stdout.String(), stderr.String(), tc.code, tc.out)
		}
	}
}
