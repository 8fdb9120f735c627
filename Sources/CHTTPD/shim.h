#ifndef ARENA_CHTTPD_SHIM_H
#define ARENA_CHTTPD_SHIM_H
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <microhttpd.h>
#endif
