/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_allowlist.c -- the shared allow-list and its SIGHUP reload.
 */

#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "allowlist.h"
#include "test_suites.h"

static struct sockaddr_in
v4(const char *ip)
{
	struct sockaddr_in	sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	(void)inet_pton(AF_INET, ip, &sin.sin_addr);
	return (sin);
}

/* Write text to a fresh temp file; its path goes into path. */
static void
write_file(char *path, const char *text)
{
	FILE	*f = fopen(path, "w");

	CU_ASSERT_FATAL(f != NULL);
	fputs(text, f);
	CU_ASSERT_FATAL(fclose(f) == 0);
}

static void
temp_path(char *path, size_t len)
{
	int	fd;

	snprintf(path, len, "/tmp/mmproxyd-allow-XXXXXX");
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd != -1);
	close(fd);
}

static void
test_allowlist_without_a_file_allows_everyone(void)
{
	struct allowlist	al;
	struct sockaddr_in	a = v4("203.0.113.9");
	char			err[256];

	CU_ASSERT_FATAL(allowlist_init(&al, NULL, err, sizeof(err)) == 0);
	CU_ASSERT(allowlist_allows(&al, (struct sockaddr *)&a));
	CU_ASSERT(allowlist_reload(&al, err, sizeof(err)) == 0);
	CU_ASSERT(allowlist_allows(&al, (struct sockaddr *)&a));
	allowlist_free(&al);
}

static void
test_allowlist_init_reads_the_file(void)
{
	struct allowlist	al;
	struct sockaddr_in	a = v4("192.0.2.5"), b = v4("198.51.100.5");
	struct sockaddr_in6	c;
	char			path[64], err[256];

	temp_path(path, sizeof(path));
	write_file(path, "192.0.2.0/24\n# lb\n\n2001:db8::/32\n");
	CU_ASSERT_FATAL(allowlist_init(&al, path, err, sizeof(err)) == 0);
	CU_ASSERT(allowlist_size(&al) == 2);
	CU_ASSERT(allowlist_allows(&al, (struct sockaddr *)&a));
	CU_ASSERT(!allowlist_allows(&al, (struct sockaddr *)&b));
	memset(&c, 0, sizeof(c));
	c.sin6_family = AF_INET6;
	CU_ASSERT_FATAL(inet_pton(AF_INET6, "2001:db8::9", &c.sin6_addr) == 1);
	CU_ASSERT(allowlist_allows(&al, (struct sockaddr *)&c));
	allowlist_free(&al);
	unlink(path);
}

static void
test_allowlist_init_names_the_file_and_line(void)
{
	struct allowlist	al;
	char			path[64], err[256], want[256];

	temp_path(path, sizeof(path));
	write_file(path, "192.0.2.0/24\n\n10.0.0.300/8\n");
	CU_ASSERT(allowlist_init(&al, path, err, sizeof(err)) == -1);
	snprintf(want, sizeof(want), "%s:3: bad subnet \"10.0.0.300/8\"",
	    path);
	CU_ASSERT_STRING_EQUAL(err, want);
	unlink(path);
	CU_ASSERT(allowlist_init(&al, path, err, sizeof(err)) == -1);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	CU_ASSERT_STRING_EQUAL(err, want);
}

/* A truncated file must not shut every load balancer out. */
static void
test_allowlist_init_refuses_a_file_without_subnets(void)
{
	static const char	*empty[] = { "", "\n\n", "# only a comment\n",
				    "  # indented\n\t\n" };
	struct allowlist	 al;
	char			 path[64], err[256], want[256];
	size_t			 i;

	temp_path(path, sizeof(path));
	snprintf(want, sizeof(want), "%s: lists no subnet, which would refuse "
	    "every peer (a truncated file?)", path);
	for (i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		write_file(path, empty[i]);
		err[0] = '\0';
		CU_ASSERT(allowlist_init(&al, path, err, sizeof(err)) == -1);
		CU_ASSERT_STRING_EQUAL(err, want);
	}
	unlink(path);
}

