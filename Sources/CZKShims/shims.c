#define _GNU_SOURCE
#include "CZKShims.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>

const uint32_t ZK_EPOLLIN = EPOLLIN;
const uint32_t ZK_EPOLLOUT = EPOLLOUT;
const uint32_t ZK_EPOLLERR = EPOLLERR;
const uint32_t ZK_EPOLLHUP = EPOLLHUP;
const uint32_t ZK_EPOLLRDHUP = EPOLLRDHUP;
const uint32_t ZK_EPOLLET = EPOLLET;
const uint32_t ZK_EPOLLEXCLUSIVE = EPOLLEXCLUSIVE;
const int ZK_EPOLL_CTL_ADD = EPOLL_CTL_ADD;
const int ZK_EPOLL_CTL_MOD = EPOLL_CTL_MOD;
const int ZK_EPOLL_CTL_DEL = EPOLL_CTL_DEL;
const int ZK_SO_REUSEPORT = SO_REUSEPORT;

int zk_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int zk_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = events;
    ev.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &ev);
}

int zk_epoll_wait(int epfd, zk_event *events, int max, int timeout_ms) {
    struct epoll_event raw[1024];
    if (max > 1024) max = 1024;
    int n = epoll_wait(epfd, raw, max, timeout_ms);
    for (int i = 0; i < n; i++) {
        events[i].events = raw[i].events;
        events[i].data = raw[i].data.u64;
    }
    return n;
}

int zk_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

int zk_timerfd_create(void) { return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC); }

int zk_timerfd_arm(int fd, uint64_t ns) {
    struct itimerspec spec;
    memset(&spec, 0, sizeof spec);
    spec.it_value.tv_sec = (time_t)(ns / 1000000000ull);
    spec.it_value.tv_nsec = (long)(ns % 1000000000ull);
    return timerfd_settime(fd, 0, &spec, NULL);
}

int zk_accept4(int fd, struct sockaddr_storage *addr, socklen_t *len) {
    return accept4(fd, (struct sockaddr *)addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

uint64_t zk_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int64_t zk_realtime_coarse_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    return (int64_t)ts.tv_sec;
}

int zk_set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL, 0);
    if (flags < 0) return -1;
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

static void zk_signal_set(sigset_t *set) {
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGHUP);
}

int zk_block_signals(void) {
    signal(SIGPIPE, SIG_IGN);
    sigset_t set;
    zk_signal_set(&set);
    return pthread_sigmask(SIG_BLOCK, &set, NULL);
}

int zk_wait_signal(void) {
    sigset_t set;
    zk_signal_set(&set);
    int sig = 0;
    for (;;) {
        int rc = sigwait(&set, &sig);
        if (rc == 0) return sig;
        if (rc != EINTR) { errno = rc; return -1; }
    }
}

int zk_raise_process(int sig) { return kill(getpid(), sig); }

void zk_set_thread_name(const char *name) {
    char buf[16];
    strncpy(buf, name, sizeof buf - 1);
    buf[sizeof buf - 1] = 0;
    pthread_setname_np(pthread_self(), buf);
}

int zk_renice_thread(int increment) {
    pid_t tid = (pid_t)syscall(SYS_gettid);
    errno = 0;
    int current = getpriority(PRIO_PROCESS, (id_t)tid);
    if (current == -1 && errno != 0) return -1;
    return setpriority(PRIO_PROCESS, (id_t)tid, current + increment);
}

int zk_wait_signal_timeout(int timeout_ms) {
    sigset_t set;
    zk_signal_set(&set);
    struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L };
    for (;;) {
        int sig = sigtimedwait(&set, NULL, &ts);
        if (sig >= 0) return sig;
        if (errno == EAGAIN) return 0;
        if (errno != EINTR) return -1;
    }
}

int zk_raise_nofile_limit(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return -1;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) return -1;
    return (int)rl.rlim_cur;
}
