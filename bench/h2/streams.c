/*
 * bench/h2/streams.c — one worker of bench/h2/parked.py: holds M long-poll streams on each of C
 * h2c connections (prior knowledge), then notes when each stream's answer arrived.
 *
 * Why C and nghttp2: a client of 100,000 HTTP/2 streams in Python spends seconds of its own
 * CPU in HPACK and frame parsing, on the core the measurement shares; nghttp2's client costs a
 * few microseconds a stream and is the library zkgate's server side uses too. bench/h2.sh
 * builds it with `cc -O2 ... -lnghttp2` at run time, as bench/tls.sh builds handshakes.c.
 *
 * Usage: streams -H HOST -p PORT -c CONNS -m STREAMS -t TARGET -e EXPECT
 *                [-s 127.0.0.2-127.0.0.9] [-o OFFSET] [-T SECONDS]
 *
 * It speaks bench/longpoll.py's worker protocol on stdout and stdin, so that script's Workers
 * class drives it:
 *   1. Opens CONNS connections, each socket bound to the next -s source address (round-robin
 *      from OFFSET, IP_BIND_ADDRESS_NO_PORT so the kernel picks the port per destination), with
 *      kernel receive timestamps (SO_TIMESTAMPNS) on, and sends the preface and SETTINGS. Once
 *      every connection has the server's SETTINGS and the ACK of its own, prints
 *      "connected N errors E" and waits for a line on stdin: the server's RSS is read between.
 *   2. Then submits STREAMS `GET TARGET` requests on every connection and, once every HEADERS
 *      frame is written, prints "parked P errors E early X" (early: answers before that).
 *   3. Collects the answers: for each stream, the kernel receive time (ns since the epoch) of
 *      the read that held the first byte of its answer's HEADERS frame, and whether the answer
 *      is a 200 whose body holds EXPECT. A read takes at most 16 KiB, so a stamp is that of the
 *      last segment in it: on loopback one segment is one server write, so the stamp is the
 *      write's (late by at most one write when a read spans two). Ends when every stream is
 *      answered or failed, on "stop" or end of file on stdin, or after SECONDS, and prints
 *      "result {json}" with answered, errors, early, wrong, kernel_ts, first_error and ts.
 * A stream reset, a GOAWAY or a closed connection counts as an error for each stream it ends.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define READ_SIZE 16384
#define BODY_CAP 4096
/* A connection window far above the 64 KiB default, as browsers set it: 200 answers of ~300
 * bytes would otherwise wait on a WINDOW_UPDATE round trip part-way through the fan-out. */
#define CONN_WINDOW (16 << 20)

enum { C_CONNECTING, C_OPEN, C_DEAD };
enum { S_NEW, S_SENT, S_ANSWERING, S_DONE };

struct stream {
    int64_t ts;
    char *body;
    uint16_t len;
    uint16_t status;
    uint8_t state;
};

struct conn {
    int fd;
    int state;
    int got_settings, got_ack;
    nghttp2_session *session;
    struct stream *streams;
    uint8_t *pending; /* bytes nghttp2 gave that the socket did not take */
    size_t pending_len;
    int want_out;
};

static int n_conns, n_streams, offset, timeout_s = 120;
static const char *host = "127.0.0.1", *target, *expect, *sources_arg = "127.0.0.2-127.0.0.9";
static int port;
static char authority[300];
static struct in_addr *sources;
static int n_sources;
static struct conn *conns;
static int epfd;

static int phase; /* 0 connecting, 1 waiting for go, 2 parking, 3 collecting */
static long sent_headers, answered, errors, early, wrong, kernel_ts;
static char first_error[200];
static int64_t cur_ts;
static int cur_ts_kernel;