static void
test_allowlist_reload_replaces_the_list(void)
{
	struct allowlist	al;
	struct sockaddr_in	a = v4("192.0.2.5"), b = v4("198.51.100.5");
	char			path[64], err[256];

	temp_path(path, sizeof(path));
	write_file(path, "192.0.2.0/24\n");
	CU_ASSERT_FATAL(allowlist_init(&al, path, err, sizeof(err)) == 0);
	CU_ASSERT(allowlist_allows(&al, (struct sockaddr *)&a));
	CU_ASSERT(!allowlist_allows(&al, (struct sockaddr *)&b));

	write_file(path, "# now only the other one\n198.51.100.0/24\n");
	CU_ASSERT(allowlist_reload(&al, err, sizeof(err)) == 0);
	CU_ASSERT(!allowlist_allows(&al, (struct sockaddr *)&a));
	CU_ASSERT(allowlist_allows(&al, (struct sockaddr *)&b));
	CU_ASSERT(allowlist_size(&al) == 1);
	allowlist_free(&al);
	unlink(path);
}

static void
test_allowlist_reload_with_a_bad_line_keeps_the_old_list(void)
{
	struct allowlist	al;
	struct sockaddr_in	a = v4("192.0.2.5");
	char			path[64], err[256];

	temp_path(path, sizeof(path));
	write_file(path, "192.0.2.0/24\n");
	CU_ASSERT_FATAL(allowlist_init(&al, path, err, sizeof(err)) == 0);

	write_file(path, "198.51.100.0/24\nnot-a-subnet\n");
	err[0] = '\0';
	CU_ASSERT(allowlist_reload(&al, err, sizeof(err)) == -1);
	CU_ASSERT(strstr(err, ":2") != NULL);
	CU_ASSERT(allowlist_allows(&al, (struct sockaddr *)&a));
	unlink(path);
	CU_ASSERT(allowlist_reload(&al, err, sizeof(err)) == -1);
	CU_ASSERT(allowlist_allows(&al, (struct sockaddr *)&a));
	allowlist_free(&al);
}

static void
test_allowlist_reload_of_an_emptied_file_keeps_the_old_list(void)
{
	struct allowlist	al;
	struct sockaddr_in	a = v4("192.0.2.5");
	char			path[64], err[256], want[256];

	temp_path(path, sizeof(path));
	write_file(path, "192.0.2.0/24\n198.51.100.0/24\n");
	CU_ASSERT_FATAL(allowlist_init(&al, path, err, sizeof(err)) == 0);
	write_file(path, "# the subnets were here\n");
	err[0] = '\0';
	CU_ASSERT(allowlist_reload(&al, err, sizeof(err)) == -1);
	snprintf(want, sizeof(want), "%s: lists no subnet, which would refuse "
	    "every peer (a truncated file?)", path);
	CU_ASSERT_STRING_EQUAL(err, want);
	CU_ASSERT(allowlist_size(&al) == 2);
	CU_ASSERT(allowlist_allows(&al, (struct sockaddr *)&a));
	write_file(path, "");
	CU_ASSERT(allowlist_reload(&al, err, sizeof(err)) == -1);
	CU_ASSERT(allowlist_size(&al) == 2);
	allowlist_free(&al);
	unlink(path);
}

void
test_allowlist_register(void)
{
	CU_pSuite	s = test_suite_add("allowlist");

	test_add(s, "without a file allows everyone",
	    test_allowlist_without_a_file_allows_everyone);
	test_add(s, "init reads the file", test_allowlist_init_reads_the_file);
	test_add(s, "init names the file and line",
	    test_allowlist_init_names_the_file_and_line);
	test_add(s, "init refuses a file without subnets",
	    test_allowlist_init_refuses_a_file_without_subnets);
	test_add(s, "reload replaces the list",
	    test_allowlist_reload_replaces_the_list);
	test_add(s, "reload with a bad line keeps the old list",
	    test_allowlist_reload_with_a_bad_line_keeps_the_old_list);
	test_add(s, "reload of an emptied file keeps the old list",
	    test_allowlist_reload_of_an_emptied_file_keeps_the_old_list);
}
