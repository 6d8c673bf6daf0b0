#ifndef CZKSHIMS_H
#define CZKSHIMS_H
// Glibc's Swift module does not export the epoll, eventfd, timerfd and accept4 declarations,
// and struct epoll_event is packed on x86_64, which Swift cannot lay out. These wrappers give
// Swift a plain, unpacked view of them.
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

typedef struct zk_event {
    uint32_t events;
    uint64_t data;
} zk_event;

extern const uint32_t ZK_EPOLLIN;
extern const uint32_t ZK_EPOLLOUT;
extern const uint32_t ZK_EPOLLERR;
extern const uint32_t ZK_EPOLLHUP;
extern const uint32_t ZK_EPOLLRDHUP;
extern const uint32_t ZK_EPOLLET;
extern const uint32_t ZK_EPOLLEXCLUSIVE;
extern const int ZK_EPOLL_CTL_ADD;
extern const int ZK_EPOLL_CTL_MOD;
extern const int ZK_EPOLL_CTL_DEL;

/// epoll_create1(EPOLL_CLOEXEC).
int zk_epoll_create(void);
/// epoll_ctl with the event mask and 64-bit user data passed by value.
int zk_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);
/// epoll_wait into an unpacked array; `max` is capped at 1024.
int zk_epoll_wait(int epfd, zk_event *events, int max, int timeout_ms);

/// eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC).
int zk_eventfd(void);
/// timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC).
int zk_timerfd_create(void);
/// Arms a one-shot timerfd `ns` nanoseconds from now (0 disarms).
int zk_timerfd_arm(int fd, uint64_t ns);

/// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC; the peer address goes to `addr` when non-null.
int zk_accept4(int fd, struct sockaddr_storage *addr, socklen_t *len);

/// Monotonic clock in nanoseconds (vDSO, no syscall).
uint64_t zk_monotonic_ns(void);
/// Wall clock seconds, coarse (vDSO, no syscall).
int64_t zk_realtime_coarse_s(void);

/// fcntl(F_SETFL, O_NONBLOCK) without Swift's variadic trouble.
int zk_set_nonblocking(int fd);
/// Blocks SIGINT, SIGTERM, SIGHUP and ignores SIGPIPE in the calling thread (threads created
/// after this inherit the mask), so signals reach only the thread that waits for them.
int zk_block_signals(void);
/// Waits for SIGINT, SIGTERM or SIGHUP; returns the signal number, or -1 with errno.
int zk_wait_signal(void);
/// Sends `sig` to this process (used to wake zk_wait_signal from inside).
int zk_raise_process(int sig);
/// SO_REUSEPORT, absent from some Glibc module maps.
extern const int ZK_SO_REUSEPORT;

/// Names the calling thread (at most 15 characters are kept).
void zk_set_thread_name(const char *name);
/// Adds `increment` to the calling thread's nice value (Linux schedules threads one by one);
/// 0 or -1 with errno, as setpriority(2).
int zk_renice_thread(int increment);

/// Waits up to `timeout_ms` for SIGINT, SIGTERM or SIGHUP; returns the signal, 0 on timeout.
int zk_wait_signal_timeout(int timeout_ms);
/// Raises the soft descriptor limit to the hard one; returns the new limit, or -1.
int zk_raise_nofile_limit(void);

#endif
