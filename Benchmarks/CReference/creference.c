#include "creference.h"
#include <stdlib.h>

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

uintptr_t creference_malloc16(int count)
{
    uintptr_t checksum = 0;
    for (int i = 0; i < count; i++) {
        void *volatile pointer = malloc(16);
        checksum ^= (uintptr_t)pointer;
        free(pointer);
    }
    return checksum;
}
