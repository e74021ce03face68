/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_metrics_family.c -- the family table and the counter tables agree
 * with each other, and the documents agree with them: the man page's
 * METRICS list names every family with its labels and no other, its
 * SIGUSR1 lists give the log line's words in the log line's order, and
 * the README and the example alerts name no family that does not exist.
 * The documents are read from TOP_SRCDIR (the environment make check
 * sets, else the source tree this was built from).
 */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counter_table.h"
#include "metrics_family.h"
#include "tcp_stats.h"
#include "test_suites.h"
#include "udp_stats.h"

#define TEST_DOC_MAX	64		/* families or words in a list */
#define TEST_DOC_LEN	96		/* a name, its labels, some words */

struct test_doc_entry {
	char	name[TEST_DOC_LEN];
	char	labels[TEST_DOC_LEN];	/* "proto,reason", "" for none */
};

/* Append the first n bytes of src to the string in dst, as room allows. */
static void
test_doc_cat(char *dst, size_t size, const char *src, size_t n)
{
	size_t	len = strlen(dst);

	(void)snprintf(dst + len, size - len, "%.*s", (int)n, src);
}

/* Path relative to the source tree's top, whole, NUL-ended. */
static char *
test_doc_read(const char *rel)
{
	const char	*top = getenv("TOP_SRCDIR");
	char		 path[4096], *text = NULL;
	size_t		 n = 0, cap = 0;
	FILE		*fp;

	if (top == NULL || *top == '\0')
		top = TOP_SRCDIR;
	(void)snprintf(path, sizeof(path), "%s/%s", top, rel);
	if ((fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "\n  %s: %s\n", path, strerror(errno));
		return (NULL);
	}
	for (;;) {
		if (cap - n < 4096) {
			cap = cap * 2 + 4096;
			if ((text = realloc(text, cap)) == NULL)
				break;
		}
		if ((n += fread(text + n, 1, cap - n - 1, fp)) == 0 ||
		    feof(fp) || ferror(fp))
			break;
	}
	if (text != NULL)
		text[n] = '\0';
	(void)fclose(fp);
	return (text);
}

/* The part of text from start (included) up to end, or NULL. */
static char *
test_doc_cut(char *text, const char *start, const char *end)
{
	char	*a, *b;

	if ((a = strstr(text, start)) == NULL)
		return (NULL);
	if ((b = strstr(a + strlen(start), end)) != NULL)
		*b = '\0';
	return (a);
}

/*
 * One ".It Li name , name Ns Brq Li label , label" line of the METRICS
 * list into entries; returns how many it added.
 */
