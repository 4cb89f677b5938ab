# shellcheck shell=bash disable=SC2034 # the constants are for the scripts that source this file
# What the scripts in scripts/ share: names other tooling relies on, logging,
# podman, and the list of services. Sourced, never run.

REPO_ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
readonly REPO_ROOT
readonly SERVICES_DIR="$REPO_ROOT/services"
readonly GO_SERVICE_DOCKERFILE="$REPO_ROOT/docker/go-service.Dockerfile"

# Prints the Go toolchain every Go module of ours names in its `toolchain` line (go1.26.11):
# what the images are built with, and what the Go checks and govulncheck run. Read from the
# platform module; test/goToolchain.test.ts keeps the other go.mod files and the Dockerfile's
# builder image in step with it (README, "Go toolchain and vulnerabilities").
go_toolchain() {
	local toolchain
	toolchain=$(sed -n 's/^toolchain \(go[0-9][0-9.]*\)$/\1/p' "$SERVICES_DIR/platform/go.mod")
	[[ -n $toolchain ]] || die "services/platform/go.mod has no 'toolchain goX.Y.Z' line"
	printf '%s\n' "$toolchain"
}

# Local stand-ins for the base images of the golden Dockerfile, which cannot be
# pulled here; the e2e tests use the same names. The builder holds the Go
# toolchain of go_toolchain, as the GO_IMAGE default of the Dockerfile does, and
# is tagged with it: checkouts on other toolchains keep stand-ins of their own.
BUILDER_IMAGE=localhost/go-services/go-builder:$(go_toolchain 2>/dev/null || echo no-toolchain)
readonly BUILDER_IMAGE
readonly RUNTIME_IMAGE=localhost/go-services/runtime-static:nonroot

# The version the Kubernetes provider of tools/pulumi-kubernetes is stamped and installed as:
# that of @pulumi/kubernetes in package.json, since the program asks the engine for exactly
# that plugin version (scripts/engine checks that the two agree).
readonly PULUMI_KUBERNETES_VERSION=4.34.2

# Service images are named localhost/go-services/<service>:<tag>.
service_image() {
	printf 'localhost/go-services/%s:%s\n' "$1" "$2"
}

log() {
	printf '%s: %s\n' "${0##*/}" "$*" >&2
}

die() {
	log "error: $*"
	exit 1
}

# The default OCI runtime (crun) fails on these machines' cgroups; runc works.
pm() {
	podman --runtime "${PODMAN_RUNTIME:-runc}" "$@"
}

# image_id IMAGE: prints the ID of IMAGE, or nothing when there is none.
image_id() {
	pm image inspect --format '{{.Id}}' "$1" 2>/dev/null || true
}

# remove_superseded ID IMAGE: removes the image ID, which IMAGE named before a
# rebuild, once IMAGE names another one, unless a container or another tag
# still uses it.
remove_superseded() {
	local previous=$1 image=$2
	if [[ -n $previous && $previous != "$(image_id "$image")" ]]; then
		pm image rm "$previous" >/dev/null 2>&1 || true
	fi
}

require_commands() {
	local cmd
	for cmd in "$@"; do
		command -v "$cmd" >/dev/null || die "$cmd is required but not installed"
	done
}

# Prints the services, one a line: the directories of services/ (or of the folder given)
# holding cmd/<directory>/main.go (so not the shared platform module).
list_services() {
	local dir=${1:-$SERVICES_DIR} main
	for main in "$dir"/*/cmd/*/main.go; do
		[[ -e $main ]] || continue
		local service=${main#"$dir/"}
		service=${service%%/*}
		[[ $main == "$dir/$service/cmd/$service/main.go" ]] && printf '%s\n' "$service"
	done
}

# Prints the Go modules under services/, one directory a line.
list_modules() {
	local mod
	for mod in "$SERVICES_DIR"/*/go.mod; do
		[[ -e $mod ]] && printf '%s\n' "${mod%/go.mod}"
	done
}
