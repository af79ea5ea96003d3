# Two build arguments, for builds without Docker Hub or the public npm registry (the container tests
# set both: scripts/container/build-image.sh): NODE_IMAGE, a stand-in of node:24-bookworm-slim (node
# and npm on the PATH, user node with uid 1000); NPM_REGISTRY, where `npm ci` fetches the packages
# (package-lock.json's integrity checks them; the `node` devDependency's install script fetches its
# platform's binary, by exact version, from the same registry).
ARG NODE_IMAGE=node:24-bookworm-slim

# Build stage: compile TypeScript with the project's toolchain.
FROM ${NODE_IMAGE} AS build
ARG NPM_REGISTRY=https://registry.npmjs.org/
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --registry="${NPM_REGISTRY}"
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY generated ./generated
RUN npm run build && npm prune --omit=dev

# Runtime: only the compiled output and production dependencies, as an unprivileged user.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The try-out's emitter simulator and demo webhook sink (docker-compose.yml); they use dist/ only.
COPY scripts/simulate.mjs scripts/demo-sink.mjs ./scripts/
COPY scripts/simulator ./scripts/simulator
# Without REDIS_URL the embedded store writes to DATA_DIR (./data): writable by the runtime user;
# mount a volume there to keep it across containers.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:8080/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/src/bin.js"]
