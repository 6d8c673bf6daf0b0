// bench/tls/handshakes.c: the TLS handshake load client of bench/tls.sh.
//
// Keeps C connections busy for D seconds. Each connection connects, completes a TLS
// handshake, sends one `GET PATH` with `Connection: close`, reads the answer and then reads on
// until the server closes; then the slot starts over with a new socket and a new SSL object.
// Without -r no session is ever offered, so every handshake is a full one (key exchange and
// the server's signature); with -r each slot offers the session its previous connection got,
// so the server may resume it.
//
// Why not wrk -H "Connection: close": wrk reuses one SSL object per connection slot across
// reconnects (SSL_shutdown + SSL_clear keep the session), so it resumes whenever the server
// issues tickets and measures resumed handshakes, not full ones. openssl s_time -new does full
// handshakes but one at a time, so the server idles while the client works.
//
// Output: one line of key=value pairs (see the printf at the end). Latency runs from the
// connect call to the answer's last byte. A connection counts once the server has closed it
// after a 200 answer, inside the D seconds.
//
// Build: cc -O2 -o handshakes handshakes.c -lssl -lcrypto
// Usage: handshakes [-H host] [-p port] [-c conns] [-d seconds] [-v 1.2|1.3] [-r] [-P path]
//                   [-n servername]
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum state { CONNECTING, HANDSHAKING, WRITING, READING };

struct conn {
    int fd;
    SSL *ssl;
    enum state state;
    double started;    // connect called
    double deadline;   // give up on a server that neither answers nor closes
    char head[4096];   // the answer's first bytes: status line and headers
    size_t got;        // answer bytes read so far
    long body_at;      // offset of the body, -1 before the end of the headers
    long length;       // Content-Length, -1 when absent
    int status;
    int answered;      // the whole answer is in
    int retry;         // failed: start over from the main loop, not from inside the failure
    unsigned char *session; // with -r: the last session (DER), offered on the next connection
    int session_len;
};

static const char *host = "127.0.0.1", *path = "/healthz", *servername = "localhost";
static int port = 443, nconns = 32, resume = 0, tls_max = 0;
static double duration = 5;

static SSL_CTX *ctx;
static int ep;
static char request[512];
static size_t request_len;
static double t_start, t_end;
static int stopping;

static long done, errors, resets, resumed, timeouts, non200;
static double *lat;
static size_t nlat, caplat;
static char proto[32], cipher[64], group[32], sigalg[32];

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what) {
    fprintf(stderr, "handshakes: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void record_latency(double ms) {
    if (nlat == caplat) {
        caplat = caplat ? caplat * 2 : 65536;
        lat = realloc(lat, caplat * sizeof *lat);
        if (!lat) die("realloc");
    }
    lat[nlat++] = ms;
}

static void start(struct conn *c);
static void drive(struct conn *c);

// save_session: keeps the connection's session in its DER form. OpenSSL 3.0 does not offer the
// SSL_SESSION object of a finished connection again (no pre_shared_key in the next
// ClientHello), but it does offer a copy decoded from DER, as s_client -sess_in does.
static void save_session(struct conn *c) {
    SSL_SESSION *s = SSL_get1_session(c->ssl);
    if (!s) return;
    int len = i2d_SSL_SESSION(s, NULL);
    if (len > 0) {
        unsigned char *der = realloc(c->session, len), *p = der;
        if (!der) die("realloc");
        c->session = der;
        c->session_len = i2d_SSL_SESSION(s, &p);
    }
    SSL_SESSION_free(s);
}

// finish: the connection is over (ok: the server closed it after a 200 answer). The slot
// starts over unless the run is over.
static void finish(struct conn *c, int ok) {
    double t = now();
    if (c->ssl) {
        if (resume && ok) save_session(c);
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->fd >= 0) {
        close(c->fd);   // also drops it from the epoll set
        c->fd = -1;
    }
    if (t <= t_end) {
        if (ok) done++;
        else errors++;
    }
    // A failure may come straight from start() (a refused connect), so restarting here could
    // recurse without end; the main loop restarts failed slots instead.
    if (!stopping) {
        if (ok) start(c);
        else c->retry = 1;
    }
}

static void start(struct conn *c) {
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    int one = 1;
    inet_pton(AF_INET, host, &sa.sin_addr);
    c->got = 0;
    c->body_at = -1;
    c->length = -1;
    c->status = 0;
    c->answered = 0;
    c->retry = 0;
    c->started = now();
    c->deadline = c->started + 10;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) die("socket");
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->ssl = SSL_new(ctx);
    if (!c->ssl) { ERR_print_errors_fp(stderr); exit(1); }
    SSL_set_fd(c->ssl, c->fd);
    SSL_set_tlsext_host_name(c->ssl, servername);
    SSL_set_connect_state(c->ssl);
    if (resume && c->session_len > 0) {
        const unsigned char *p = c->session;
        SSL_SESSION *s = d2i_SSL_SESSION(NULL, &p, c->session_len);
        if (s) {
            SSL_set_session(c->ssl, s);
            SSL_SESSION_free(s);
        }
    }
    // Edge-triggered: drive() always runs until OpenSSL wants more, which means the socket
    // said EAGAIN.
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) die("epoll_ctl");
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
        c->state = HANDSHAKING;
        drive(c);
    } else if (errno == EINPROGRESS) {
        c->state = CONNECTING;
    } else {
        finish(c, 0);
    }
}

