/*
 * metrics.h - counters and histograms every process publishes, and the one
 * renderer that shows the whole fleet in a single Prometheus scrape.
 *
 * Each process maps its own small file RUN_DIR/metrics/{instance}.prom.bin
 * and is its only writer: a counter is a uint64 in that mapping, bumped
 * without locks or syscalls. The admin listener (ondc-admin) reads every
 * process's file on GET /metrics and renders them with labels stage and
 * instance. The file survives restarts, so counters are monotonic across a
 * crash and "ondc_process_starts_total" counts restarts. A heartbeat gauge, written
 * by the runtime every second, tells /ready which stages are alive.
 *
 * Config keys read: run_dir.
 */
#ifndef ONDC_METRICS_H
#define ONDC_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define METRICS_MAX 512

/* metrics_open - map (creating) this process's file for INSTANCE ("order.0")
 * of STAGE ("worker") under RUN_DIR. Without it every counter is a dummy. */
int metrics_open(const char *run_dir, const char *stage, const char *instance);

/* metrics_close - unmap. */
void metrics_close(void);

/* metrics_counter - the counter NAME{LABELS} (LABELS like "action=\"init\"",
 * or ""); created at 0 on first use. Never NULL: past METRICS_MAX entries
 * a shared dummy is returned. Borrowed until metrics_close. */
uint64_t *metrics_counter(const char *name, const char *labels);

/* metrics_gauge - like metrics_counter, rendered as a gauge. */
uint64_t *metrics_gauge(const char *name, const char *labels);

/* metrics_inc - add 1 to NAME{LABELS} (looks it up: for hot paths keep the
 * pointer from metrics_counter instead). */
void metrics_inc(const char *name, const char *labels);

/* metrics_observe - record VALUE_MS in histogram NAME{LABELS} (a name
 * ending in _seconds: it is rendered in seconds) with the fleet's fixed
 * latency buckets, 1 ms to 30 s. */
void metrics_observe(const char *name, const char *labels, double value_ms);

/* metrics_heartbeat - set the heartbeat gauge to NOW_MS. */
void metrics_heartbeat(int64_t now_ms);

typedef struct {
    char stage[32];
    char instance[64];
    int pid;
    int64_t heartbeat_ms;
} metrics_proc_t;

/* metrics_render - the Prometheus text of every process's file under
 * RUN_DIR (plus EXTRA, already formatted, may be NULL). Caller owns. */
char *metrics_render(const char *run_dir, const char *extra);

/* metrics_procs - up to MAX processes that published under RUN_DIR. */
int metrics_procs(const char *run_dir, metrics_proc_t *out, int max);

#endif