/* The first failure's text, kept for the result (quotes and controls blanked for JSON). */
static void first_failure(const char *fmt, ...) {
    if (!first_error[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(first_error, sizeof first_error, fmt, ap);
        va_end(ap);
        for (char *p = first_error; *p; p++)
            if (*p == '"' || *p == '\\' || (unsigned char)*p < 32) *p = ' ';
    }
}

#define note_error(...) (errors++, first_failure(__VA_ARGS__))

static int64_t now_real(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static double now_mono(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void parse_sources(const char *text) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s", text);
    char *dash = strchr(buf, '-');
    if (dash) {
        *dash = 0;
        struct in_addr a, b;
        if (!inet_aton(buf, &a) || !inet_aton(dash + 1, &b)) goto bad;
        uint32_t x = ntohl(a.s_addr), y = ntohl(b.s_addr);
        if (y < x) goto bad;
        n_sources = (int)(y - x + 1);
        sources = calloc(n_sources, sizeof *sources);
        for (int i = 0; i < n_sources; i++) sources[i].s_addr = htonl(x + i);
        return;
    }
    sources = calloc(64, sizeof *sources);
    for (char *tok = strtok(buf, ","); tok && n_sources < 64; tok = strtok(NULL, ","))
        if (!inet_aton(tok, &sources[n_sources++])) goto bad;
    if (n_sources) return;
bad:
    fprintf(stderr, "streams: bad -s %s\n", text);
    exit(2);
}

static void set_events(struct conn *c, int out) {
    if (c->want_out == out) return;
    c->want_out = out;
    struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static long unsent;        /* streams submitted whose HEADERS frame is not written yet */
static long conn_errors;   /* connections that failed before the requests */

/* finish: a stream that will have no answer, counted as an error. */
static void finish(struct stream *s, const char *why) {
    if (s->state == S_DONE) return;
    if (s->state == S_NEW) unsent--;
    note_error("%s", why);
    s->state = S_DONE;
    s->ts = 0;
    free(s->body);
    s->body = NULL;
}

static void kill_conn(struct conn *c, const char *why) {
    if (c->state == C_DEAD) return;
    if (phase < 2) {
        conn_errors++; /* its streams count as errors when the requests are submitted */
        first_failure("%s", why);
    } else {
        for (int i = 0; i < n_streams; i++) finish(&c->streams[i], why);
    }
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->state = C_DEAD;
}

/* Writes what nghttp2 has to send; keeps the rest for EPOLLOUT. */
static void flush_conn(struct conn *c) {
    if (c->state != C_OPEN) return;
    for (;;) {
        if (!c->pending_len) {
            const uint8_t *data;
            ssize_t n = nghttp2_session_mem_send(c->session, &data);
            if (n < 0) return kill_conn(c, nghttp2_strerror((int)n));
            if (n == 0) break;
            c->pending = realloc(c->pending, n);
            memcpy(c->pending, data, n);
            c->pending_len = n;
        }
        ssize_t w = send(c->fd, c->pending, c->pending_len, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EAGAIN) break;
            return kill_conn(c, "send failed");
        }
        memmove(c->pending, c->pending + w, c->pending_len - w);
        c->pending_len -= w;
        if (c->pending_len) break;
    }
    set_events(c, c->pending_len > 0);
}

/* --- nghttp2 callbacks --------------------------------------------------------------------- */
static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *user) {
    struct conn *c = user;
    (void)session;
    if (frame->hd.type == NGHTTP2_SETTINGS) {
        if (frame->hd.flags & NGHTTP2_FLAG_ACK) c->got_ack = 1;
        else c->got_settings = 1;
    } else if (frame->hd.type == NGHTTP2_GOAWAY && frame->goaway.error_code != NGHTTP2_NO_ERROR) {
        first_failure("GOAWAY error %u", frame->goaway.error_code);
    }
    return 0;
}

static int on_begin_headers(nghttp2_session *session, const nghttp2_frame *frame, void *user) {
    (void)user;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_RESPONSE) return 0;
    struct stream *s = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
    if (!s || s->state != S_SENT) return 0;
    s->state = S_ANSWERING;
    s->ts = cur_ts;
    kernel_ts += cur_ts_kernel;
    if (phase < 3) early++;
    return 0;
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name, size_t namelen,
                     const uint8_t *value, size_t valuelen, uint8_t flags, void *user) {
    (void)flags;
    (void)user;
    if (frame->hd.type != NGHTTP2_HEADERS || namelen != 7 || memcmp(name, ":status", 7)) return 0;
    struct stream *s = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
    if (s) s->status = (uint16_t)atoi((const char *)value), (void)valuelen;
    return 0;
}

static int on_data_chunk(nghttp2_session *session, uint8_t flags, int32_t stream_id, const uint8_t *data,
                         size_t len, void *user) {
    (void)flags;
    (void)user;
    struct stream *s = nghttp2_session_get_stream_user_data(session, stream_id);
    if (!s) return 0;
    if (!s->body) s->body = malloc(BODY_CAP + 1);
    size_t room = BODY_CAP - s->len;
    if (len > room) len = room;
    memcpy(s->body + s->len, data, len);
    s->len += (uint16_t)len;
    return 0;
}

static int on_stream_close(nghttp2_session *session, int32_t stream_id, uint32_t error_code, void *user) {
    (void)user;
    struct stream *s = nghttp2_session_get_stream_user_data(session, stream_id);
    if (!s || s->state == S_DONE) return 0;
    if (error_code != NGHTTP2_NO_ERROR || s->state != S_ANSWERING) {
        char why[80];
        snprintf(why, sizeof why, "stream %d closed without an answer (error %u)", stream_id, error_code);
        finish(s, why);
        return 0;
    } else {
        answered++;
        if (s->body) s->body[s->len] = 0;
        if (s->status != 200 || !s->body || !strstr(s->body, expect)) {
            wrong++;
            first_failure("wrong answer: status %d, body %.120s", s->status, s->body ? s->body : "");
        }
    }
    free(s->body);
    s->body = NULL;
    s->state = S_DONE;
    return 0;
}

