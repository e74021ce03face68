# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# scripts/deps.sh -- Debian packages by purpose, installed only when missing.
# Sourced by scripts/check, scripts/demo, bench/run and .ci/run.

deps_build="autoconf automake libtool pkg-config make gcc libcunit1-dev"
deps_test="iproute2 nftables haproxy python3 mandoc clang libclang-rt-14-dev valgrind procps psmisc nginx-light libnginx-mod-stream util-linux libcap2-bin prometheus"
deps_bench="go-mmproxy gnuplot-nox iproute2 procps util-linux"
# scripts/package: build, lint and test the .deb (on Debian 12 or 13).
deps_package="build-essential dpkg-dev debhelper fakeroot lintian autopkgtest logrotate git python3 iproute2 procps"
# tests/deploy/: the package too, then systemd in nspawn, docker, trixie.
deps_deploy="$deps_package systemd-container debootstrap docker.io docker-compose haproxy"

deps_install() {
	pkgs=""
	for purpose in "$@"; do
		eval "pkgs=\"\$pkgs \$deps_$purpose\""
	done
	missing=""
	for p in $pkgs; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		    grep -q "install ok installed" || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "missing packages:$missing (run as root to install them)" >&2
		return 1
	fi
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
}
