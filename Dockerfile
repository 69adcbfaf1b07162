# spokebot container: build the TypeScript in one stage, run the compiled JS with production
# dependencies only in the next. Configuration comes from the environment (README, "Running it for real").
#
#   docker build -t spokebot .
#   docker run --init -p 3000:3000 -v spokebot-data:/data --env-file .env spokebot

# ---- build: full dependencies, tsc -p tsconfig.build.json into dist/ ----
FROM node:24-slim AS build
WORKDIR /app
# The lock file first, so the dependency layer is cached until dependencies change.
COPY package.json package-lock.json ./
# --ignore-scripts: the only install script in the tree is esbuild's (used by tsx and vitest),
# and this stage runs nothing but tsc.
RUN npm ci --ignore-scripts
COPY tsconfig*.json ./
COPY src ./src
RUN npm run build

# ---- runtime ----
FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# No production dependency has an install script, so --ignore-scripts loses nothing.
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
# tsc compiles the store's code but copies no .sql: the PostgreSQL migrations are loaded from beside it.
COPY --from=build /app/src/store/postgres/migrations ./dist/store/postgres/migrations

# The lowdb store lives on a volume so connections, reminders and pending consents survive a
# new container. The app and its dependencies stay root-owned: the bot can only write /data.
ENV SPOKE_DB_PATH=/data/spokebot.json
RUN mkdir -p /data && chown node:node /data
VOLUME /data

# `spokebot doctor|rotate-key|audit export|start` on PATH, e.g. `docker exec <container> spokebot doctor`.
RUN printf '#!/bin/sh\nexec node /app/dist/cli/spokebot.js "$@"\n' > /usr/local/bin/spokebot && chmod 755 /usr/local/bin/spokebot

# The official image's unprivileged user.
USER node

# POST /slack/events and GET /healthz (HTTP mode). PORT defaults to 3000 in the app.
EXPOSE 3000

# slim images have no curl: ask node itself. Same PORT fallback as the app.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1)).catch(() => process.exit(1))"]

# The same command operators run, so `spokebot start --help` describes what the container does.
CMD ["spokebot", "start"]
