/*
 * runtime.h - the skeleton every process's main runs on.
 *
 * runtime_main parses the command line (--config FILE, --check-config,
 * plus role options), loads and checks the config, starts logging, turns
 * SIGTERM/SIGINT into a drain and SIGHUP into a reload, opens the store
 * when the role asks for it, sets up CZMQ's process-wide context (zsys:
 * its I/O threads, no signal handler of its own), runs the role's init,
 * then the loop, then the role's drain and cleanup, and ends the context
 * (zsys_shutdown) once the role's sockets are closed. A role is a small
 * table; it makes its sockets with zsock_new and closes them in its fini.
 */
#ifndef ONDC_RUNTIME_H
#define ONDC_RUNTIME_H

#include "cfg.h"
#include "loop.h"
#include "store.h"

typedef struct runtime_s runtime_t;

typedef struct {
    const char *name;  /* process name in logs: "ingress" */
    int needs_store;   /* open the LMDB environment */
    int cron_ms;       /* period of the role's cron (0: none) */
    const char *usage; /* extra options, for --help */
    /* parse one extra option (argv[*i], may consume argv[*i+1]); 0 ok, -1 unknown */
    int (*option)(runtime_t *rt, int argc, char **argv, int *i);
    int (*init)(runtime_t *rt);  /* 0 ok; -1 exits 1 */
    void (*cron)(runtime_t *rt); /* periodic work */
    void (*drain)(runtime_t *rt); /* SIGTERM: stop taking work; call runtime_stop when done */
    void (*reload)(runtime_t *rt); /* after the config reloaded */
    void (*fini)(runtime_t *rt);  /* free what init made */
} runtime_role_t;

struct runtime_s {
    const runtime_role_t *role;
    cfg_t cfg;
    loop_t *loop;
    store_t *store;
    void *state; /* the role's own state */
    int draining;
    char instance[64]; /* "order.0" for labels: role name + process number */
    int search_resident; /* set by the role's init: the store's resident limit is
                          * search.resident_mb (a discovery worker's catalog) */
};

/* runtime_main - run ROLE; returns the process exit code. */
int runtime_main(const runtime_role_t *role, int argc, char **argv);

/* runtime_stop - leave the loop (after a drain, or on a fatal error). */
void runtime_stop(runtime_t *rt);

/* runtime_fatal - log EVENT at fatal and exit non-zero at once: the store
 * failed after an ACK, the supervisor restarts us and recovery replays. */
void runtime_fatal(runtime_t *rt, const char *event, const char *detail) __attribute__((noreturn));

#endif
