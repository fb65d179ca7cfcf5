# syntax=docker/dockerfile:1
#
# kafka-http-bridge image.
#
#   docker build -t kafka-http-bridge .
#   docker run --rm -v "$PWD/my-config.yaml:/etc/kafka-http-bridge/config.yaml:ro" kafka-http-bridge
#
# Stage 1 installs the production dependencies with npm; stage 2 is a distroless Node.js 24
# runtime (no shell, no package manager, no npm) holding only what runs: the dependencies,
# bin/, src/ and package*.json. Node 24 runs the TypeScript sources directly (type
# stripping), so there is no build step. The two native codecs (snappy, lz4-napi) come as
# prebuilt binaries in npm packages of their own, chosen by npm for the build platform
# (glibc, x64 or arm64), so the modules installed on Debian 12 slim run unchanged on the
# Debian 12 distroless image.
#
# Read-only root filesystem: at run time the bridge writes nothing to disk (logs go to
# stdout, state lives in Kafka), so the container runs with a read-only root filesystem
# and needs no writable volume or tmpfs. The application files belong to root and are not
# writable by the user the bridge runs as.

# Override to pin digests (e.g. --build-arg RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12@sha256:...).
# The runtime must be a distroless Node.js 24 image: ENTRYPOINT and HEALTHCHECK use its
# /nodejs/bin/node. Both stages are Debian 12, so the installed modules match the runtime.
ARG BUILD_IMAGE=node:24-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12

# --- stage 1: production dependencies ----------------------------------------------------
FROM ${BUILD_IMAGE} AS deps
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# --omit=dev: no test or lint tooling in the image. --ignore-scripts: no dependency needs an
# install script (the codecs' binaries are plain optional dependencies), and none gets to run one.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# --- stage 2: runtime --------------------------------------------------------------------
FROM ${RUNTIME_IMAGE}

ARG RUNTIME_IMAGE
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE=""
LABEL org.opencontainers.image.title="kafka-http-bridge" \
      org.opencontainers.image.description="Consumes Kafka topics and delivers every record to an HTTP endpoint, with retry topics and a dead-letter topic." \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.base.name="${RUNTIME_IMAGE}"

ENV NODE_ENV=production
WORKDIR /app

COPY --from=deps /app/node_modules ./node_modules
# package.json is needed at run time: "type": "module" makes Node load bin/ and src/ as ESM.
COPY package.json package-lock.json ./
COPY bin ./bin
COPY src ./src
# A reference only: the configuration is mounted at /etc/kafka-http-bridge/config.yaml. The
# image has no file there on purpose, so a forgotten mount fails at once with exit status 78
# ("the configuration file does not exist") instead of connecting to localhost.
COPY config/bridge.example.yaml ./config/bridge.example.yaml

# A numeric uid/gid (no passwd entry needed), so Kubernetes' runAsNonRoot can verify it.
USER 10001:10001

# /health, /ready and /metrics (server.port).
EXPOSE 8080

# The bridge drains on SIGTERM: it stops fetching, lets in-flight records finish for up to
# shutdown.timeout (default 30s), commits and exits 0. Give the container a longer grace
# period than that (docker stop -t 45, compose stop_grace_period, Kubernetes
# terminationGracePeriodSeconds).
STOPSIGNAL SIGTERM

# Liveness, without curl or wget (there is no shell either): Node's own fetch, in exec form.
# It asks 127.0.0.1 on $PORT (default 8080): if the configuration moves server.port, set
# PORT as well, and keep server.host at 0.0.0.0 or ::. /health, not /ready: a draining bridge
# is not ready but is healthy. Kubernetes ignores HEALTHCHECK and uses the chart's probes.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/nodejs/bin/node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# Node itself, never npm: npm would sit between the signal and the bridge and write to disk.
# An 8 MB semi-space keeps V8's young generation small: whole fetches wait in the backlogs
# and survive scavenges, and a larger young generation only holds them longer (peak RSS
# about 25% lower at the same CPU in docs/benchmarks.md; `npm start` passes the same flag).
# The old space Node sizes from the container's memory limit by itself.
ENTRYPOINT ["/nodejs/bin/node", "--max-semi-space-size=8", "bin/kafka-http-bridge.js"]
CMD ["run", "--config", "/etc/kafka-http-bridge/config.yaml"]
