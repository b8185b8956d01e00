# One image per service, built from the repository root with the service's name and port:
#   docker build --build-arg SERVICE=registry --build-arg PORT=8001 -t jifang/registry:<version> .
# (gateway 8000, registry 8001, ingest 8002, retention 8003; deploy/k8s/README.md).
# Pinned base (bump deliberately, with its digest in the deployment's image policy).
FROM python:3.11.7-slim-bookworm AS build
ARG SERVICE
ARG PORT
RUN : "${SERVICE:?--build-arg SERVICE=registry|ingest|retention|gateway}" "${PORT:?--build-arg PORT=<its port>}"
# The runtime dependencies only (no broker, simulator or test tools), as wheels, each checked
# against its hash in the lock.
COPY requirements.lock /tmp/requirements.lock
RUN python -m venv /venv \
 && /venv/bin/pip install --no-cache-dir --require-hashes --no-deps --only-binary=:all: -r /tmp/requirements.lock

FROM python:3.11.7-slim-bookworm
ARG SERVICE
ARG PORT
# Non-root, with a read-only root filesystem in Kubernetes: nothing is written outside the
# mounted volumes.
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin jifang
COPY --from=build /venv /venv
# The shared library, the topic catalogue and this service alone: no other service's code.
COPY jifang /app/jifang
COPY proto/topics.yaml /app/proto/topics.yaml
COPY services/__init__.py /app/services/__init__.py
COPY services/${SERVICE} /app/services/${SERVICE}
WORKDIR /app
ENV PATH=/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 JIFANG_SERVICE=${SERVICE} JIFANG_PORT=${PORT}
USER 10001
EXPOSE ${PORT}
# Docker cannot upper-case a build argument: the shell names the service's own settings
# (REGISTRY_HOST, REGISTRY_PORT ...), listening on every interface of the container.
CMD ["sh", "-c", "prefix=$(echo \"$JIFANG_SERVICE\" | tr a-z A-Z); export \"${prefix}_HOST=0.0.0.0\" \"${prefix}_PORT=$JIFANG_PORT\"; exec python -m \"services.$JIFANG_SERVICE\""]
