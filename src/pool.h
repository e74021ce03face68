#ifndef MMPROXYD_POOL_H
#define MMPROXYD_POOL_H
#endif
