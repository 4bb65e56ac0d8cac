/*
 * bench.h - the parts of ondc-bench (tools/bench_*.c): the generator
 * (bench_main.c) and the callback sink it runs in its own epoll loop
 * (bench_sink.c).
 */
#ifndef ONDC_BENCH_H
#define ONDC_BENCH_H
#include <stddef.h>
#include <stdint.h>

/* epoll tags: a generator connection is its index; these are above any */
#define BENCH_EV_LISTEN (1ull << 40)
#define BENCH_EV_SINK (1ull << 41) /* | the sink connection's slot */

/* bench_sink_listen - listen on 127.0.0.1:PORT, in the epoll set EP. */
int bench_sink_listen(int ep, int port);

/* bench_sink_event - an epoll event tagged BENCH_EV_LISTEN or BENCH_EV_SINK. */
void bench_sink_event(uint64_t tag);

/* bench_sink_on - one on_* received (bench_main.c): BODY of LEN bytes and
 * its Authorization header ("" if none). */
void bench_sink_on(const char *body, size_t len, const char *auth);

/* bench_sink_errors - connections closed for what was not HTTP. */
size_t bench_sink_errors(void);

/* bench_sink_close - close every sink connection and the listener. */
void bench_sink_close(void);
#endif
