# One image for every Tsunagu service; the command chooses which one runs (default: everything in one process, as `npm start`).
FROM node:20-bookworm-slim AS manifests
WORKDIR /src
COPY . .
# Only the lockfile and the package manifests, so the dependency layer is rebuilt only when they change.
RUN mkdir /manifests \
 && cp package-lock.json /manifests/ \
 && find . -name node_modules -prune -o -name package.json -print | xargs -I{} cp --parents {} /manifests/

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=manifests /manifests/ ./
# Development dependencies are included: services run their TypeScript through tsx.
RUN npm ci --no-audit --no-fund && npm cache clean --force
COPY . .
# Files stay owned by root (read-only for the service); only the embedded engine's DATA_DIR is writable.
RUN mkdir /data && chown node:node /data
ENV NODE_ENV=production DATA_DIR=/data
USER node
EXPOSE 4000
# The command picks the service: gateway/src/main.ts, subgraphs/<name>/src/main.ts, or scripts/start.ts (all in one process).
CMD ["node", "--require", "tsx/cjs", "scripts/start.ts"]
