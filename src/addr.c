/* addr.c -- being written. */

#include "config.h"
