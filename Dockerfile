# syntax=docker/dockerfile:1
#
# One image per Node app of the monorepo, the app chosen by SERVICE (a folder under apps/ with a
# stage of the same name below): auth-service | dataset-service | model-service |
# detector-service | worker | edge-agent | web | gateway. Build from the repository root:
#
#   docker build --build-arg SERVICE=detector-service -t ghcr.io/nomaly/detector-service:0.1.0 .
#
# Stages: `manifests` (only the package.json files and the lock, so `npm ci` stays cached while
# sources change) → `build` (npm ci, `nx run <app>:build` which builds the workspace libraries
# first through dependsOn ^build, then a prune to the app's production dependencies and a
# runtime tree laid out by tools/containers/stage-runtime.ts) → `runtime` (tini, user 10001,
# /app) → one small stage per app (ports, health check, command) → the final image.
#
# At run time: the root filesystem can be read-only (the process writes nothing outside /tmp,
# give it an emptyDir/tmpfs there); DATABASE_URL is required, because the embedded Postgres of
# local development is left out of the image (its binaries are optional dependencies, omitted
# here, and it would write to EMBEDDED_POSTGRES_DIR). Migrations run as a separate step with the
# same image: `node apps/<app>/dist/cli.js migrate up`. Checked statically by
# `npx nx run tools:check-containers` (no Docker engine needed).

# The app to package. No default: building the wrong image silently is worse than an error.
ARG SERVICE

FROM node:22.23.3-bookworm-slim AS manifests
WORKDIR /src
COPY . .
RUN mkdir -p /manifests \
    && cp package.json package-lock.json /manifests/ \
    && find apps libs e2e -name package.json -not -path '*/node_modules/*' \
        -exec sh -c 'mkdir -p "/manifests/$(dirname "$1")" && cp "$1" "/manifests/$1"' _ {} \;

FROM node:22.23.3-bookworm-slim AS build
ARG SERVICE
ENV NX_DAEMON=false \
    NX_NO_CLOUD=true \
    NX_TUI=false
WORKDIR /build
COPY --from=manifests /manifests/ ./
# --ignore-scripts: the root `prepare` script would build every app before the sources are
# here, and no dependency needs an install script to work (their binaries are optional packages).
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN test -n "${SERVICE}" || { echo 'Dockerfile: pass --build-arg SERVICE=<app under apps/>' >&2; exit 1; } \
    && npx nx run "${SERVICE}:build" --output-style=static
# `npm ci --workspace` keeps only the app's production dependencies (its workspace libraries stay
# symlinks into libs/); --omit=optional drops the embedded Postgres binaries (60 MB).
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund --workspace "apps/${SERVICE}" \
    && node tools/containers/stage-runtime.ts "${SERVICE}" /runtime

FROM node:22.23.3-bookworm-slim AS runtime
# tini as PID 1 forwards SIGTERM to node and reaps zombies. Pinned to bookworm's build: move it
# with the base image.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini=0.19.0-1+b3 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 nomaly \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin nomaly
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and not writable by the app's user: the code cannot be changed from inside.
COPY --from=build /runtime/ ./
USER 10001:10001
ENTRYPOINT ["tini", "--"]
# Liveness, as the Kubernetes probe asks it; the gateway's stage replaces it.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

FROM runtime AS auth-service
ENV PORT=8003 \
    GRPC_PORT=50054
EXPOSE 8003 50054
CMD ["node", "--import", "@nomaly/platform-telemetry/register", "apps/auth-service/dist/main.js"]

FROM runtime AS dataset-service
ENV PORT=8001 \
    GRPC_PORT=50052
EXPOSE 8001 50052
CMD ["node", "--import", "@nomaly/platform-telemetry/register", "apps/dataset-service/dist/main.js"]

FROM runtime AS model-service
ENV PORT=8002 \
    GRPC_PORT=50053
EXPOSE 8002 50053
CMD ["node", "--import", "@nomaly/platform-telemetry/register", "apps/model-service/dist/main.js"]

FROM runtime AS detector-service
ENV PORT=8000 \
    GRPC_PORT=50051
EXPOSE 8000 50051
CMD ["node", "--import", "@nomaly/platform-telemetry/register", "apps/detector-service/dist/main.js"]

# Batch training and detection from the queue. It serves no API: HTTP only for the probes and
# /metrics, and no gRPC server. Its migrations are the detector-service's (it shares that schema).
FROM runtime AS worker
ENV PORT=8005
EXPOSE 8005
CMD ["node", "--import", "@nomaly/platform-telemetry/register", "apps/worker/dist/main.js"]

# Scores at the edge on synced models. It writes its model cache and result buffer under
# EDGE_DATA_DIR, the one path outside /tmp it needs: mount a persistent volume there (a buffer
# on tmpfs would lose unsent results with the container).
FROM runtime AS edge-agent
USER root
RUN mkdir -p /var/lib/nomaly-edge && chown 10001:10001 /var/lib/nomaly-edge
USER 10001:10001
ENV PORT=8006 \
    EDGE_DATA_DIR=/var/lib/nomaly-edge
VOLUME ["/var/lib/nomaly-edge"]
EXPOSE 8006
CMD ["node", "--import", "@nomaly/platform-telemetry/register", "apps/edge-agent/dist/main.js"]

# The web UI at /ui: static files served from memory by a small Node server; no database, no
# secrets, nothing written.
FROM runtime AS web
ENV PORT=8004
EXPOSE 8004
CMD ["node", "--import", "@nomaly/platform-telemetry/register", "apps/web/dist/main.js"]

# The local stand-in for the Istio ingress: traffic on 8080, Istio's status port 15021 for
# /healthz/ready and /stats/prometheus. Its routing files are baked in at /app/istio (the default
# ISTIO_CONFIG); compose mounts the working copy at /istio instead (ISTIO_CONFIG=/istio).
FROM runtime AS gateway
ENV PORT=8080 \
    STATUS_PORT=15021
EXPOSE 8080 15021
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.STATUS_PORT + '/healthz/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--import", "@nomaly/platform-telemetry/register", "apps/gateway/dist/main.js"]

FROM ${SERVICE}
ARG SERVICE
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="nomaly/${SERVICE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.vendor="Nomaly"
