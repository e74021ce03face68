/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * metrics_family.c -- the family table of metrics_family.h, as data.
 */

#include "config.h"

#include "metrics_family.h"

#define METRICS_TYPE_COUNTER	"counter"
#define METRICS_TYPE_GAUGE	"gauge"

#define METRICS_FAMILY_DESC(id, name, type, labels, help)		\
	[METRICS_FAM_##id] = { name, METRICS_TYPE_##type, labels, help },
const struct metrics_family_desc metrics_families[METRICS_FAMILY_COUNT] = {
	METRICS_FAMILIES(METRICS_FAMILY_DESC)
};
