/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * crc32c.h -- CRC-32C (Castagnoli), as the PROXY v2 CRC32C TLV uses it.
 */
#ifndef MMPROXYD_CRC32C_H
#define MMPROXYD_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continue crc over [buf, len); start with crc = 0. */
uint32_t	crc32c_update(uint32_t crc, const void *buf, size_t len);
uint32_t	crc32c(const void *buf, size_t len);

#endif
