/* tcp_relay.c -- being written. */

#include "config.h"