static void parse_head(struct conn *c) {
    size_t n = c->got < sizeof c->head ? c->got : sizeof c->head;
    char *end = memmem(c->head, n, "\r\n\r\n", 4);
    if (!end) return;
    c->body_at = end + 4 - c->head;
    *end = 0;
    if (sscanf(c->head, "HTTP/1.%*d %d", &c->status) != 1) c->status = -1;
    char *cl = strcasestr(c->head, "\r\ncontent-length:");
    if (cl) c->length = strtol(cl + 17, NULL, 10);
}

static void answered(struct conn *c) {
    c->answered = 1;
    double t = now();
    if (t <= t_end) record_latency((t - c->started) * 1000);
    if (c->status != 200 && t <= t_end) non200++;
    if (SSL_session_reused(c->ssl) && t <= t_end) resumed++;
    if (!proto[0]) {
        int nid;
        snprintf(proto, sizeof proto, "%s", SSL_get_version(c->ssl));
        snprintf(cipher, sizeof cipher, "%s", SSL_get_cipher_name(c->ssl));
        nid = SSL_get_negotiated_group(c->ssl);
        snprintf(group, sizeof group, "%s", nid > 0 ? OBJ_nid2sn(nid & ~TLSEXT_nid_unknown) : "none");
        if (SSL_get_peer_signature_type_nid(c->ssl, &nid) == 1)
            snprintf(sigalg, sizeof sigalg, "%s", OBJ_nid2sn(nid));
        else
            snprintf(sigalg, sizeof sigalg, "none");
    }
}

static void drive(struct conn *c) {
    char buf[16384];
    int r, e;
    for (;;) {
        switch (c->state) {
        case CONNECTING: {
            int err = 0;
            socklen_t len = sizeof err;
            getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err == EINPROGRESS || err == EALREADY) return;
            if (err) { finish(c, 0); return; }
            c->state = HANDSHAKING;
            break;
        }
        case HANDSHAKING:
            r = SSL_do_handshake(c->ssl);
            if (r == 1) { c->state = WRITING; break; }
            e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return;
            if (now() <= t_end) ERR_print_errors_fp(stderr);
            ERR_clear_error();
            finish(c, 0);
            return;
        case WRITING:
            r = SSL_write(c->ssl, request, (int)request_len);
            if (r > 0) { c->state = READING; break; }
            e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return;
            ERR_clear_error();
            finish(c, 0);
            return;
        case READING:
            r = SSL_read(c->ssl, buf, sizeof buf);
            if (r > 0) {
                if (c->got < sizeof c->head) {
                    size_t take = sizeof c->head - c->got;
                    if (take > (size_t)r) take = r;
                    memcpy(c->head + c->got, buf, take);
                }
                c->got += r;
                if (c->body_at < 0) parse_head(c);
                if (!c->answered && c->body_at >= 0 && c->length >= 0 &&
                    c->got >= (size_t)(c->body_at + c->length))
                    answered(c);
                break;
            }
            e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return;
            if (e == SSL_ERROR_SYSCALL && errno == ECONNRESET) {
                // A reset after the whole answer still served the request.
                if (c->answered && now() <= t_end) resets++;
            } else if (e != SSL_ERROR_ZERO_RETURN && e != SSL_ERROR_SYSCALL) {
                ERR_clear_error();
            }
            // The server closed: an answer without Content-Length ends here.
            if (!c->answered && c->body_at >= 0 && c->length < 0) answered(c);
            finish(c, c->answered && c->status == 200);
            return;
        }
    }
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(double p) {
    if (nlat == 0) return 0;
    size_t i = (size_t)(p * (nlat - 1) + 0.5);
    return lat[i];
}

