# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# memcg.sh -- a memory cgroup per measured process, for bench/run's idle
# workload and bench/idle_ports. Source it (bash).
#
# VmRSS counts user-space pages only. A thread also costs kernel memory
# (its kernel stack, task structures, page tables, VMAs), and a socket or
# a pipe its kernel objects; a memory cgroup charges all of it to the
# process that allocated it. Start the process inside its own cgroup
# (charges are not moved when a process moves) and read the counter
# before and after:
#
#   cg=$(memcg_new NAME) || ...
#   memcg_prefix "$cg"
#   "${MEMCG_PFX[@]}" cmd args &     # cmd runs inside cg (exec, same pid)
#   memcg_read "$cg"                 # "TOTAL KERNEL" in bytes
#   memcg_del "$cg"                  # once cmd has exited
#
# cgroup v2: memory.current, and the "kernel" line of memory.stat (or the
# sum of its kernel_stack, pagetables, percpu, sock and slab lines on
# kernels without it). v1: memory.usage_in_bytes and
# memory.kmem.usage_in_bytes (v1 charges kernel memory to the usage too;
# it leaves socket buffers out unless memory.kmem.tcp is limited, and an
# idle connection holds none). MEMCG_VERSION says which, "none" when
# neither can be used; memcg_new then fails.

MEMCG_VERSION=none
MEMCG_PARENT=""

memcg_init() {
	local rel
	if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
		# Processes live in leaves: a child of the root cgroup, whose
		# subtree_control must hand down the memory controller.
		grep -qw memory /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null ||
		    echo +memory >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
		grep -qw memory /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null ||
		    return 1
		MEMCG_VERSION=v2
		MEMCG_PARENT=/sys/fs/cgroup
	elif [ -f /sys/fs/cgroup/memory/memory.usage_in_bytes ]; then
		# Below our own cgroup, so that its limits still hold.
		rel=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' \
		    /proc/self/cgroup)
		MEMCG_VERSION=v1
		MEMCG_PARENT=/sys/fs/cgroup/memory${rel%/}
		[ -f "$MEMCG_PARENT/memory.kmem.usage_in_bytes" ] || {
			MEMCG_VERSION=none
			return 1
		}
	else
		return 1
	fi
	return 0
}

# memcg_new NAME: a fresh cgroup; prints its directory.
memcg_new() {
	local d=$MEMCG_PARENT/$1
	[ "$MEMCG_VERSION" != none ] || return 1
	[ -d "$d" ] && rmdir "$d" 2>/dev/null
	mkdir "$d" || return 1
	echo "$d"
}

# memcg_prefix DIR: MEMCG_PFX, a command prefix that joins DIR and execs
# the rest (so the pid stays the same); empty for an empty DIR. Put it
# before "ip netns exec", whose fresh /sys has no cgroup file system.
memcg_prefix() {
	MEMCG_PFX=()
	[ -n "$1" ] || return 0
	MEMCG_PFX=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$1")
}

# memcg_read DIR: "TOTAL KERNEL", bytes charged to DIR now.
memcg_read() {
	local d=$1
	case $MEMCG_VERSION in
	v1)
		echo "$(cat "$d/memory.usage_in_bytes")" \
		    "$(cat "$d/memory.kmem.usage_in_bytes")"
		;;
	v2)
		awk -v cur="$(cat "$d/memory.current")" '
		    $1 == "kernel" { k = $2; have = 1 }
		    $1 ~ /^(kernel_stack|pagetables|sec_pagetables|percpu|sock|slab)$/ {
			sum += $2 }
		    END { print cur, (have ? k : sum) }' "$d/memory.stat"
		;;
	*)
		return 1
		;;
	esac
}

# memcg_del DIR: remove it once its processes are gone (waits up to 5 s).
memcg_del() {
	local d=$1 i
	[ -n "$d" ] && [ -d "$d" ] || return 0
	for i in $(seq 50); do
		rmdir "$d" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "memcg: cannot remove $d" >&2
	return 1
}