static int
test_doc_metrics_item(char *line, struct test_doc_entry *e, int room)
{
	char	*tok, *save = NULL, labels[TEST_DOC_LEN] = "";
	int	 n = 0, in_labels = 0, i;

	for (tok = strtok_r(line, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		if (strcmp(tok, ".It") == 0 || strcmp(tok, "Li") == 0 ||
		    strcmp(tok, ",") == 0 || strcmp(tok, "Ns") == 0)
			continue;
		if (strcmp(tok, "Brq") == 0) {
			in_labels = 1;
			continue;
		}
		if (in_labels) {
			if (labels[0] != '\0')
				test_doc_cat(labels, sizeof(labels), ",", 1);
			test_doc_cat(labels, sizeof(labels), tok,
			    strlen(tok));
		} else if (n < room)
			(void)snprintf(e[n++].name, TEST_DOC_LEN, "%s", tok);
	}
	for (i = 0; i < n; i++)
		(void)snprintf(e[i].labels, TEST_DOC_LEN, "%s", labels);
	return (n);
}

/* Every family the man page's METRICS list names; -1 if unreadable. */
static int
test_doc_man_families(struct test_doc_entry *e, int room)
{
	char	*man, *sec, *line, *save = NULL;
	int	 n = -1;

	if ((man = test_doc_read("man/mmproxyd.8")) == NULL)
		return (-1);
	if ((sec = test_doc_cut(man, "\n.Sh METRICS\n", "\n.Sh ")) != NULL) {
		n = 0;
		for (line = strtok_r(sec, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			if (strncmp(line, ".It Li mmproxyd_", 16) == 0)
				n += test_doc_metrics_item(line, e + n,
				    room - n);
	}
	free(man);
	return (n);
}

/* The family's labels without listener: what the man page writes. */
static const char *
test_doc_labels(const struct metrics_family_desc *f)
{
	if (strncmp(f->labels, "listener", 8) != 0)
		return (f->labels);
	return (f->labels + 8 + (f->labels[8] == ','));
}

static void
test_metrics_family_man_lists_every_family(void)
{
	struct test_doc_entry	 man[TEST_DOC_MAX];
	int			 n, f, i, found;

	n = test_doc_man_families(man, TEST_DOC_MAX);
	CU_ASSERT_FATAL(n > 0);
	for (f = 0; f < METRICS_FAMILY_COUNT; f++) {
		for (found = 0, i = 0; i < n && !found; i++)
			found = strcmp(man[i].name,
			    metrics_families[f].name) == 0;
		if (!found) {
			fprintf(stderr, "\n  mmproxyd.8 METRICS lacks %s\n",
			    metrics_families[f].name);
			CU_FAIL("a family of the table is not in the man page");
		} else if (strcmp(man[i - 1].labels,
		    test_doc_labels(&metrics_families[f])) != 0) {
			fprintf(stderr, "\n  mmproxyd.8 METRICS: %s has "
			    "labels {%s}, the table {%s}\n", man[i - 1].name,
			    man[i - 1].labels,
			    test_doc_labels(&metrics_families[f]));
			CU_FAIL("a family's labels differ in the man page");
		}
	}
}

static void
test_metrics_family_man_lists_no_other_family(void)
{
	struct test_doc_entry	 man[TEST_DOC_MAX];
	int			 n, f, i, found;

	n = test_doc_man_families(man, TEST_DOC_MAX);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT(n < TEST_DOC_MAX);
	for (i = 0; i < n; i++) {
		for (found = 0, f = 0; f < METRICS_FAMILY_COUNT && !found; f++)
			found = strcmp(man[i].name,
			    metrics_families[f].name) == 0;
		if (!found) {
			fprintf(stderr, "\n  mmproxyd.8 METRICS lists %s, "
			    "which metrics_family.h does not declare\n",
			    man[i].name);
			CU_FAIL("the man page lists a family not in the table");
		}
	}
}

/*
 * The words of the n-th (0 or 1) list under SIGUSR1 in SIGNALS:
 * ".It Li bytes in , bytes out" gives two. Returns how many, -1 if the
 * page or the list is missing.
 */
static int
test_doc_man_words(int nth, char words[][TEST_DOC_LEN], int room)
{
	char	*man, *sig, *list, *line, *next, *w, *end;
	int	 n = -1, i;

	if ((man = test_doc_read("man/mmproxyd.8")) == NULL)
		return (-1);
	sig = test_doc_cut(man, "\n.It Dv SIGUSR1\n", "\n.Sh ");
	for (list = sig, i = 0; list != NULL && i <= nth; i++)
		if ((list = strstr(list, "\n.Bl ")) != NULL)
			list++;
	if (list != NULL && (end = strstr(list, "\n.El")) != NULL) {
		*end = '\0';
		n = 0;
		for (line = list; line != NULL; line = next) {
			if ((next = strchr(line, '\n')) != NULL)
				*next++ = '\0';
			if (strncmp(line, ".It Li ", 7) != 0)
				continue;
			for (w = line + 7; w != NULL && n < room; w = end) {
				if ((end = strstr(w, " , ")) != NULL) {
					*end = '\0';
					end += 3;
				}
				(void)snprintf(words[n++], TEST_DOC_LEN, "%s",
				    w);
			}
		}
	}
	free(man);
	return (n);
}

/* The man page's words for t are the log line's, in its order. */
static void
check_man_words(const struct counter_table *t, int nth, const char *what)
{
	char	words[TEST_DOC_MAX][TEST_DOC_LEN];
	size_t	i;
	int	n, w = 0;

	n = test_doc_man_words(nth, words, TEST_DOC_MAX);
	CU_ASSERT_FATAL(n > 0);
	for (i = 0; i < t->n; i++) {
		if (t->desc[i].log == NULL)
			continue;
		if (w >= n || strcmp(words[w], t->desc[i].log) != 0) {
			fprintf(stderr, "\n  mmproxyd.8 SIGUSR1 (%s): word %d "
			    "is \"%s\", the log line's \"%s\"\n", what, w + 1,
			    w < n ? words[w] : "(none)", t->desc[i].log);
			CU_FAIL("the man page's SIGUSR1 words differ");
			return;
		}
		w++;
	}
	if (w != n) {
		fprintf(stderr, "\n  mmproxyd.8 SIGUSR1 (%s): \"%s\" is not "
		    "in the log line\n", what, words[w]);
		CU_FAIL("the man page lists a counter the log line lacks");
	}
}

static void
test_metrics_family_man_gives_the_log_words(void)
{
	check_man_words(&tcp_stats_table, 0, "tcp");
	check_man_words(&udp_stats_table, 1, "udp");
}

/* Every mmproxyd_ name in a document is a family of the table. */
static void
check_doc_names(const char *rel)
{
	char	*text, *p, name[TEST_DOC_LEN];
	size_t	 len;
	int	 f, found, seen = 0;

	text = test_doc_read(rel);
	CU_ASSERT_FATAL(text != NULL);
	for (p = text; (p = strstr(p, "mmproxyd_")) != NULL; p += len) {
		len = 9 + strspn(p + 9,
		    "abcdefghijklmnopqrstuvwxyz_0123456789");
		if (p[9] < 'a' || p[9] > 'z' || len >= sizeof(name))
			continue;	/* mmproxyd_0.1.0-1_amd64.deb */
		memcpy(name, p, len);
		name[len] = '\0';
		for (found = 0, f = 0; f < METRICS_FAMILY_COUNT && !found; f++)
			found = strcmp(name, metrics_families[f].name) == 0;
		if (!found) {
			fprintf(stderr, "\n  %s names %s, no family\n", rel,
			    name);
			CU_FAIL("a document names a family not in the table");
		}
		seen++;
	}
	CU_ASSERT(seen > 0);
	free(text);
}

static void
test_metrics_family_docs_name_only_families(void)
{
	check_doc_names("README.md");
	check_doc_names("examples/prometheus-alerts.yml");
}

/* Counters end in _total, gauges do not; names are unique. */
static void
test_metrics_family_names_follow_the_conventions(void)
{
	const struct metrics_family_desc *f;
	size_t	len;
	int	i, j;

	for (i = 0; i < METRICS_FAMILY_COUNT; i++) {
		f = &metrics_families[i];
		CU_ASSERT(strncmp(f->name, "mmproxyd_", 9) == 0);
		len = strlen(f->name);
		CU_ASSERT((strcmp(f->type, "counter") == 0) ==
		    (len > 6 && strcmp(f->name + len - 6, "_total") == 0));
		CU_ASSERT(strcmp(f->type, "counter") == 0 ||
		    strcmp(f->type, "gauge") == 0);
		CU_ASSERT(f->help != NULL && f->help[0] != '\0');
		for (j = 0; j < i; j++)
			CU_ASSERT(strcmp(metrics_families[j].name,
			    f->name) != 0);
	}
}

/*
 * A row's labels and class make its family's labels: listener, the
 * row's keys, reason for a row by class. Returns whether they do.
 */
static int
row_labels_match(const struct counter_desc *d)
{
	const char	*p;
	char		 want[TEST_DOC_LEN] = "listener";
	size_t		 k;

	for (p = d->labels; *p != '\0'; p += strcspn(p, ",") +
	    (p[strcspn(p, ",")] == ',')) {
		k = strcspn(p, "=");
		if (p[k] != '=' || k + 2 > strcspn(p, ","))
			return (0);	/* not key=value */
		test_doc_cat(want, sizeof(want), ",", 1);
		test_doc_cat(want, sizeof(want), p, k);
	}
	if (d->shape == COUNTER_BY_HEADER || d->shape == COUNTER_BY_ERRNO)
		test_doc_cat(want, sizeof(want), ",reason", 7);
	return (strcmp(want, metrics_families[d->family].labels) == 0);
}

static void
check_rows(const struct counter_table *t, const char *what)
{
	const struct counter_desc *d;
	size_t	i, j;
	int	declared;

	CU_ASSERT(t->n > 0);
	for (i = 0; i < t->n; i++) {
		d = &t->desc[i];
		/* Logged or exported, or it has no reason to be. */
		CU_ASSERT(d->log != NULL || d->family != METRICS_FAM_NONE);
		/* The line shows one value per row. */
		if (d->log != NULL)
			CU_ASSERT(d->shape == COUNTER_ONE);
		if (d->family != METRICS_FAM_NONE && !row_labels_match(d)) {
			fprintf(stderr, "\n  %s row %s: labels \"%s\" do not "
			    "make %s's {%s}\n", what, d->field, d->labels,
			    metrics_families[d->family].name,
			    metrics_families[d->family].labels);
			CU_FAIL("a row's labels differ from its family's");
		}
		/* ALSO repeats a field an earlier row declares. */
		for (declared = 0, j = 0; j < i; j++)
			declared |= t->desc[j].shape != COUNTER_ALSO &&
			    t->desc[j].live == d->live;
		CU_ASSERT(declared == (d->shape == COUNTER_ALSO));
	}
}

static void
test_metrics_family_rows_give_their_family_labels(void)
{
	check_rows(&tcp_stats_table, "tcp");
	check_rows(&udp_stats_table, "udp");
}

/* A family with a listener label is fed by a front end; others are not. */
static void
test_metrics_family_per_listener_families_are_fed(void)
{
	int	f, fed, per_listener;

	for (f = 0; f < METRICS_FAMILY_COUNT; f++) {
		fed = counter_table_feeds(&tcp_stats_table, f) ||
		    counter_table_feeds(&udp_stats_table, f);
		per_listener = strncmp(metrics_families[f].labels,
		    "listener", 8) == 0;
		if (fed != per_listener)
			fprintf(stderr, "\n  %s: fed %d, per listener %d\n",
			    metrics_families[f].name, fed, per_listener);
		CU_ASSERT(fed == per_listener);
	}
}

void
test_metrics_family_register(void)
{
	CU_pSuite	s = test_suite_add("metrics_family");

	test_add(s, "names follow the conventions",
	    test_metrics_family_names_follow_the_conventions);
	test_add(s, "rows give their family's labels",
	    test_metrics_family_rows_give_their_family_labels);
	test_add(s, "per-listener families are fed by a front end",
	    test_metrics_family_per_listener_families_are_fed);
	test_add(s, "man page lists every family",
	    test_metrics_family_man_lists_every_family);
	test_add(s, "man page lists no other family",
	    test_metrics_family_man_lists_no_other_family);
	test_add(s, "man page gives the log line's words",
	    test_metrics_family_man_gives_the_log_words);
	test_add(s, "README and alerts name only families",
	    test_metrics_family_docs_name_only_families);
}
