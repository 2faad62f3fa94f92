# codeidx serve: the search API, the web page and the GitHub App webhook in one container.
# Mirrors what CI runs: `npm ci` (native builds approved in package.json "allowScripts"),
# `npm run build`, then `node dist/cli/index.js serve`.
#
#   docker build -t codeidx .
#   docker run -p 8080:8080 -v "$PWD/.codeidx:/data:ro" \
#     -e CODEIDX_STORE=/data/index-lexical.db -e CODEIDX_PUBLIC_REPOS='*/*' codeidx

# ---- build: compiles better-sqlite3 and the TypeScript sources ----------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ git ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# CPU image: the CPU onnxruntime binary ships inside the npm package; skip the CUDA download.
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json ./
RUN npm ci --no-fund --no-audit
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/bundle-action.mjs ./scripts/bundle-action.mjs
COPY models ./models
RUN npm run build && npm prune --omit=dev --no-fund --no-audit

# ---- runtime: glibc slim image (onnxruntime-node needs glibc), non-root -------------------------
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Model files (the built-in model) and the tree-sitter grammars (in node_modules) are baked in.
COPY --from=build /app/models ./models
USER node
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/cli/index.js"]
CMD ["serve"]
