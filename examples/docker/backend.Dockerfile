# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# backend.Dockerfile -- the example's service: python3 and iproute2 (for
# the reply route that backend-entrypoint.sh sets).
ARG BASE_IMAGE=debian:12-slim
FROM ${BASE_IMAGE}
RUN set -e; need=""; \
    for p in iproute2 python3; do \
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | \
            grep -q "install ok installed" || need="$need $p"; \
    done; \
    if [ -n "$need" ]; then apt-get update && \
        apt-get install -y --no-install-recommends $need && \
        rm -rf /var/lib/apt/lists/*; fi
COPY backend-entrypoint.sh /usr/local/bin/backend-entrypoint
COPY backend.py /srv/backend.py
ENTRYPOINT ["/bin/sh", "/usr/local/bin/backend-entrypoint"]
CMD ["python3", "-u", "/srv/backend.py"]