int main(int argc, char **argv) {
    int opt;
    while ((opt = getopt(argc, argv, "H:p:c:d:v:rP:n:")) != -1) {
        switch (opt) {
        case 'H': host = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 'c': nconns = atoi(optarg); break;
        case 'd': duration = atof(optarg); break;
        case 'v': tls_max = strcmp(optarg, "1.2") == 0 ? TLS1_2_VERSION : TLS1_3_VERSION; break;
        case 'r': resume = 1; break;
        case 'P': path = optarg; break;
        case 'n': servername = optarg; break;
        default:
            fprintf(stderr, "usage: %s [-H host] [-p port] [-c conns] [-d seconds] [-v 1.2|1.3] [-r] "
                            "[-P path] [-n servername]\n", argv[0]);
            return 2;
        }
    }
    if (nconns < 1 || duration <= 0) { fprintf(stderr, "handshakes: bad -c or -d\n"); return 2; }

    ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) { ERR_print_errors_fp(stderr); return 1; }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (tls_max) SSL_CTX_set_max_proto_version(ctx, tls_max);
    // Like wrk and curl -k: no chain verification (the handshake's own signature is still
    // checked). A server closing without close_notify is an ordinary end here.
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    // Sessions are kept by hand (per slot, -r only), never through OpenSSL's client cache.
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    static const unsigned char alpn[] = "\x08http/1.1";
    SSL_CTX_set_alpn_protos(ctx, alpn, sizeof alpn - 1);

    request_len = snprintf(request, sizeof request,
                           "GET %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n", path, servername, port);

    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");
    struct conn *conns = calloc(nconns, sizeof *conns);
    if (!conns) die("calloc");
    t_start = now();
    t_end = t_start + duration;
    for (int i = 0; i < nconns; i++) { conns[i].fd = -1; start(&conns[i]); }

    struct epoll_event evs[256];
    double grace_end = 0;
    for (;;) {
        double t = now();
        if (!stopping && t >= t_end) { stopping = 1; grace_end = t + 2; }
        if (stopping) {
            // Let the connections under way end normally, so that the servers see no
            // burst of resets.
            int open = 0;
            for (int i = 0; i < nconns; i++) open += conns[i].fd >= 0;
            if (open == 0 || t >= grace_end) break;
        }
        for (int i = 0; i < nconns; i++) {
            if (conns[i].fd >= 0 && t >= conns[i].deadline) {
                if (t <= t_end) timeouts++;
                finish(&conns[i], 0);
            }
        }
        int n = epoll_wait(ep, evs, 256, 50);
        if (n < 0 && errno != EINTR) die("epoll_wait");
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (c->fd >= 0) drive(c);
        }
        for (int i = 0; i < nconns && !stopping; i++) {
            if (conns[i].retry) { conns[i].retry = 0; start(&conns[i]); }
        }
    }
    for (int i = 0; i < nconns; i++) {
        if (conns[i].fd >= 0) { SSL_free(conns[i].ssl); close(conns[i].fd); }
        free(conns[i].session);
    }

    qsort(lat, nlat, sizeof *lat, cmp);
    printf("connections=%ld seconds=%.3f rate=%.1f p50_ms=%.3f p99_ms=%.3f errors=%ld non200=%ld "
           "timeouts=%ld resets_after_answer=%ld resumed=%ld protocol=%s cipher=%s group=%s sigalg=%s\n",
           done, duration, done / duration, pct(0.50), pct(0.99), errors, non200, timeouts, resets, resumed,
           proto[0] ? proto : "none", cipher[0] ? cipher : "none", group[0] ? group : "none",
           sigalg[0] ? sigalg : "none");
    return done > 0 ? 0 : 1;
}