static int on_frame_send(nghttp2_session *session, const nghttp2_frame *frame, void *user) {
    (void)user;
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    struct stream *s = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
    if (s && s->state == S_NEW) {
        s->state = S_SENT;
        sent_headers++;
        unsent--;
    }
    return 0;
}

static nghttp2_session_callbacks *callbacks;

static void open_session(struct conn *c) {
    if (nghttp2_session_client_new(&c->session, callbacks, c)) {
        fprintf(stderr, "streams: nghttp2_session_client_new failed\n");
        exit(2);
    }
    nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0}};
    nghttp2_submit_settings(c->session, NGHTTP2_FLAG_NONE, iv, 1);
    nghttp2_session_set_local_window_size(c->session, NGHTTP2_FLAG_NONE, 0, CONN_WINDOW);
    c->state = C_OPEN;
    flush_conn(c);
}

static void submit_all(struct conn *c) {
    if (c->state != C_OPEN) {
        for (int i = 0; i < n_streams; i++) {
            c->streams[i].state = S_DONE;
            note_error("%s", "connection failed before its requests");
        }
        return;
    }
    nghttp2_nv nva[] = {
        {(uint8_t *)":method", (uint8_t *)"GET", 7, 3, NGHTTP2_NV_FLAG_NONE},
        {(uint8_t *)":scheme", (uint8_t *)"http", 7, 4, NGHTTP2_NV_FLAG_NONE},
        {(uint8_t *)":authority", (uint8_t *)authority, 10, strlen(authority), NGHTTP2_NV_FLAG_NONE},
        {(uint8_t *)":path", (uint8_t *)target, 5, strlen(target), NGHTTP2_NV_FLAG_NONE},
        {(uint8_t *)"user-agent", (uint8_t *)"zkgate-bench-h2", 10, 15, NGHTTP2_NV_FLAG_NONE},
    };
    for (int i = 0; i < n_streams; i++) {
        struct stream *s = &c->streams[i];
        int32_t id = nghttp2_submit_request(c->session, NULL, nva, sizeof nva / sizeof nva[0], NULL, s);
        if (id < 0) {
            note_error("submit: %s", nghttp2_strerror(id));
            s->state = S_DONE;
            continue;
        }
        unsent++;
    }
    flush_conn(c);
}

/* --- I/O ------------------------------------------------------------------------------------ */
static void on_readable(struct conn *c) {
    static uint8_t buf[READ_SIZE];
    char cbuf[CMSG_SPACE(sizeof(struct timespec))];
    struct iovec iov = {buf, sizeof buf};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    ssize_t n = recvmsg(c->fd, &msg, 0);
    if (n < 0) {
        if (errno == EAGAIN) return;
        return kill_conn(c, "recv failed");
    }
    if (n == 0) return kill_conn(c, "closed by the server");
    cur_ts = 0;
    cur_ts_kernel = 0;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec t;
            memcpy(&t, CMSG_DATA(cm), sizeof t);
            cur_ts = (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
            cur_ts_kernel = 1;
        }
    }
    if (!cur_ts) cur_ts = now_real();
    ssize_t used = nghttp2_session_mem_recv(c->session, buf, n);
    if (used < 0) return kill_conn(c, nghttp2_strerror((int)used));
    flush_conn(c);
    if (!nghttp2_session_want_read(c->session) && !nghttp2_session_want_write(c->session))
        kill_conn(c, "session ended (GOAWAY)");
}

static void start_connect(struct conn *c, int k) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        perror("streams: socket");
        exit(2);
    }
    int one = 1;
    setsockopt(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in src = {.sin_family = AF_INET, .sin_addr = sources[(offset + k) % n_sources]};
    if (bind(fd, (struct sockaddr *)&src, sizeof src)) {
        perror("streams: bind");
        exit(2);
    }
    struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_aton(host, &dst.sin_addr);
    c->fd = fd;
    c->state = C_CONNECTING;
    c->streams = calloc(n_streams, sizeof *c->streams);
    struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
    c->want_out = 1;
    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
    if (connect(fd, (struct sockaddr *)&dst, sizeof dst) && errno != EINPROGRESS) kill_conn(c, strerror(errno));
}

