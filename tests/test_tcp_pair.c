/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_tcp_pair.c -- loopback TCP pairs for the tests of live
 * connections: real TCP, so that its states, splice() and urgent data
 * behave as on the daemon's sockets, and no root is needed.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "test_suites.h"
#include "test_tcp_pair.h"

void
test_tcp_pair(int fd[2])
{
	struct sockaddr_in	sin = { .sin_family = AF_INET };
	socklen_t		len = sizeof(sin);
	int			l;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CU_ASSERT_FATAL((l = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	CU_ASSERT_FATAL(bind(l, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	CU_ASSERT_FATAL(listen(l, 1) == 0);
	CU_ASSERT_FATAL(getsockname(l, (struct sockaddr *)&sin, &len) == 0);
	CU_ASSERT_FATAL((fd[0] = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	CU_ASSERT_FATAL(connect(fd[0], (struct sockaddr *)&sin,
	    sizeof(sin)) == 0);
	CU_ASSERT_FATAL((fd[1] = accept(l, NULL, NULL)) != -1);
	(void)close(l);
}

void
test_sleep_ms(int ms)
{
	struct timespec	ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}
