# syntax=docker/dockerfile:1
# proxmox-mcp as an HTTP service: the bundle only (no node_modules), as the unprivileged `node` user.
#   docker compose up -d        (compose.yaml: .env, published on 127.0.0.1:8000 only)
# test/e2e/docker.test.ts runs this file's runtime stage outside Docker (scripts/docker-run.ts).

FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# no install scripts: the bundle is built with esbuild and tsc, which need none
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production \
    MCP_TRANSPORT=streamable-http \
    MCP_HOST=0.0.0.0 \
    MCP_PORT=8000
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/dist ./dist
COPY docker/healthcheck.mjs ./healthcheck.mjs
USER node
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["node", "healthcheck.mjs"]
CMD ["node", "dist/proxmox-mcp.js"]
