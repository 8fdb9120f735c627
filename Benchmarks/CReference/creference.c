#include "creference.h"
#include <stdlib.h>

#ifdef __GLIBC__
/* glibc's own entry points: the benchmark process runs under package-benchmark's malloc interposer (which counts
 * every malloc through LD_PRELOAD), and these bypass it, so the reference is plain glibc, as a program sees it. */
extern void *__libc_malloc(size_t size);
extern void __libc_free(void *pointer);
#define REFERENCE_MALLOC __libc_malloc
#define REFERENCE_FREE __libc_free
#else
#define REFERENCE_MALLOC malloc
#define REFERENCE_FREE free
#endif

uintptr_t creference_bump16(unsigned char *buffer, size_t capacity, int count)
{
    size_t offset = 0;
    uintptr_t checksum = 0;
    for (int i = 0; i < count; i++) {
        size_t start = (offset + 7) & ~(size_t)7;
        if (start + 16 > capacity) return checksum; /* the failure check an arena makes too */
        offset = start + 16;
        checksum ^= (uintptr_t)(buffer + start);
    }
    return checksum;
}

uintptr_t creference_atomic_bump16(unsigned char *buffer, size_t capacity, size_t *offset, int count)
{
    uintptr_t checksum = 0;
    for (int i = 0; i < count; i++) {
        /* 16-byte requests keep the offset a multiple of 8: no padding to work out, one `lock xadd` each. */
        size_t start = __atomic_fetch_add(offset, 16, __ATOMIC_ACQ_REL);
        if (start + 16 > capacity) return checksum;
        checksum ^= (uintptr_t)(buffer + start);
    }
    return checksum;
}

uintptr_t creference_malloc16(int count)
{
    uintptr_t checksum = 0;
    for (int i = 0; i < count; i++) {
        void *volatile pointer = REFERENCE_MALLOC(16);
        checksum ^= (uintptr_t)pointer;
        REFERENCE_FREE(pointer);
    }
    return checksum;
}