static void on_connected(struct conn *c) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) return kill_conn(c, strerror(err));
    c->want_out = -1;
    set_events(c, 0);
    open_session(c);
}

/* stdin: 1 for a line (go, or stop), -1 for end of file, 0 for neither yet. */
static int read_stdin(void) {
    char buf[256];
    ssize_t n = read(0, buf, sizeof buf);
    if (n <= 0) return n < 0 && errno == EAGAIN ? 0 : -1;
    return memchr(buf, '\n', n) != NULL;
}

static int all_open(void) {
    for (int i = 0; i < n_conns; i++) {
        struct conn *c = &conns[i];
        if (c->state == C_CONNECTING || (c->state == C_OPEN && !(c->got_settings && c->got_ack))) return 0;
    }
    return 1;
}

int main(int argc, char **argv) {
    int opt;
    while ((opt = getopt(argc, argv, "H:p:c:m:t:e:s:o:T:")) != -1) {
        switch (opt) {
        case 'H': host = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 'c': n_conns = atoi(optarg); break;
        case 'm': n_streams = atoi(optarg); break;
        case 't': target = optarg; break;
        case 'e': expect = optarg; break;
        case 's': sources_arg = optarg; break;
        case 'o': offset = atoi(optarg); break;
        case 'T': timeout_s = atoi(optarg); break;
        default: goto usage;
        }
    }
    if (!port || n_conns <= 0 || n_streams <= 0 || !target || !expect) {
    usage:
        fprintf(stderr, "usage: streams -H host -p port -c conns -m streams -t target -e expect "
                        "[-s sources] [-o offset] [-T seconds]\n");
        return 2;
    }
    /* A coordinator that is killed takes its workers with it. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1) return 4;
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    parse_sources(sources_arg);
    snprintf(authority, sizeof authority, "%s:%d", host, port);

    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, on_frame_recv);
    nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, on_stream_close);
    nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, on_frame_send);

    epfd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event sev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &sev);
    conns = calloc(n_conns, sizeof *conns);
    for (int i = 0; i < n_conns; i++) start_connect(&conns[i], i);

    long total = (long)n_conns * n_streams;
    double deadline = now_mono() + timeout_s;
    struct epoll_event evs[256];
    for (;;) {
        if (phase == 0 && all_open()) {
            int open = 0;
            for (int i = 0; i < n_conns; i++) open += conns[i].state == C_OPEN;
            printf("connected %d errors %ld\n", open, conn_errors);
            fflush(stdout);
            phase = 1;
            deadline = now_mono() + timeout_s;
        }
        if (phase == 2 && unsent == 0) {
            printf("parked %ld errors %ld early %ld\n", sent_headers, errors, early);
            fflush(stdout);
            if (errors) fprintf(stderr, "streams: first error: %s\n", first_error);
            phase = 3;
            deadline = now_mono() + timeout_s;
        }
        if (phase == 3 && answered + errors >= total) break;
        double left = deadline - now_mono();
        if (left <= 0) {
            fprintf(stderr, "streams: phase %d did not finish in %d s\n", phase, timeout_s);
            if (phase < 3) return 3;
            break;
        }
        int n = epoll_wait(epfd, evs, 256, (int)(left * 1000) + 1);
        if (n < 0 && errno != EINTR) {
            perror("streams: epoll_wait");
            return 2;
        }
        int stop = 0;
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (!c) {
                int got = read_stdin();
                if (got == 0) continue;
                if (phase == 3) {
                    stop = 1;
                } else if (got < 0) {
                    fprintf(stderr, "streams: the coordinator went away\n");
                    return 4;
                } else if (phase == 1) {
                    phase = 2;
                    for (int k = 0; k < n_conns; k++) submit_all(&conns[k]);
                }
                continue;
            }
            if (c->state == C_DEAD) continue;
            if (c->state == C_CONNECTING) {
                if (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) on_connected(c);
                continue;
            }
            if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(c);
            if (c->state == C_OPEN && (evs[i].events & EPOLLOUT)) flush_conn(c);
        }
        if (stop) break;
    }

    printf("result {\"answered\": %ld, \"errors\": %ld, \"early\": %ld, \"wrong\": %ld, \"kernel_ts\": %ld, "
           "\"first_error\": \"%s\", \"ts\": [",
           answered, errors, early, wrong, kernel_ts, first_error);
    int first = 1;
    for (int i = 0; i < n_conns; i++)
        for (int j = 0; j < n_streams; j++) {
            struct stream *s = &conns[i].streams[j];
            if (s->state == S_DONE && s->ts) {
                printf(first ? "%lld" : ",%lld", (long long)s->ts);
                first = 0;
            }
        }
    printf("]}\n");
    fflush(stdout);
    return 0;
}
