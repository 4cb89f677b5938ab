module go-services/tools/pause

// The test cluster's pod sandbox ("pause") program: it holds a pod's namespaces and does
// nothing else. Upstream's is C and ships only as an image, which cannot be pulled here.
go 1.26.0

toolchain go1.26.11

tool go-services/tools/pause
