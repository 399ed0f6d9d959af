# One image for every process of the platform; the command picks the process:
#   API (default)   node --import tsx api/server.ts
#   worker          node --import tsx workers/main.ts
#   simulators      node --import tsx simulators/start.ts
#   migrations      npx --no-install prisma migrate deploy   (DATABASE_URL picks the database)
# docker-compose.temporal.yml runs it that way. Settings: docs/configuration.md.
FROM node:20-bookworm-slim

WORKDIR /app

# The Prisma CLI runs on its bundled Wasm schema engine through the driver adapters of
# prisma.config.ts; these stop it from fetching native engines it would not use.
ENV PRISMA_SCHEMA_ENGINE_BINARY=/dev/null \
    PRISMA_QUERY_ENGINE_LIBRARY=/dev/null \
    PRISMA_HIDE_UPDATE_MESSAGE=1 \
    NPM_CONFIG_UPDATE_NOTIFIER=false

# Dependencies first (cached while package*.json stay the same). Every dependency ships its
# native part prebuilt (Temporal's core bridge, libsql), so no install script is needed.
# devDependencies stay: tsx runs the TypeScript, and the Prisma CLI applies the migrations.
COPY package.json package-lock.json ./
# (`npm install` when `npm ci` refuses a lock that lists only some of @swc/core's platform packages.)
RUN (npm ci --ignore-scripts --no-audit --no-fund || npm install --ignore-scripts --no-audit --no-fund) \
 && npm cache clean --force

COPY . .

# Both Prisma clients (SQLite's and PostgreSQL's, one data model), and the workflow bundle,
# built once here instead of at every worker start.
RUN npx --no-install prisma generate --schema prisma/schema.prisma \
 && npx --no-install prisma generate --schema prisma/postgres/schema.prisma \
 && node --import tsx workers/build-bundle.ts /app/workflow-bundle.js --tracing

ENV NODE_ENV=production \
    WORKFLOW_BUNDLE_PATH=/app/workflow-bundle.js \
    HOST=0.0.0.0 \
    PORT=3000 \
    WORKER_METRICS_PORT=9464

# Files stay root-owned and read-only for the process; it runs as the image's unprivileged user.
USER node
EXPOSE 3000 9464
CMD ["node", "--import", "tsx", "api/server.ts"]
