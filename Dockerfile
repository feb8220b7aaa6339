# The whole local stack of `make dev` in one image: moto's server (with S3's POST-policy checks),
# the local gateway running every function in-process, the web page. `docker compose up` runs it
# (compose.yaml). Not the Lambda runtime: `make sam-dev` runs the built functions in Lambda containers.
ARG BASE_IMAGE=python:3.12-slim
FROM ${BASE_IMAGE}

# PIP_OPTIONS: extra pip arguments, e.g. "--no-index --find-links /app/docker/wheels" to install
# from wheels put into the build context (the tests build this image with no network).
ARG PIP_OPTIONS=""
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
COPY docker/ docker/
COPY layers/core/requirements.txt layers/core/requirements.txt
COPY layers/pillow/requirements.txt layers/pillow/requirements.txt
RUN python3 -m pip install --quiet $PIP_OPTIONS -r docker/requirements.txt \
 && python3 -m pip install --quiet $PIP_OPTIONS --no-deps -r docker/requirements-nodeps.txt \
 && rm -rf docker/wheels

COPY template.yaml ./
COPY local/ local/
COPY layers/ layers/
COPY functions/ functions/
COPY web/ web/

# In a container the stack must listen on every interface: Docker publishes a port by connecting
# to the container's address, not its loopback. Browser-facing URLs still name 127.0.0.1:<port>,
# so publish each port on the host under the same number (compose.yaml does).
ENV LOCAL_BIND_HOST=0.0.0.0 \
    PORT=3000 \
    MOTO_PORT=5070 \
    LOCAL_STATE_DIR=/state \
    LOCAL_PERSIST_STATE=true
EXPOSE 3000 5070
RUN /usr/sbin/useradd --system --home-dir /state --uid 10001 imageapi && mkdir -p /state && chown imageapi /state
# after the chown: a new named volume starts as a copy of this directory, owner included
VOLUME /state
USER imageapi
ENTRYPOINT ["python3", "-m", "local"]
