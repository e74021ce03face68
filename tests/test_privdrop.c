/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_privdrop.c -- unit tests for src/privdrop.c: the /proc/<pid>/status
 * parser, and the one failure of privdrop_to_user that changes nothing.
 * The drop itself needs root and is checked by tests/functional/
 * privdrop.sh against the running daemon.
 */

#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "privdrop.h"
#include "test_suites.h"

/* Trimmed from a real 6.x root shell; the lines around the ones we read. */
static const char root_status[] =
    "Name:\tcat\n"
    "Umask:\t0022\n"
    "State:\tR (running)\n"
    "Tgid:\t8651\n"
    "Uid:\t0\t0\t0\t0\n"
    "Gid:\t0\t0\t0\t0\n"
    "FDSize:\t256\n"
    "Groups:\t \n"
    "SigCgt:\t0000000000000000\n"
    "CapInh:\t0000000000000000\n"
    "CapPrm:\t000001fffeffffff\n"
    "CapEff:\t000001fffeffffff\n"
    "CapBnd:\t000001fffeffffff\n"
    "CapAmb:\t0000000000000000\n"
    "NoNewPrivs:\t0\n"
    "Seccomp:\t0\n"
    "Cpus_allowed_list:\t0-1\n";

/* What mmproxyd -user nobody should look like. */
static const char dropped_status[] =
    "Name:\tmmproxyd\n"
    "Uid:\t65534\t65534\t65534\t65534\n"
    "Gid:\t65534\t65534\t65534\t65534\n"
    "Groups:\t65534 \n"
    "CapInh:\t0000000000000000\n"
    "CapPrm:\t0000000000001000\n"
    "CapEff:\t0000000000001000\n"
    "CapBnd:\t0000000000001000\n"
    "CapAmb:\t0000000000000000\n"
    "NoNewPrivs:\t1\n";

/* dropped_status with one line replaced by repl (NULL: removed). */
static char *
status_with(const char *key, const char *repl)
{
	static char	 buf[1024];
	const char	*p, *eol;
	size_t		 off = 0, klen = strlen(key), n;

	for (p = dropped_status; *p != '\0'; p = eol + 1) {
		eol = strchr(p, '\n');
		n = (size_t)(eol - p + 1);
		if (strncmp(p, key, klen) == 0 && p[klen] == ':') {
			if (repl != NULL)
				off += (size_t)snprintf(buf + off,
				    sizeof(buf) - off, "%s\n", repl);
			continue;
		}
		memcpy(buf + off, p, n);
		off += n;
	}
	buf[off] = '\0';
	return (buf);
}

static void
test_privdrop_status_parse_reads_a_root_status(void)
{
	struct privdrop_status	st;
	int			i;

	CU_ASSERT_EQUAL_FATAL(privdrop_status_parse(root_status, &st), 0);
	for (i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(st.uid[i], 0);
		CU_ASSERT_EQUAL(st.gid[i], 0);
	}
	CU_ASSERT_EQUAL(st.cap_inh, 0);
	CU_ASSERT_EQUAL(st.cap_prm, UINT64_C(0x000001fffeffffff));
	CU_ASSERT_EQUAL(st.cap_eff, UINT64_C(0x000001fffeffffff));
	CU_ASSERT_EQUAL(st.cap_bnd, UINT64_C(0x000001fffeffffff));
	CU_ASSERT_EQUAL(st.cap_amb, 0);
	CU_ASSERT_EQUAL(st.no_new_privs, 0);
}

static void
test_privdrop_status_parse_reads_a_dropped_status(void)
{
	struct privdrop_status	st;
	int			i;

	CU_ASSERT_EQUAL_FATAL(privdrop_status_parse(dropped_status, &st), 0);
	for (i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(st.uid[i], 65534);
		CU_ASSERT_EQUAL(st.gid[i], 65534);
	}
	CU_ASSERT_EQUAL(st.cap_prm, UINT64_C(1) << 12);
	CU_ASSERT_EQUAL(st.cap_eff, UINT64_C(1) << 12);
	CU_ASSERT_EQUAL(st.cap_bnd, UINT64_C(1) << 12);
	CU_ASSERT_EQUAL(st.no_new_privs, 1);
}

static void
test_privdrop_status_parse_tells_real_from_effective_ids(void)
{
	struct privdrop_status	st;

	CU_ASSERT_EQUAL_FATAL(privdrop_status_parse(
	    status_with("Uid", "Uid:\t1\t2\t3\t4"), &st), 0);
	CU_ASSERT_EQUAL(st.uid[0], 1);
	CU_ASSERT_EQUAL(st.uid[1], 2);
	CU_ASSERT_EQUAL(st.uid[2], 3);
	CU_ASSERT_EQUAL(st.uid[3], 4);
	CU_ASSERT_EQUAL(st.gid[0], 65534);
}

