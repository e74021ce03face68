/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_tcp_pair.h -- what the tests of live connections share: a
 * connected loopback TCP pair, and a short sleep between two looks.
 */
#ifndef MMPROXYD_TEST_TCP_PAIR_H
#define MMPROXYD_TEST_TCP_PAIR_H

/* A connected loopback pair: fd[0] connected, fd[1] accepted. */
void	test_tcp_pair(int fd[2]);

void	test_sleep_ms(int ms);

#endif
