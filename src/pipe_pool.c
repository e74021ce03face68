/* pipe_pool.c -- being written. */

#include "config.h"
