#ifndef MMPROXYD_NET_H
#define MMPROXYD_NET_H
#endif
