/*
 * A light socketmap load client (Postfix socketmap_table(5)) for bench/policy-server-vs-peer.sh: one thread, epoll,
 * N persistent connections with one netstring request outstanding on each (as Postfix's smtp processes use the map),
 * cycling over the keys from a per-connection offset. It costs far less CPU per lookup than the .NET client, so on a
 * small machine more of the CPU is left to the server measured. Not part of the product.
 *
 * Usage: socketmap-load PORT MAP KEYFILE CONNECTIONS WARMUP_SECONDS SECONDS
 * Prints one line: lookups seconds mean_ms p50_ms p99_ms max_ms (127.0.0.1:PORT; keys one per line).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netstrings.h"

#define BUFFER_SIZE 4096

struct connection {
    int fd;
    size_t next;
    long long sent_at;
    char buffer[BUFFER_SIZE];
    size_t used;
};

static char **requests;
static size_t *request_lengths;
static size_t request_count;
static long long *latencies;
static size_t latency_count, latency_capacity;

static long long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int compare(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

static void load_keys(const char *map, const char *path)
{
    FILE *file = fopen(path, "r");
    if (file == NULL) {
        perror(path);
        exit(2);
    }
    char line[1024];
    size_t capacity = 0;
    while (fgets(line, sizeof line, file) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0') {
            continue;
        }
        if (request_count == capacity) {
            capacity = capacity ? capacity * 2 : 64;
            requests = realloc(requests, capacity * sizeof *requests);
            request_lengths = realloc(request_lengths, capacity * sizeof *request_lengths);
        }
        char payload[1100];
        int length = snprintf(payload, sizeof payload, "%s %s", map, line);
        requests[request_count] = malloc((size_t)length + 16);
        request_lengths[request_count] = (size_t)sprintf(requests[request_count], "%d:%s,", length, payload);
        request_count++;
    }
    fclose(file);
    if (request_count == 0) {
        fprintf(stderr, "%s: no keys\n", path);
        exit(2);
    }
}

static void send_request(struct connection *c)
{
    c->sent_at = now_ns();
    if (write(c->fd, requests[c->next], request_lengths[c->next]) != (ssize_t)request_lengths[c->next]) {
        perror("write");
        exit(1);
    }
    c->next = c->next + 1 == request_count ? 0 : c->next + 1;
}

static int take_replies(struct connection *c)
{
    return take_netstrings(c->buffer, &c->used, BUFFER_SIZE);
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: %s PORT MAP KEYFILE CONNECTIONS WARMUP_SECONDS SECONDS\n", argv[0]);
        return 2;
    }
    load_keys(argv[2], argv[3]);
    int count = atoi(argv[4]);
    long long warm_up = (long long)(atof(argv[5]) * 1e9), duration = (long long)(atof(argv[6]) * 1e9);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1])) };
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int epoll = epoll_create1(0);
    struct connection *connections = calloc((size_t)count, sizeof *connections);
    int one = 1;
    for (int i = 0; i < count; i++) {
        struct connection *c = &connections[i];
        c->fd = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(c->fd, (struct sockaddr *)&address, sizeof address) != 0) {
            perror("connect");
            return 1;
        }
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c->next = ((size_t)i * 7) % request_count;
        struct epoll_event event = { .events = EPOLLIN, .data.ptr = c };
        epoll_ctl(epoll, EPOLL_CTL_ADD, c->fd, &event);
    }
    latency_capacity = 1 << 20;
    latencies = malloc(latency_capacity * sizeof *latencies);
    long long started = now_ns(), measure_from = started + warm_up, measure_until = measure_from + duration;
    for (int i = 0; i < count; i++) {
        send_request(&connections[i]);
    }
    struct epoll_event events[256];
    long long now = started;
    while (now < measure_until) {
        int ready = epoll_wait(epoll, events, 256, 100);
        if (ready < 0 && errno != EINTR) {
            perror("epoll_wait");
            return 1;
        }
        for (int e = 0; e < ready; e++) {
            struct connection *c = events[e].data.ptr;
            ssize_t got = read(c->fd, c->buffer + c->used, BUFFER_SIZE - c->used);
            if (got <= 0) {
                fprintf(stderr, "the server closed a connection\n");
                return 1;
            }
            c->used += (size_t)got;
            int replies = take_replies(c);
            if (replies < 0) {
                fprintf(stderr, "a reply is not a netstring\n");
                return 1;
            }
            if (replies == 0) {
                continue;
            }
            now = now_ns();
            if (now >= measure_from && now < measure_until) {
                if (latency_count == latency_capacity) {
                    latency_capacity *= 2;
                    latencies = realloc(latencies, latency_capacity * sizeof *latencies);
                }
                latencies[latency_count++] = now - c->sent_at;
            }
            send_request(c);
        }
        now = now_ns();
    }
    qsort(latencies, latency_count, sizeof *latencies, compare);
    double sum = 0;
    for (size_t i = 0; i < latency_count; i++) {
        sum += (double)latencies[i];
    }
    size_t p50 = latency_count ? (latency_count * 50 + 99) / 100 - 1 : 0, p99 = latency_count ? (latency_count * 99 + 99) / 100 - 1 : 0;
    printf("%zu %.3f %.4f %.4f %.4f %.4f\n", latency_count, (double)duration / 1e9,
           latency_count ? sum / (double)latency_count / 1e6 : 0.0, latency_count ? (double)latencies[p50] / 1e6 : 0.0,
           latency_count ? (double)latencies[p99] / 1e6 : 0.0, latency_count ? (double)latencies[latency_count - 1] / 1e6 : 0.0);
    return 0;
}