static void
test_privdrop_status_parse_does_without_capamb_and_nonewprivs(void)
{
	struct privdrop_status	st;
	char			text[1024];

	/* Kernels before 4.3 and 4.10 print neither line. */
	snprintf(text, sizeof(text), "%s", status_with("CapAmb", NULL));
	CU_ASSERT_EQUAL_FATAL(privdrop_status_parse(
	    status_with("NoNewPrivs", NULL), &st), 0);
	CU_ASSERT_EQUAL(st.no_new_privs, -1);
	CU_ASSERT_EQUAL_FATAL(privdrop_status_parse(text, &st), 0);
	CU_ASSERT_EQUAL(st.cap_amb, 0);
}

static void
test_privdrop_status_parse_needs_every_required_line(void)
{
	static const char	*keys[] = { "Uid", "Gid", "CapInh", "CapPrm",
				    "CapEff", "CapBnd" };
	struct privdrop_status	 st;
	size_t			 i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		errno = 0;
		CU_ASSERT_EQUAL(privdrop_status_parse(status_with(keys[i],
		    NULL), &st), -1);
		CU_ASSERT_EQUAL(errno, EINVAL);
	}
	CU_ASSERT_EQUAL(privdrop_status_parse("", &st), -1);
}

static void
test_privdrop_status_parse_rejects_malformed_lines(void)
{
	static const char	*bad[][2] = {
		{ "CapEff", "CapEff:\t00000000000010zz" },
		{ "CapEff", "CapEff:\t" },
		{ "CapEff", "CapEff:\t0x1000" },
		{ "CapEff", "CapEff:\t00000000000000001000" },	/* 17+ digits */
		{ "CapPrm", "CapPrm:\t-1" },
		{ "Uid", "Uid:\t0\t0\t0" },
		{ "Uid", "Uid:\t0\t0\t0\t0\t0" },
		{ "Gid", "Gid:\t0\t0\tx\t0" },
		{ "Gid", "Gid:\t0\t0\t0\t99999999999" },
		{ "NoNewPrivs", "NoNewPrivs:\t2" },
		{ "NoNewPrivs", "NoNewPrivs:" },
	};
	struct privdrop_status	 st;
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		if (privdrop_status_parse(status_with(bad[i][0], bad[i][1]),
		    &st) != -1 || errno != EINVAL)
			CU_FAIL(bad[i][1]);
	}
}

static void
test_privdrop_status_parse_reads_the_last_line_without_newline(void)
{
	struct privdrop_status	st;
	char			text[1024];
	size_t			n;

	n = (size_t)snprintf(text, sizeof(text), "%s", dropped_status);
	text[n - 1] = '\0';	/* "NoNewPrivs:\t1" ends the text */
	CU_ASSERT_EQUAL_FATAL(privdrop_status_parse(text, &st), 0);
	CU_ASSERT_EQUAL(st.no_new_privs, 1);
}

static void
test_privdrop_status_parse_reads_this_process(void)
{
	struct privdrop_status	 st;
	char			*buf;
	FILE			*f;
	size_t			 n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf = malloc(16384));
	CU_ASSERT_PTR_NOT_NULL_FATAL(f = fopen("/proc/self/status", "r"));
	n = fread(buf, 1, 16383, f);
	buf[n] = '\0';
	CU_ASSERT(fclose(f) == 0);
	CU_ASSERT_EQUAL(privdrop_status_parse(buf, &st), 0);
	CU_ASSERT_EQUAL(st.uid[0], getuid());
	CU_ASSERT_EQUAL(st.uid[1], geteuid());
	CU_ASSERT_EQUAL(st.gid[0], getgid());
	CU_ASSERT_EQUAL(st.gid[1], getegid());
	free(buf);
}

