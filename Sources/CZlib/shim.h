#ifndef ARENA_CZLIB_SHIM_H
#define ARENA_CZLIB_SHIM_H
/*
 * zlib for Swift: the pprof profiles the server serves are gzip-compressed (the format Go's pprof reads).
 * Nothing is wrapped: compress2 and crc32 import as they are.
 */
#include <zlib.h>
#endif
