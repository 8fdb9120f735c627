#ifndef ARENA_CREFERENCE_H
#define ARENA_CREFERENCE_H
/*
 * C references for the allocator benchmarks, measured in the same run as ArenaCore (the performance issue asks
 * for the library ratios to come from one run): a bump allocator written inline in C, the floor any arena in any
 * language can reach; the same with the offset bumped by an atomic fetch-add, the floor of a shared arena; and
 * glibc's malloc + free of the same 16 bytes (glibc's own entry points, not the benchmark harness's counting
 * interposer).
 */
#include <stddef.h>
#include <stdint.h>

/* `count` 16-byte allocations aligned to 8 from a bump pointer over `buffer` (`capacity` bytes); returns a
 * checksum of the addresses so the work cannot be optimized away. */
uintptr_t creference_bump16(unsigned char *buffer, size_t capacity, int count);

/* The same with the bump offset `*offset` advanced by one atomic fetch-add (`lock xadd`) per allocation, as a
 * lock-free shared arena must; the caller resets `*offset` between rounds. */
uintptr_t creference_atomic_bump16(unsigned char *buffer, size_t capacity, size_t *offset, int count);

/* `count` rounds of malloc(16) + free; returns a checksum of the addresses. */
uintptr_t creference_malloc16(int count);

#endif
