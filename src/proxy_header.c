/* proxy_header.c -- being written. */

#include "config.h"
