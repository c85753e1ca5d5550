/* Netstring framing shared by the benchmark's C server and client (socketmap_table(5): "len:data,"). */
#ifndef LINKSECURE_BENCH_NETSTRINGS_H
#define LINKSECURE_BENCH_NETSTRINGS_H

#include <stddef.h>
#include <string.h>

/* Consumes the complete netstrings at the front of buffer (used bytes, at most capacity); returns how many,
   or -1 if the stream is invalid (a length above capacity, a missing ':' or ','). */
static int take_netstrings(char *buffer, size_t *used, size_t capacity)
{
    int count = 0;
    size_t start = 0;
    for (;;) {
        size_t i = start, length = 0;
        while (i < *used && buffer[i] >= '0' && buffer[i] <= '9') {
            length = length * 10 + (size_t)(buffer[i] - '0');
            if (length > capacity) {
                return -1;
            }
            i++;
        }
        if (i == *used) {
            break;
        }
        if (buffer[i] != ':' || i == start) {
            return -1;
        }
        if (*used - (i + 1) < length + 1) {
            break;
        }
        if (buffer[i + 1 + length] != ',') {
            return -1;
        }
        start = i + 2 + length;
        count++;
    }
    memmove(buffer, buffer + start, *used - start);
    *used -= start;
    return count;
}

#endif
