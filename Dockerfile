# The image the Procfile's processes run from (docker-compose.yml). Not built in CI: this machine has
# no Docker engine.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/drizzle ./drizzle
COPY --from=build /app/config ./config
# The GitHub App manifests /setup posts to GitHub.
COPY --from=build /app/deploy/github-apps ./deploy/github-apps
COPY package.json Procfile ./
# docker-compose.yml's simulator writes the Apps' keys here for the workers (owned by `node`).
RUN mkdir /sim && chown node:node /sim
USER node
CMD ["node", "dist/web.js"]
