#ifndef ARENA_SANITIZER_SHIM_H
#define ARENA_SANITIZER_SHIM_H
/*
 * AddressSanitizer's manual poisoning, for ArenaCore: released arena bytes are poisoned on reset and rewind,
 * and unpoisoned when an allocation hands them out again, so a read through a pointer kept across a reset
 * traps with a report instead of reading the next scope's data.
 *
 * Swift's `-sanitize=address` does not tell the C importer that ASan is on, so ASan builds also define
 * ARENA_SANITIZE_ADDRESS for C (`make test-asan` passes `-Xcc -DARENA_SANITIZE_ADDRESS`). Without it every
 * function below is empty and inlines to nothing: release builds pay nothing.
 */
#include <stddef.h>

#ifdef ARENA_SANITIZE_ADDRESS
#include <stdint.h>
#include <sanitizer/asan_interface.h>
/*
 * Whole 8-byte shadow granules only: ASan's shadow updates are not atomic, and threads that allocate side by side
 * in a shared arena would otherwise update one granule's shadow byte at once (ASan then fails a CHECK). Poisoning
 * shrinks the range to whole granules; unpoisoning grows it, so an allocation is always fully addressable.
 */
static inline void arena_sanitizer_poison(void *start, size_t count) {
    uintptr_t begin = ((uintptr_t)start + 7) & ~(uintptr_t)7;
    uintptr_t end = ((uintptr_t)start + count) & ~(uintptr_t)7;
    if (end > begin) __asan_poison_memory_region((void *)begin, end - begin);
}
static inline void arena_sanitizer_unpoison(void *start, size_t count) {
    uintptr_t begin = (uintptr_t)start & ~(uintptr_t)7;
    uintptr_t end = ((uintptr_t)start + count + 7) & ~(uintptr_t)7;
    if (end > begin) __asan_unpoison_memory_region((void *)begin, end - begin);
}
static inline int arena_sanitizer_poisons(void) { return 1; }
#else
static inline void arena_sanitizer_poison(void *start, size_t count) { (void)start; (void)count; }
static inline void arena_sanitizer_unpoison(void *start, size_t count) { (void)start; (void)count; }
static inline int arena_sanitizer_poisons(void) { return 0; }
#endif

/*
 * ThreadSanitizer and `Synchronization.Mutex`: the Mutex locks with atomics and futex(2), which TSan cannot see,
 * so every access it protects is reported as a race. ArenaLock (ArenaCore/ArenaLock.swift) tells TSan about each
 * acquire and release on the protected value's address. TSan builds define ARENA_SANITIZE_THREAD for C
 * (`make test-tsan` passes `-Xcc -DARENA_SANITIZE_THREAD`); elsewhere both functions are empty.
 */
#ifdef ARENA_SANITIZE_THREAD
/* Part of TSan's public interface (compiler-rt's sanitizer/tsan_interface.h, not shipped with this toolchain). */
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
static inline void arena_sanitizer_acquire(void *address) { __tsan_acquire(address); }
static inline void arena_sanitizer_release(void *address) { __tsan_release(address); }
static inline int arena_sanitizer_sees_locks(void) { return 1; }
#else
static inline void arena_sanitizer_acquire(void *address) { (void)address; }
static inline void arena_sanitizer_release(void *address) { (void)address; }
static inline int arena_sanitizer_sees_locks(void) { return 0; }
#endif

#endif
