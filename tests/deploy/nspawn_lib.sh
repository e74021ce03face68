# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tests/deploy/nspawn_lib.sh -- boot a real systemd in a throwaway
# systemd-nspawn container: the recipe of /work/shared/systemd-nspawn.md,
# as nspawn.sh runs it. Its root is a copy-on-write overlay of this
# machine's own / (upper layer on a tmpfs, so nothing reaches the disk),
# with a private network namespace.
#
#   nspawn_init DIR MACHINE   scratch directory and a machine name no
#                             other test uses at the same time
#   nspawn_boot SHARE         boot; SHARE is bound read-only at
#                             /mnt/deploy; sets L, the container's PID 1
#   in_c CMD...               run CMD in the container
#   nspawn_run SHARE CMD...   run CMD in another container, not booted
#   nspawn_cleanup            halt it and undo the mounts (EXIT trap)

NS_D=""
NS_MACHINE=""
NS_CG=""
NS_PID=""
NS_MOUNTED_CG=""
L=""

nspawn_init() {
	NS_D=$1
	NS_MACHINE=$2
	NS_CG=$2
}

in_c() { nsenter -t "$L" -a "$@"; }

nspawn_cleanup() {
	if [ -n "$NS_PID" ] && kill -0 "$NS_PID" 2>/dev/null; then
		kill -TERM "$NS_PID" 2>/dev/null || true
		for _ in $(seq 100); do
			kill -0 "$NS_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$NS_PID" 2>/dev/null || true
		wait "$NS_PID" 2>/dev/null || true
	fi
	for m in "$NS_D/run/root" "$NS_D/run/ovl" "$NS_D/root"; do
		mountpoint -q "$m" && { umount "$m" || umount -l "$m"; }
	done
	mountpoint -q "$NS_D/ovl" &&
	    { umount "$NS_D/ovl" || umount -l "$NS_D/ovl"; }
	for h in unified systemd; do
		[ -d "/sys/fs/cgroup/$h/$NS_CG" ] &&
		    find "/sys/fs/cgroup/$h/$NS_CG" -depth -type d \
		    -exec rmdir {} \; 2>/dev/null
	done
	for m in $NS_MOUNTED_CG; do umount "$m" || true; done
	return 0
}

nspawn_boot() {
	local share=$1 state="" h
	# The machine's cgroups: hybrid here; mount the halves only if
	# missing.
	if ! mountpoint -q /sys/fs/cgroup/systemd; then
		mkdir -p /sys/fs/cgroup/systemd
		mount -t cgroup -o none,name=systemd cgroup \
		    /sys/fs/cgroup/systemd
		NS_MOUNTED_CG="/sys/fs/cgroup/systemd"
	fi
	if ! mountpoint -q /sys/fs/cgroup/unified; then
		mkdir -p /sys/fs/cgroup/unified
		mount -t cgroup2 none /sys/fs/cgroup/unified
		NS_MOUNTED_CG="/sys/fs/cgroup/unified $NS_MOUNTED_CG"
	fi
	# nspawn 252 wants both halves of its cgroup to exist up front.
	for h in unified systemd; do
		mkdir -p "/sys/fs/cgroup/$h/$NS_CG/payload" \
		    "/sys/fs/cgroup/$h/$NS_CG/supervisor"
	done
	# dpkg -i needs a writable /usr and /var/lib/dpkg: an overlay of /.
	mkdir -p "$NS_D/ovl" "$NS_D/root"
	mount -t tmpfs -o size=768m mmpd-ovl "$NS_D/ovl"
	mkdir "$NS_D/ovl/upper" "$NS_D/ovl/work"
	mount -t overlay mmpd-root -o \
	    "lowerdir=/,upperdir=$NS_D/ovl/upper,workdir=$NS_D/ovl/work" \
	    "$NS_D/root"
	# This machine's policy-rc.d forbids starting services; the
	# container must show what the package itself does.
	rm -f "$NS_D/root/usr/sbin/policy-rc.d"
	systemd-id128 new >"$NS_D/machine-id"
	# basic.target: the machine's own enabled services stay down.
	setsid bash -c "echo \$\$ > /sys/fs/cgroup/unified/$NS_CG/cgroup.procs
	    echo \$\$ > /sys/fs/cgroup/systemd/$NS_CG/cgroup.procs
	    exec systemd-nspawn --register=no --keep-unit -M $NS_MACHINE \
	    -D $NS_D/root --private-network --console=pipe \
	    --bind-ro=$NS_D/machine-id:/etc/machine-id \
	    --bind-ro=$share:/mnt/deploy \
	    -b -- systemd.unit=basic.target \
	    systemd.mask=systemd-networkd-wait-online.service \
	    systemd.mask=systemd-firstboot.service \
	    systemd.mask=systemd-machine-id-commit.service" \
	    >"$NS_D/nspawn.log" 2>&1 </dev/null &
	NS_PID=$!
	for _ in $(seq 100); do
		L=$(pgrep -P "$NS_PID" -x systemd || true)
		[ -n "$L" ] && break
		sleep 0.1
	done
	if [ -z "$L" ]; then
		cat "$NS_D/nspawn.log" >&2
		echo "container did not boot" >&2
		return 1
	fi
	for _ in $(seq 100); do
		state=$(in_c systemctl is-system-running 2>/dev/null || true)
		case $state in running|degraded) break ;; esac
		sleep 0.1
	done
	if [ "$state" != running ]; then
		in_c systemctl --failed --no-pager >&2
		echo "boot: $state" >&2
		return 1
	fi
}

# nspawn_run SHARE CMD...: run CMD, without systemd, in another throwaway
# overlay of / (SHARE at /mnt/deploy, a private network namespace), as a
# SysV machine would: no /run/systemd/system. Returns CMD's status.
nspawn_run() {
	local share=$1 d=$NS_D/run rc
	shift
	mkdir -p "$d/ovl" "$d/root"
	mount -t tmpfs -o size=768m mmpd-run "$d/ovl" || return 1
	mkdir "$d/ovl/upper" "$d/ovl/work"
	mount -t overlay mmpd-run-root -o \
	    "lowerdir=/,upperdir=$d/ovl/upper,workdir=$d/ovl/work" "$d/root"
	rm -f "$d/root/usr/sbin/policy-rc.d"
	systemd-nspawn --register=no --keep-unit -q -D "$d/root" \
	    --private-network --console=pipe --bind-ro="$share:/mnt/deploy" \
	    -- "$@" </dev/null
	rc=$?
	umount "$d/root" || umount -l "$d/root"
	umount "$d/ovl" || umount -l "$d/ovl"
	return $rc
}