static void
test_privdrop_to_user_refuses_an_unknown_user_and_changes_nothing(void)
{
	char		err[256];
	uid_t		uid = geteuid();
	uint64_t	kept = 42;

	err[0] = '\0';
	errno = 0;
	CU_ASSERT_EQUAL(privdrop_to_user("no-such-user-mmproxyd-test", &kept,
	    err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(kept, 42);
	CU_ASSERT_EQUAL(errno, ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no-such-user-mmproxyd-test"));
	CU_ASSERT_EQUAL(geteuid(), uid);
}

#define NET_ADMIN	(UINT64_C(1) << 12)	/* CAP_NET_ADMIN */
#define NET_BIND	(UINT64_C(1) << 10)	/* CAP_NET_BIND_SERVICE */
#define ALL_CAPS	((UINT64_C(1) << 41) - 1)	/* 0..40, Linux 5.9+ */

static void
test_privdrop_keep_mask_from_root_keeps_net_admin_and_bind(void)
{
	CU_ASSERT_EQUAL(PRIVDROP_NEED, NET_ADMIN);
	CU_ASSERT_EQUAL(PRIVDROP_WANT, NET_ADMIN | NET_BIND);
	CU_ASSERT_EQUAL(privdrop_keep_mask(ALL_CAPS, ALL_CAPS),
	    NET_ADMIN | NET_BIND);
	CU_ASSERT_EQUAL(privdrop_keep_mask(~UINT64_C(0), ~UINT64_C(0)),
	    NET_ADMIN | NET_BIND);
	/* The systemd unit's sets: both, and nothing else. */
	CU_ASSERT_EQUAL(privdrop_keep_mask(NET_ADMIN | NET_BIND,
	    NET_ADMIN | NET_BIND), NET_ADMIN | NET_BIND);
}

/* capsh --drop=cap_net_bind_service, or a unit without it. */
static void
test_privdrop_keep_mask_keeps_no_bind_that_is_gone(void)
{
	CU_ASSERT_EQUAL(privdrop_keep_mask(ALL_CAPS & ~NET_BIND,
	    ALL_CAPS & ~NET_BIND), NET_ADMIN);
	CU_ASSERT_EQUAL(privdrop_keep_mask(ALL_CAPS, ALL_CAPS & ~NET_BIND),
	    NET_ADMIN);
	CU_ASSERT_EQUAL(privdrop_keep_mask(ALL_CAPS & ~NET_BIND, ALL_CAPS),
	    NET_ADMIN);
	CU_ASSERT_EQUAL(privdrop_keep_mask(NET_ADMIN, NET_ADMIN), NET_ADMIN);
}

static void
test_privdrop_keep_mask_without_net_admin_lacks_the_need(void)
{
	CU_ASSERT_EQUAL(privdrop_keep_mask(ALL_CAPS & ~NET_ADMIN, ALL_CAPS) &
	    PRIVDROP_NEED, 0);
	CU_ASSERT_EQUAL(privdrop_keep_mask(ALL_CAPS, ALL_CAPS & ~NET_ADMIN) &
	    PRIVDROP_NEED, 0);
	CU_ASSERT_EQUAL(privdrop_keep_mask(0, 0), 0);
}

/* Whatever the sets hold, nothing beyond PRIVDROP_WANT is kept. */
static void
test_privdrop_keep_mask_never_keeps_more_than_wanted(void)
{
	uint64_t	prm, bnd, x = UINT64_C(0x9e3779b97f4a7c15), keep;
	int		i;

	for (i = 0; i < 1000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		prm = x;
		bnd = x * UINT64_C(0xbf58476d1ce4e5b9);
		keep = privdrop_keep_mask(prm, bnd);
		CU_ASSERT_EQUAL(keep & ~PRIVDROP_WANT, 0);
		CU_ASSERT_EQUAL(keep & ~(prm & bnd), 0);
		CU_ASSERT_EQUAL(keep, PRIVDROP_WANT & prm & bnd);
	}
}

void
test_privdrop_register(void)
{
	CU_pSuite	s = test_suite_add("privdrop");

	test_add(s, "status parser reads a root status",
	    test_privdrop_status_parse_reads_a_root_status);
	test_add(s, "status parser reads a dropped status",
	    test_privdrop_status_parse_reads_a_dropped_status);
	test_add(s, "status parser tells real from effective ids",
	    test_privdrop_status_parse_tells_real_from_effective_ids);
	test_add(s, "status parser does without CapAmb and NoNewPrivs",
	    test_privdrop_status_parse_does_without_capamb_and_nonewprivs);
	test_add(s, "status parser needs every required line",
	    test_privdrop_status_parse_needs_every_required_line);
	test_add(s, "status parser rejects malformed lines",
	    test_privdrop_status_parse_rejects_malformed_lines);
	test_add(s, "status parser reads the last line without newline",
	    test_privdrop_status_parse_reads_the_last_line_without_newline);
	test_add(s, "status parser reads this process",
	    test_privdrop_status_parse_reads_this_process);
	test_add(s, "refuses an unknown user and changes nothing",
	    test_privdrop_to_user_refuses_an_unknown_user_and_changes_nothing);
	test_add(s, "keep mask from root: NET_ADMIN and NET_BIND_SERVICE",
	    test_privdrop_keep_mask_from_root_keeps_net_admin_and_bind);
	test_add(s, "keep mask keeps no NET_BIND_SERVICE that is gone",
	    test_privdrop_keep_mask_keeps_no_bind_that_is_gone);
	test_add(s, "keep mask without NET_ADMIN lacks the need",
	    test_privdrop_keep_mask_without_net_admin_lacks_the_need);
	test_add(s, "keep mask never keeps more than wanted",
	    test_privdrop_keep_mask_never_keeps_more_than_wanted);
}
