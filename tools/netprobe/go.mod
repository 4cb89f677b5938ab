module go-services/tools/netprobe

// The e2e tests' network probe: run in a pod (or as an ephemeral container in a service's
// pod), it tells whether a TCP connection from there is accepted, refused or dropped, which
// is how the tests see the NetworkPolicies the cluster enforces.
go 1.26.0

tool go-services/tools/netprobe
