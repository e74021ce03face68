#!/bin/bash
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tests/deploy/docker.sh -- examples/docker/ for real: builds the image and
# runs the three-container compose example (HAProxy send-proxy-v2 ->
# mmproxyd -mark -> backend) under a private dockerd, then checks that the
# backend saw the client's own address, over IPv4 and IPv6. The image is
# built from a copy of this tree configured and built in place, as a
# developer's may be (.dockerignore keeps that out of the context). Then
# the image alone: it refuses to run without -allowed-subnets (unless
# MMPROXYD_ALLOW_ALL=1), its default command has one and turns healthy,
# and the health check follows -p udp and the -l port.
#
# No registry here: the base image is debootstrapped and imported as
# local/debian:12. The dockerd has its own data-root, exec-root, socket and
# pidfile under a temp dir, no default bridge and no iptables/NAT; the
# compose network uses documentation ranges only. Everything is removed at
# the end, on failure too.
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
t0=$(date +%s)
T=$(mktemp -d /tmp/mmpd-docker.XXXXXX)
export DOCKER_HOST=unix://$T/docker.sock
P=mmpdtest$$
dpid=""
S=$T/src
compose() {
	docker-compose -p "$P" -f "$S/examples/docker/compose.yaml" \
	    -f "$top/tests/deploy/compose.test.yaml" "$@"
}
cleanup() {
	rc=$?
	if [ -n "$dpid" ] && kill -0 "$dpid" 2>/dev/null; then
		[ $rc = 0 ] || compose logs --no-color 2>/dev/null | tail -n 40
		compose down -v --rmi all -t 5 >/dev/null 2>&1 || true
		docker rmi -f local/debian:12 >/dev/null 2>&1 || true
		docker system prune -af >/dev/null 2>&1 || true
		# dockerd's own containerd outlives it briefly and would
		# recreate its exec-root: wait for both.
		cpid=$(pgrep -P "$dpid" -x containerd || true)
		kill -TERM "$dpid"
		for p in "$dpid" $cpid; do
			for _ in $(seq 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
			kill -KILL "$p" 2>/dev/null || true
		done
	fi
	# Whatever dockerd left mounted under its roots.
	# (A trap under set -e and pipefail: a grep that finds nothing must
	# not end the cleanup here, leaving $T behind.)
	{ grep -o " $T/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m" || true
	done
	mountpoint -q "$T/base/proc" && umount "$T/base/proc"
	# (Something of dockerd's recreates exec-root for a moment after it
	# exits: remove until it stays gone.)
	for _ in 1 2 3 4 5; do
		rm -rf "$T" 2>/dev/null
		sleep 1
		[ -e "$T" ] || break
	done
	echo "docker test: $(( $(date +%s) - t0 )) s, exit $rc"
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== [$(( $(date +%s) - t0 ))s] $*"; }

step "debootstrap bookworm (minbase, iproute2) and the test's tools"
debootstrap --variant=minbase --include=iproute2 bookworm "$T/base" \
    http://deb.debian.org/debian >"$T/debootstrap.log" 2>&1 ||
    { tail -n 20 "$T/debootstrap.log"; fail debootstrap; }
chroot "$T/base" sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y \
    -qq --no-install-recommends gcc libc6-dev make autoconf automake \
    pkg-config python3 haproxy nftables && apt-get clean' \
    >"$T/chroot.log" 2>&1 || { tail -n 20 "$T/chroot.log"; fail "apt in chroot"; }

step "a copy of the tree, configured and built in place"
scripts/tree-copy "$S"
(cd "$S" && autoreconf -fi && ./configure -q && make -j2 mmproxyd) \
    >"$T/inplace.log" 2>&1 ||
    { tail -n 20 "$T/inplace.log"; fail "in-place build"; }
[ -f "$S/config.status" ] || fail "the copy is not configured in place"

step "dockerd (no bridge, no iptables) under $T"
dockerd --bridge=none --iptables=false --ip6tables=false \
    --data-root "$T/data" --exec-root "$T/exec" --pidfile "$T/docker.pid" \
    -H "$DOCKER_HOST" >"$T/dockerd.log" 2>&1 &
dpid=$!
for _ in $(seq 100); do docker info >/dev/null 2>&1 && break; sleep 0.2; done
docker info >/dev/null 2>&1 || { tail -n 20 "$T/dockerd.log"; fail "dockerd did not start"; }
docker version --format 'docker {{.Server.Version}}'

step "docker import local/debian:12"
tar -C "$T/base" -c . | docker import - local/debian:12 >/dev/null
rm -rf "$T/base"

step "docker-compose build and up (from the configured copy)"
compose build >"$T/build.log" 2>&1 || { tail -n 40 "$T/build.log"; fail "build"; }
compose up -d 2>&1 | tail -n 5
compose ps
for _ in $(seq 100); do
	h=$(docker inspect -f '{{.State.Health.Status}}' "$(compose ps -q mmproxyd)" || true)
	[ "$h" = healthy ] && break
	sleep 0.2
done
echo "mmproxyd container: $h"
[ "$h" = healthy ] || fail "mmproxyd not healthy"
docker exec "$(compose ps -q mmproxyd)" sh -c 'ip rule; ip -6 rule; ip -6 route show table 123; cat /proc/net/if_inet6; ps -o user=,args= -C mmproxyd 2>/dev/null || true'

client() {	# HOST: connect to HAProxy from this machine's bridge address
	python3 - "$1" <<'PY'
import socket, sys, time
for i in range(10):
    try:
        c = socket.create_connection((sys.argv[1], 8080), timeout=3)
        c.sendall(b"hello\n")
        f = c.makefile("rb")
        print(f.readline().decode().strip(), "/", f.readline().decode().strip())
        break
    except OSError as e:
        err = e
        time.sleep(0.2)
else:
    print("error", err)
PY
}
step "client -> HAProxy 198.51.100.10:8080 and [2001:db8:1::10]:8080"
r4=$(client 198.51.100.10)
r6=$(client 2001:db8:1::10)
echo "IPv4: $r4"
echo "IPv6: $r6"
compose logs --no-color backend | tail -n 5
for c in mmproxyd backend; do
	echo "-- $c"
	docker exec "$(compose ps -q $c)" sh -c 'ss -tan; ip -6 rule; ip -6 neigh'
done
[ "$r4" = "peer 198.51.100.1 / hello" ] || fail "IPv4: $r4"
[ "$r6" = "peer 2001:db8:1::1 / hello" ] || fail "IPv6: $r6"
compose logs --no-color backend | grep -c "peer 198.51.100.1 " >/dev/null ||
    fail "backend log"
compose config | awk '/^  haproxy:/ { h = 1; next } /^  [a-z]/ { h = 0 }
    h && /depends_on/ { d = 1 } h && d && /mmproxyd/ { ok = 1 }
    END { exit !ok }' || fail "haproxy does not depend on mmproxyd"

# The image on its own, in containers without a network (loopback only).
img=mmproxyd:example
run() { docker run -d --cap-add NET_ADMIN --network none "$@"; }
healthy() {	# CONTAINER: up to 20 s
	for _ in $(seq 100); do
		h=$(docker inspect -f '{{.State.Health.Status}}' "$1" || true)
		[ "$h" = healthy ] && return 0
		sleep 0.2
	done
	docker logs "$1" 2>&1 | tail -n 5
	return 1
}
step "the image refuses to run without -allowed-subnets"
set +e
out=$(docker run --rm --cap-add NET_ADMIN --network none "$img" \
    -l 0.0.0.0:8443 -4 127.0.0.1:8080 2>&1)
rc=$?
set -e
echo "exit $rc: $out"
[ "$rc" = 2 ] && echo "$out" | grep -q 'no -allowed-subnets' ||
    fail "it ran without -allowed-subnets"
c=$(run -e MMPROXYD_ALLOW_ALL=1 "$img" -l 0.0.0.0:8443 -4 127.0.0.1:8080)
healthy "$c" || fail "MMPROXYD_ALLOW_ALL=1 does not run it"
docker rm -f "$c" >/dev/null
step "the default command has an allow-list and turns healthy"
docker inspect -f '{{json .Config.Cmd}}' "$img"
docker inspect -f '{{json .Config.Cmd}}' "$img" | grep -q allowed-subnets ||
    fail "the default command has no -allowed-subnets"
c=$(run "$img")
healthy "$c" || fail "the default command is not healthy"
docker rm -f "$c" >/dev/null
step "the health check follows -p udp and the -l port"
c=$(run "$img" -p udp -l 0.0.0.0:5353 -4 127.0.0.1:53 \
    -allowed-subnets /etc/mmproxyd/allowed-subnets.txt)
healthy "$c" || fail "-p udp -l :5353 is not healthy"
docker rm -f "$c" >/dev/null
c=$(run "$img" -l 0.0.0.0:9443 -4 127.0.0.1:8080 \
    -allowed-subnets /etc/mmproxyd/allowed-subnets.txt)
healthy "$c" || fail "-l :9443 is not healthy"
docker rm -f "$c" >/dev/null
step "ok: the backend saw the client's own addresses through HAProxy and mmproxyd"
