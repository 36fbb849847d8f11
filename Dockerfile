# The support-intake app (web + workers, see src/main.ts). Used by docker-compose.yml.
FROM node:20-slim

WORKDIR /app
ENV NODE_ENV=production

# Dependencies first so the layer is cached while only the sources change.
# (tsx, which runs the TypeScript sources, is a runtime dependency.)
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

COPY tsconfig.json ./
COPY src ./src
COPY workers ./workers
COPY templates ./templates

EXPOSE 3000
CMD ["npm", "start"]
