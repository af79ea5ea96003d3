# The stand-in for node:24-bookworm-slim that scripts/container/base-images.sh builds: its build
# context holds the project's Node binary (`node`) and npm (`npm`). The same paths and user as the
# official image: node and npm in /usr/local, user and group `node` with uid and gid 1000.
ARG BASE
FROM ${BASE}
ARG NODE_VERSION
ENV NODE_VERSION=${NODE_VERSION}
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
  && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
  && node --version && npm --version
CMD ["node"]
