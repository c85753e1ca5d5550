/*
 * A constant-answer socketmap server (Postfix socketmap_table(5)) for bench/policy-server-vs-peer.sh: one thread,
 * epoll, answers every complete netstring request with the same netstring reply, as fast as the kernel lets it.
 * It does no lookup at all, so the load client measured against it shows the ceiling of the measurement on this
 * machine: when a real server comes close to it, the client (or the loopback TCP round trip), not the server,
 * limits the figure. Not part of the product.
 *
 * Usage: socketmap-constant PORT   (listens on 127.0.0.1:PORT)
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
#include <unistd.h>

#include "netstrings.h"

#define MAX_CONNECTIONS 4096
#define BUFFER_SIZE 4096

static const char reply[] = "47:OK secure match=mx.constant servername=hostname,";

struct connection {
    char buffer[BUFFER_SIZE];
    size_t used;
};

static struct connection *connections[MAX_CONNECTIONS];

static int take_requests(struct connection *c)
{
    return take_netstrings(c->buffer, &c->used, BUFFER_SIZE);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s PORT\n", argv[0]);
        return 2;
    }
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1])) };
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 512) != 0) {
        perror("bind/listen");
        return 1;
    }
    int epoll = epoll_create1(0);
    struct epoll_event event = { .events = EPOLLIN, .data.fd = listener };
    epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &event);
    struct epoll_event events[256];
    char out[BUFFER_SIZE * 4];
    for (;;) {
        int ready = epoll_wait(epoll, events, 256, -1);
        if (ready < 0 && errno != EINTR) {
            perror("epoll_wait");
            return 1;
        }
        for (int e = 0; e < ready; e++) {
            int fd = events[e].data.fd;
            if (fd == listener) {
                int client;
                while ((client = accept4(listener, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    if (client >= MAX_CONNECTIONS) {
                        close(client);
                        continue;
                    }
                    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    connections[client] = calloc(1, sizeof(struct connection));
                    struct epoll_event add = { .events = EPOLLIN, .data.fd = client };
                    epoll_ctl(epoll, EPOLL_CTL_ADD, client, &add);
                }
                continue;
            }
            struct connection *c = connections[fd];
            ssize_t got = read(fd, c->buffer + c->used, BUFFER_SIZE - c->used);
            int requests = got > 0 ? (c->used += (size_t)got, take_requests(c)) : -1;
            if (got < 0 && errno == EAGAIN) {
                continue;
            }
            if (requests < 0) {
                epoll_ctl(epoll, EPOLL_CTL_DEL, fd, NULL);
                close(fd);
                free(c);
                connections[fd] = NULL;
                continue;
            }
            size_t length = 0;
            for (int r = 0; r < requests && length + sizeof reply - 1 <= sizeof out; r++) {
                memcpy(out + length, reply, sizeof reply - 1);
                length += sizeof reply - 1;
            }
            if (length > 0 && write(fd, out, length) < 0 && errno != EAGAIN) {
                perror("write");
            }
        }
    }
}
