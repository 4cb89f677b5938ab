// Package buildinfo holds what the linker stamps into a service binary.
package buildinfo

import "runtime"

// Version and Commit are stamped at link time, as the golden Dockerfile does:
//
//	go build -ldflags "-X go-services/services/platform/buildinfo.Version=v1.4.2 -X go-services/services/platform/buildinfo.Commit=0123abc"
//
// They are variables only because -X can set nothing else; no code assigns them.
var (
	Version = "dev"
	Commit  = "unknown"
)

// Info describes the running binary; /version answers with it.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	GoVersion string `json:"goVersion"`
}

// Read returns the stamped version and commit and the Go release the binary was built with.
func Read() Info {
	return Info{Version: Version, Commit: Commit, GoVersion: runtime.Version()}
}
