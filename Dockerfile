# Ocean's container image: `ocean` with every extra ([all]: PostgreSQL, Kafka, Redis).
#   docker build -t ocean .
#   docker run --rm -v "$PWD/my-integration:/integration" ocean sail --once
# Mount (or COPY, in an image of your own FROM this one) the integration folder at
# /integration, the working directory; the default command serves it (POLLING listener,
# HTTP server on port 8000). See docs/deploying.md.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

COPY pyproject.toml README.md /tmp/ocean/
COPY ocean /tmp/ocean/ocean
COPY port_ocean /tmp/ocean/port_ocean
RUN pip install "/tmp/ocean[all]" \
    && rm -rf /tmp/ocean \
    && useradd --create-home --uid 10001 ocean \
    && mkdir /integration \
    && chown ocean /integration

USER ocean
WORKDIR /integration
EXPOSE 8000
ENTRYPOINT ["ocean"]
CMD ["sail", ".", "--host", "0.0.0.0", "--port", "8000"]
