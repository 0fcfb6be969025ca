# One image for the API, the worker and the migration job; the command picks the role:
#   node dist/apps/api/src/main.js       (default)
#   node --max-old-space-size=384 dist/apps/worker/src/main.js
#   node dist/scripts/migrate.js
# Build: docker build -t scim-import:local .   (or `docker compose build`)

ARG NODE_IMAGE=node:20-bookworm-slim

# package.json's `allowScripts` (which dependency install scripts may run) needs npm 11;
# Node 20 ships npm 10, so every stage that installs packages upgrades npm first.
FROM ${NODE_IMAGE} AS npm11
ARG NPM_VERSION=11
RUN npm install --global "npm@${NPM_VERSION}" \
 && npm cache clean --force
WORKDIR /app

# All dependencies, for compiling and bundling. Only the manifests are copied so this
# layer is reused until package.json or the lockfile change.
FROM npm11 AS deps
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# Compiled JavaScript (dist/) plus the prebuilt workflow bundle (dist/workflow-bundle.js),
# so production workers never run webpack at start-up.
FROM deps AS build
COPY . .
RUN npm run build \
 && npm run build:workflows \
 && test -f dist/workflow-bundle.js

# Production dependencies only, installed from the same lockfile: no embedded PostgreSQL, demo
# SCIM server or benchmark packages (test/foundation/production-dependencies.spec.ts checks it).
FROM npm11 AS prod-deps
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps
WORKDIR /app
# Files stay owned by root: the unprivileged `node` user (uid 1000, from the base image)
# can read the application but not change it.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/dist ./dist
USER node
# 3000: the API (and its /metrics); 9464: the worker's Prometheus /metrics (WORKER_METRICS_PORT)
EXPOSE 3000 9464
CMD ["node", "dist/apps/api/src/main.js"]
