# One image for every Tandem service; docker-compose.yml (and k8s) pick the service by its command.
# The services run from source with tsx, as `pnpm start` does.
FROM node:20-bookworm-slim
WORKDIR /app
RUN npm install --global pnpm@12.21.0
COPY . .
RUN pnpm install --frozen-lockfile
ENV HOST=0.0.0.0 NODE_ENV=production
# services/<name>/src/main.ts, e.g. `docker run tandem collab-worker`.
ENTRYPOINT ["sh", "-c", "exec node --conditions=@tandem/source --import tsx services/$0/src/main.ts"]
CMD ["standalone"]
