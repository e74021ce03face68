/* listener.c -- being written. */

#include "config.h"
