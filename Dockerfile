# syntax=docker/dockerfile:1
# The image of `sluice run`: one member of a topology's consumer group per container (ops/k8s deploys it).
#   docker build -t sluice:0.1.0 .
#   docker run --rm -e KAFKA_BROKERS=… -v "$PWD/my-topologies:/app/topologies/deployed:ro" \
#     sluice:0.1.0 run topologies/deployed/my-topology.yaml --metrics-port 9464
# Multi-stage: the first stage installs the production dependencies, the second holds only them, the sources and
# the models. No build step: the CLI runs the TypeScript through tsx, whose compile cache goes to /tmp.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts off: the native modules (lmdb, LanceDB, esbuild) come as prebuilt platform packages. The optional native
# TF.js backends are dropped: the image runs TF.js on its WASM backend (SLUICE_TFJS_BACKEND=wasm below).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && rm -rf node_modules/@tensorflow/tfjs-node node_modules/@tensorflow/tfjs-node-gpu \
  && npm cache clean --force

FROM ${NODE_IMAGE}
# tini is PID 1: it forwards SIGTERM to sluice (which drains, commits and leaves the group) and reaps children.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/* /usr/local/lib/node_modules/npm /usr/local/bin/npm /usr/local/bin/npx \
  && groupadd --gid 10001 sluice \
  && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin sluice
WORKDIR /app
ENV NODE_ENV=production \
  SLUICE_TFJS_BACKEND=wasm \
  SLUICE_METRICS_PORT=9464
COPY --from=deps /app/node_modules ./node_modules
COPY package.json index.ts ./
COPY core ./core
COPY schemas ./schemas
COPY processors ./processors
COPY sinks ./sinks
COPY topologies ./topologies
COPY produce ./produce
COPY analytics ./analytics
COPY stack ./stack
COPY models ./models
COPY cli ./cli
USER 10001:10001
EXPOSE 9464
# /healthz answers 200 while the application has not failed; the port is the one `run` is given (9464 by default).
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.SLUICE_METRICS_PORT}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/cli/bin.mjs"]
CMD ["--help"]
