/* subnet.c -- being written. */

#include "config.h"
