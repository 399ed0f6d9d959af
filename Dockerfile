# The platform's production image, and a tools image for what needs the development toolchain.
#
#   docker build -t saga-platform .                      the default (last) stage, `runtime`:
#     API (default)   node dist/api.mjs
#     worker          node dist/worker.mjs
#   docker build --target tools -t saga-platform-tools .  migrations and the demo's simulators:
#     migrations      npx --no-install prisma migrate deploy   (the default; DATABASE_URL picks the database)
#     simulators      node --import tsx simulators/start.ts
#
# The runtime stage holds compiled JavaScript (scripts/build-js.ts, as `make start PROFILE=cluster`
# runs it), the prebuilt workflow bundle, the generated Prisma clients and production dependencies
# only: no TypeScript sources, no tsx, no Prisma CLI. The build stage checks that the built files
# import nothing else (scripts/check-production-build.ts; test/ops/production-build.test.ts runs
# the same steps without Docker). docker-compose.temporal.yml runs both images. Settings: docs/configuration.md.

# ---------- build: every dependency, the sources, what they generate ----------
FROM node:20-bookworm-slim AS build
WORKDIR /app

# The Prisma CLI runs on its bundled Wasm schema engine through the driver adapters of
# prisma.config.ts; these stop it from fetching native engines it would not use.
ENV PRISMA_SCHEMA_ENGINE_BINARY=/dev/null \
    PRISMA_QUERY_ENGINE_LIBRARY=/dev/null \
    PRISMA_HIDE_UPDATE_MESSAGE=1 \
    NPM_CONFIG_UPDATE_NOTIFIER=false

# Dependencies first (cached while package*.json stay the same). Every dependency ships its
# native part prebuilt (Temporal's core bridge, libsql), so no install script is needed.
COPY package.json package-lock.json ./
# (`npm install` when `npm ci` refuses a lock that lists only some of @swc/core's platform packages.)
RUN (npm ci --ignore-scripts --no-audit --no-fund || npm install --ignore-scripts --no-audit --no-fund) \
 && npm cache clean --force

COPY . .

# Both Prisma clients (SQLite's and PostgreSQL's, one data model); the workflow bundle, built once
# here instead of at every worker start; the API and the worker as JavaScript, checked to import
# production dependencies only and to start with nothing else installed.
RUN npx --no-install prisma generate --schema prisma/schema.prisma \
 && npx --no-install prisma generate --schema prisma/postgres/schema.prisma \
 && node --import tsx workers/build-bundle.ts /app/dist/workflow-bundle.js --tracing \
 && node --import tsx scripts/check-production-build.ts /app/dist

# ---------- tools: migrations and the simulators (the whole toolchain, tsx over the sources) ----------
FROM build AS tools
ENV NODE_ENV=production
# Files stay root-owned and read-only for the process; it runs as the image's unprivileged user.
USER node
CMD ["npx", "--no-install", "prisma", "migrate", "deploy"]

# ---------- production dependencies only ----------
FROM node:20-bookworm-slim AS production-dependencies
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
COPY package.json package-lock.json ./
RUN (npm ci --omit=dev --ignore-scripts --no-audit --no-fund || npm install --omit=dev --ignore-scripts --no-audit --no-fund) \
 && npm cache clean --force

# ---------- runtime: the API or the worker ----------
FROM node:20-bookworm-slim AS runtime
WORKDIR /app
COPY --from=production-dependencies /app/node_modules ./node_modules
# The generated clients: SQLite's where @prisma/client looks for it, PostgreSQL's where the
# built files import it from (an absolute /app path: this stage keeps the build stage's layout).
COPY --from=build /app/node_modules/.prisma ./node_modules/.prisma
COPY --from=build /app/db/generated ./db/generated
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./package.json

ENV NODE_ENV=production \
    WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js \
    HOST=0.0.0.0 \
    PORT=3000 \
    WORKER_METRICS_PORT=9464

# Files stay root-owned and read-only for the process; it runs as the image's unprivileged user.
USER node
EXPOSE 3000 9464
CMD ["node", "dist/api.mjs"]
