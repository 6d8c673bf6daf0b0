/*
 * bench/h2/nghttp2_mem.c — what libnghttp2 itself keeps per server session and per open
 * stream, with no server around it.
 *
 * Why: zkgate's RSS per h2c connection and per parked stream (bench/h2/parked.py) is
 * nghttp2's session state plus zkgate's own; this measures the first part in the same
 * process layout (one session per connection, requests like parked.py's), so the rest can be
 * put down to zkgate. bench/h2.sh builds it with `cc -O2 ... -lnghttp2` and runs it beside the
 * parked rounds.
 *
 * Usage: nghttp2_mem [CONNS [STREAMS [PATH]]]   (defaults 500, 200, a parked.py-like target)
 *   1. Creates CONNS server sessions, each with zkgate's SETTINGS (256 streams, 16 KiB header
 *      list, 4 KiB table) queued and sent, and a client session paired with it to make the
 *      request bytes; reads VmRSS before and after the server sessions.
 *   2. Encodes STREAMS `GET PATH` requests per connection with the client sessions (their
 *      memory counted out: the bytes are made before the second reading), then feeds them to
 *      the server sessions, which open one stream each, and reads VmRSS again.
 * Prints "session_bytes=S stream_bytes=T": (RSS growth) * 1024 / CONNS and / (CONNS*STREAMS).
 */
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long rss_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) kb = atol(line + 6);
    if (f) fclose(f);
    return kb;
}

/* pump: everything a session has to send goes into the other. */
static void pump(nghttp2_session *from, nghttp2_session *to) {
    const uint8_t *data;
    ssize_t n;
    while ((n = nghttp2_session_mem_send(from, &data)) > 0) nghttp2_session_mem_recv(to, data, (size_t)n);
}

int main(int argc, char **argv) {
    int conns = argc > 1 ? atoi(argv[1]) : 500;
    int streams = argc > 2 ? atoi(argv[2]) : 200;
    const char *path = argc > 3 ? argv[3] : "/v1/nodes/fleet?index=1&wait=55s";
    if (conns <= 0 || streams <= 0) {
        fprintf(stderr, "usage: nghttp2_mem [CONNS [STREAMS [PATH]]]\n");
        return 2;
    }
    nghttp2_session_callbacks *cb;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session **srv = calloc(conns, sizeof *srv), **cli = calloc(conns, sizeof *cli);
    uint8_t **req = calloc(conns, sizeof *req);
    size_t *req_len = calloc(conns, sizeof *req_len);
    nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 256},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, 16384},
        {NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, 4096},
    };
    nghttp2_nv nva[] = {
        {(uint8_t *)":method", (uint8_t *)"GET", 7, 3, NGHTTP2_NV_FLAG_NONE},
        {(uint8_t *)":scheme", (uint8_t *)"http", 7, 4, NGHTTP2_NV_FLAG_NONE},
        {(uint8_t *)":authority", (uint8_t *)"127.0.0.1:18380", 10, 15, NGHTTP2_NV_FLAG_NONE},
        {(uint8_t *)":path", (uint8_t *)path, 5, strlen(path), NGHTTP2_NV_FLAG_NONE},
        {(uint8_t *)"user-agent", (uint8_t *)"zkgate-bench-h2", 10, 15, NGHTTP2_NV_FLAG_NONE},
    };

    for (int i = 0; i < conns; i++) {
        nghttp2_session_client_new(&cli[i], cb, NULL);
        nghttp2_submit_settings(cli[i], NGHTTP2_FLAG_NONE, NULL, 0);
    }
    long before = rss_kb();
    for (int i = 0; i < conns; i++) {
        nghttp2_session_server_new(&srv[i], cb, NULL);
        nghttp2_submit_settings(srv[i], NGHTTP2_FLAG_NONE, settings, 3);
        pump(cli[i], srv[i]);
        pump(srv[i], cli[i]);
        pump(cli[i], srv[i]); /* the SETTINGS ACKs */
    }
    long with_sessions = rss_kb();

    for (int i = 0; i < conns; i++) {
        for (int k = 0; k < streams; k++) nghttp2_submit_request(cli[i], NULL, nva, 5, NULL, NULL);
        const uint8_t *data;
        ssize_t n;
        size_t cap = 4096;
        req[i] = malloc(cap);
        while ((n = nghttp2_session_mem_send(cli[i], &data)) > 0) {
            if (req_len[i] + (size_t)n > cap) req[i] = realloc(req[i], cap = 2 * (req_len[i] + n));
            memcpy(req[i] + req_len[i], data, (size_t)n);
            req_len[i] += (size_t)n;
        }
    }
    long requests_made = rss_kb();
    for (int i = 0; i < conns; i++) {
        nghttp2_session_mem_recv(srv[i], req[i], req_len[i]);
        if (nghttp2_session_get_last_proc_stream_id(srv[i]) != 2 * streams - 1) {
            fprintf(stderr, "nghttp2_mem: session %d did not open its %d streams\n", i, streams);
            return 1;
        }
    }
    long with_streams = rss_kb();
    printf("session_bytes=%ld stream_bytes=%ld\n", (with_sessions - before) * 1024 / conns,
           (with_streams - requests_made) * 1024 / ((long)conns * streams));
    return 0;
}
