# The CPU image that deploy/k8s/ names: `fluxcore` as the entry point, so a pod's args are a
# fluxcore command (serve, batch fno, ...). Build it from the repository's root:
#
#   docker build -t ghcr.io/fluxcore/fluxcore:latest .
#
# The binary picks the best CPU variant at run time. A CUDA image needs the toolkit in the
# build stage (make cuda-deps, then go build -tags cuda) and NVIDIA's runtime base instead.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN make build

FROM debian:bookworm-slim
COPY --from=build /src/build/fluxcore /usr/local/bin/fluxcore
# Not root: the server and the batch runner need no privileges.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/fluxcore"]
