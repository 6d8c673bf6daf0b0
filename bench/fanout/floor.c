// bench/fanout/floor.c: the fastest one core can answer N parked HTTP/1.1 long-polls over
// loopback, with no server at all around the sends.
//
// Why: the fan-out goal (p99 of one write reaching N parked long-polls, against etcd v2's in
// the same run) is bounded below by the kernel's cost of one small loopback send, which runs
// the receiving side's TCP stack and wake-up inside the sender's call. This measures that
// floor on the machine at hand: if even a bare loop of send(2) cannot reach the goal, no
// server can, whatever it does in user space.
//
// What it does: forks. The child (pinned to CPU 1, as bench/longpoll.py's workers) opens N
// connections to the parent and waits in epoll with SO_TIMESTAMPNS, as bench/longpoll.py
// does. The parent (pinned to CPU 0, as the servers in bench/v1.sh) accepts them, reads each
// one's request line, then, with every connection parked, notes the time and sends the same
// B-byte answer to each in accept order: one send(2) per connection and nothing else. The
// child takes, for every connection, the kernel's receive timestamp of the answer's first
// byte and prints p50/p99/max of (timestamp - the parent's start), over R rounds on fresh
// connections (the median round is reported).
//
// Build: cc -O2 -o floor floor.c
// Usage: floor [-n conns] [-b answer_bytes] [-r rounds] [-s server_cpu] [-c client_cpu]
// Output: one line per round, then "RESULT n=... bytes=... p50_ms=... p99_ms=... max_ms=...".
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
    perror(what);
    exit(2);
}

static void pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) die("sched_setaffinity");
}

static int64_t realtime_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

// Shared between the two processes: the parent's start time and a phase flag.
struct shared {
    volatile int64_t start_ns;
    volatile int phase;  // 1: child connected all; 2: parent has read every request
};

static void raise_nofile(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) die("getrlimit");
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) die("setrlimit");
}

static const char request[] = "GET /v1/nodes/bench/watched?index=1&wait=55s HTTP/1.1\r\nHost: x\r\n\r\n";

static void client(int port, int n, int cpu, struct shared *sh, int64_t *out) {
    pin(cpu);
    raise_nofile();
    int ep = epoll_create1(0);
    int *fds = calloc(n, sizeof(int));
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < n; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) die("socket");
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
        if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) die("connect");
        if (send(fd, request, sizeof request - 1, 0) != (ssize_t)(sizeof request - 1)) die("send request");
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) die("epoll_ctl");
        fds[i] = fd;
    }
    sh->phase = 1;
    int left = n;
    struct epoll_event events[256];
    char buf[4096], control[256];
    while (left > 0) {
        int k = epoll_wait(ep, events, 256, 30000);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) die("epoll_wait (no answer within 30 s)");
        for (int j = 0; j < k; j++) {
            int i = (int)events[j].data.u32;
            struct iovec iov = {buf, sizeof buf};
            struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
            ssize_t got = recvmsg(fds[i], &msg, 0);
            if (got <= 0) die("recvmsg");
            int64_t stamp = 0;
            for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) {
                    struct timespec ts;
                    memcpy(&ts, CMSG_DATA(c), sizeof ts);
                    stamp = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
                }
            }
            if (stamp == 0) stamp = realtime_ns();
            out[i] = stamp;
            epoll_ctl(ep, EPOLL_CTL_DEL, fds[i], NULL);
            close(fds[i]);
            left--;
        }
    }
    exit(0);
}

int main(int argc, char **argv) {
    int n = 15000, bytes = 414, rounds = 3, server_cpu = 0, client_cpu = 1;
    for (int opt; (opt = getopt(argc, argv, "n:b:r:s:c:")) != -1;) {
        switch (opt) {
        case 'n': n = atoi(optarg); break;
        case 'b': bytes = atoi(optarg); break;
        case 'r': rounds = atoi(optarg); break;
        case 's': server_cpu = atoi(optarg); break;
        case 'c': client_cpu = atoi(optarg); break;
        default: fprintf(stderr, "usage: floor [-n conns] [-b bytes] [-r rounds] [-s cpu] [-c cpu]\n"); return 2;
        }
    }
    pin(server_cpu);
    raise_nofile();
    char *answer = malloc(bytes);
    int head = snprintf(answer, bytes, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", 0);
    memset(answer + head, 'x', bytes - head);
    double p50s[64], p99s[64], maxs[64];
    if (rounds > 64) rounds = 64;
    for (int r = 0; r < rounds; r++) {
        int lfd = socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) != 0) die("bind");
        if (listen(lfd, 65535) != 0) die("listen");
        socklen_t len = sizeof addr;
        getsockname(lfd, (struct sockaddr *)&addr, &len);
        struct shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        int64_t *stamps = mmap(NULL, sizeof(int64_t) * n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (sh == MAP_FAILED || stamps == MAP_FAILED) die("mmap");
        pid_t child = fork();
        if (child < 0) die("fork");
        if (child == 0) {
            close(lfd);
            client(ntohs(addr.sin_port), n, client_cpu, sh, stamps);
        }
        int *fds = calloc(n, sizeof(int));
        char buf[1024];
        for (int i = 0; i < n; i++) {
            fds[i] = accept(lfd, NULL, NULL);
            if (fds[i] < 0) die("accept");
            int nodelay = 1;
            setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof nodelay);
        }
        // Every request read, as a server's parked long-polls would have been.
        for (int i = 0; i < n; i++) {
            if (recv(fds[i], buf, sizeof buf, 0) <= 0) die("recv request");
        }
        while (sh->phase != 1) usleep(1000);
        sleep(1);  // let the client settle in epoll_wait, as parked clients do
        int64_t start = realtime_ns();
        for (int i = 0; i < n; i++) {
            if (send(fds[i], answer, bytes, MSG_NOSIGNAL) != bytes) die("send answer");
        }
        int64_t sent = realtime_ns();
        int status;
        waitpid(child, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) { fprintf(stderr, "client failed\n"); return 1; }
        int64_t *d = malloc(sizeof(int64_t) * n);
        for (int i = 0; i < n; i++) d[i] = stamps[i] - start;
        qsort(d, n, sizeof *d, cmp64);
        p50s[r] = d[n / 2] / 1e6;
        p99s[r] = d[(int)(n * 0.99)] / 1e6;
        maxs[r] = d[n - 1] / 1e6;
        printf("round %d: sends took %.1f ms (%.2f us each); receive p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", r + 1,
            (sent - start) / 1e6, (sent - start) / 1e3 / n, p50s[r], p99s[r], maxs[r]);
        fflush(stdout);
        for (int i = 0; i < n; i++) close(fds[i]);
        close(lfd);
        free(fds);
        free(d);
        munmap(sh, sizeof *sh);
        munmap(stamps, sizeof(int64_t) * n);
    }
    // Medians by sorting each column.
    for (int a = 0; a < rounds; a++)
        for (int b = a + 1; b < rounds; b++) {
            if (p50s[b] < p50s[a]) { double t = p50s[a]; p50s[a] = p50s[b]; p50s[b] = t; }
            if (p99s[b] < p99s[a]) { double t = p99s[a]; p99s[a] = p99s[b]; p99s[b] = t; }
            if (maxs[b] < maxs[a]) { double t = maxs[a]; maxs[a] = maxs[b]; maxs[b] = t; }
        }
    printf("RESULT n=%d bytes=%d rounds=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f\n", n, bytes, rounds, p50s[rounds / 2],
        p99s[rounds / 2], maxs[rounds / 2]);
    return 0;
}
