# animerec API image.
#
#   docker build -t animerec .
#   docker run --init -p 4000:4000 -v animerec-data:/var/lib/animerec animerec
#
# Without DATABASE_URL the server uses the embedded PGlite database under DATA_DIR (a volume);
# docker-compose.yml runs it against PostgreSQL + pgvector instead.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------------------------------------
# Build stage: dependencies, the generated Prisma client and the source.
FROM ${NODE_IMAGE} AS build
WORKDIR /app

# Only what `npm ci` and its postinstall (`prisma generate`) read, so this layer is reused
# until the lock file or the Prisma schema changes.
COPY package.json package-lock.json prisma.config.ts .swcrc tsconfig.json ./
COPY prisma ./prisma

# Dev dependencies are kept on purpose (NODE_ENV is not production here, and --include=dev says
# so): `npm run build:js` compiles the sources with @swc-node/register / @swc/core, and the
# Prisma CLI generates the client.
# --ignore-scripts enforces the package.json `allowScripts` deny list (npm 10, which ships with
# Node 20, does not read that field; every dependency with an install script is on it), then the
# project's own postinstall (`prisma generate`, offline) runs explicitly.
RUN npm ci --include=dev --ignore-scripts --no-audit --no-fund \
 && npm run postinstall \
 && npm cache clean --force

# The rest of the source (see .dockerignore: node_modules, the generated client, local data
# and build output stay out, so the ones made above are kept).
COPY . .

# The playground's bundle (dist/web): `npm start` builds it, but the image runs node directly.
# The compiled JavaScript (build/) that the server and the CLIs run: built here, because the
# code is read-only at run time.
RUN npm run build:web && npm run build:js

# ---------------------------------------------------------------------------------------------
# Runtime stage.
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    DATA_DIR=/var/lib/animerec

# The code stays owned by root (read-only to the server); only DATA_DIR is writable.
COPY --from=build /app /app

RUN mkdir -p /var/lib/animerec && chown node:node /var/lib/animerec
VOLUME ["/var/lib/animerec"]

USER node
EXPOSE 4000

# Slim images have no curl: ask node itself. The first start may ingest the demo data, hence
# the long start period.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# The same command as `npm start`, without npm in between so the server gets SIGTERM itself
# (run with --init, or `init: true` in compose, for a proper PID 1).
CMD ["node", "build/src/main.js"]
