# clarifai-mockserver: the mock as a container. `docker compose up` uses this image with ./fixtures mounted.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Install the package (not editable) from a throw-away build folder; only the installed wheel stays in the image.
WORKDIR /build
COPY pyproject.toml README.md ./
COPY mockserver ./mockserver
RUN pip install --no-cache-dir . && rm -rf /build

# The bundled fixtures, so `docker run` works without a mount; compose mounts ./fixtures over them read-only.
COPY fixtures /fixtures

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin mock
USER mock
WORKDIR /home/mock

EXPOSE 8080
ENTRYPOINT ["clarifai-mock"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080", "--fixtures", "/fixtures"]
