/* crc32c.c -- being written. */

#include "config.h"
