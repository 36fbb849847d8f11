# The support-intake app (all roles; ROLE=api|worker|intake to split them). Used by docker-compose.yml.
# Built in two stages: TypeScript is compiled in the first; the image runs the compiled JavaScript with the
# production dependencies only, as an unprivileged user.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs ./scripts/
COPY src ./src
RUN npm run build

FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/build ./build
COPY templates ./templates
# The embedded database (used only without DATABASE_URL) keeps its data here.
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 3000
CMD ["node", "build/main.js"]
