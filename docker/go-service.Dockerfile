# syntax=docker/dockerfile:1

# The one Dockerfile of every Go service under services/.
#
# The build context is the services/ directory, so that the shared platform
# module, which every service requires through a replace directive, is in it.
# SERVICE names the service's directory there:
#
#   docker build -f docker/go-service.Dockerfile --build-arg SERVICE=hello \
#     --build-arg VERSION=v1.4.2 --build-arg COMMIT=$(git rev-parse HEAD) services
#
# Base images are build arguments: companies mirror them under other names.
# For byte-identical rebuilds, also give the image timestamps a fixed value:
# SOURCE_DATE_EPOCH with BuildKit, --timestamp with podman and buildah.
#
# Go modules come from GOPROXY (default: the public proxy), checked against
# the go.sum files. A build that cannot reach a proxy passes a module cache
# in the GOPROXY layout as the build context "gomodules" instead, as
# scripts/build-images does with the build machine's own cache:
#
#   --build-context gomodules=$(go env GOMODCACHE)/cache/download \
#   --build-arg GOPROXY=file:///gomodules

# The base images, pinned by version tag and digest (README, "Base images"),
# but for golang:1.26.11-bookworm, whose digest no machine of this project
# could read yet: add it as soon as one can (README, "Go toolchain"). The
# golang tag is the Go release of the `toolchain` line of every go.mod, and
# the build below refuses a builder image with another Go.
# GO_IMAGE and RUNTIME_IMAGE replace them, e.g. with a mirror's copy; by
# default each names the stage below that holds the pinned image. Those are
# plain FROM lines so that Dependabot, which does not expand build arguments,
# finds and updates them. A stage nothing uses is neither built nor pulled:
# a build given both arguments never contacts Docker Hub or gcr.io.
ARG GO_IMAGE=default-go-image
ARG RUNTIME_IMAGE=default-runtime-image
FROM --platform=$BUILDPLATFORM golang:1.26.11-bookworm AS default-go-image
FROM gcr.io/distroless/static-debian13:nonroot@sha256:1c2c046bc09ed40fad370b599a0b1ae7987f55b01e247cf27a7c27cd97e5bbc7 AS default-runtime-image

# Empty unless the build context "gomodules" replaces it (see above).
FROM scratch AS gomodules

# The builder runs on the build machine's platform and cross-compiles for the
# target's, which is much faster than compiling under emulation.
FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS build
ARG SERVICE
RUN test -n "${SERVICE}" || { echo 'build argument SERVICE is required, e.g. --build-arg SERVICE=hello' >&2; exit 1; }
# Cache locations of our own, the same whatever the base image sets; the
# toolchain of the image is the one used, never one downloaded on the fly.
ENV GOMODCACHE=/cache/go-mod \
    GOCACHE=/cache/go-build \
    GOTOOLCHAIN=local
# The module of the service; the platform module sits beside it, where the
# replace directive of its go.mod points.
WORKDIR /src/${SERVICE}

# Module files first: this layer, and the download, are reused until a go.mod
# or go.sum changes.
COPY platform/go.mod /src/platform/
COPY ${SERVICE}/go.mod ${SERVICE}/go.sum ./
# The Go release the go.mod names is the one that builds the image: a mirror
# or stand-in with another Go (GO_IMAGE) fails here, not silently.
RUN want="$(sed -n 's/^toolchain //p' go.mod)" have="$(go env GOVERSION)" \
 && { [ -z "${want}" ] || [ "${want}" = "${have}" ] || { echo "go.mod names toolchain ${want} but GO_IMAGE has ${have}: use a builder image with ${want}" >&2; exit 1; }; }
ARG GOPROXY=https://proxy.golang.org,direct
RUN --mount=type=cache,id=go-mod,target=/cache/go-mod \
    --mount=type=bind,from=gomodules,target=/gomodules \
    go mod download

COPY platform/ /src/platform/
COPY ${SERVICE}/ ./

# Declared here, after the sources: every RUN after an ARG sees it, so a new
# VERSION or COMMIT reruns only the build below, which relinks the binary
# from the compiled packages in the build cache.
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
ARG COMMIT=unknown
ARG SOURCE_DATE_EPOCH=0
RUN --mount=type=cache,id=go-mod,target=/cache/go-mod \
    --mount=type=cache,id=go-build,target=/cache/go-build \
    CGO_ENABLED=0 GOOS="${TARGETOS}" GOARCH="${TARGETARCH}" \
    go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X go-services/services/platform/buildinfo.Version=${VERSION} -X go-services/services/platform/buildinfo.Commit=${COMMIT}" \
      -o /out/app "./cmd/${SERVICE}" \
 && touch -d "@${SOURCE_DATE_EPOCH}" /out/app

FROM ${RUNTIME_IMAGE}
ARG SERVICE
ARG VERSION=dev
ARG COMMIT=unknown
ARG SOURCE_URL=unknown
LABEL org.opencontainers.image.title="${SERVICE}" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}"
USER 65532:65532
EXPOSE 8080 9090
# The runtime image has no shell and no curl: the binary checks itself.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 CMD ["/app", "-healthcheck"]
ENTRYPOINT ["/app"]
# Last, so that a code change rebuilds only this layer of the stage. The
# binary stays owned by root: the service cannot overwrite it.
COPY --from=build /out/app /app
