/* net.c -- being written. */

#include "config.h"
