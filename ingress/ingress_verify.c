/*
 * ingress_verify.c - the signature checks in threads of their own.
 *
 * Verifying a request's Ed25519 signature (BLAKE2b-512 of the body, then
 * the curve) is the largest single cost of an ACK. With
 * ingress_verify_threads > 0 the loop only parses, checks the context and
 * finds the key (registry file, LMDB cache, or a lookup, which stays in the
 * loop); the suspended request then goes to a verify thread, which checks
 * the signature and makes the dedupe digest, and puts it straight into the
 * next group commit; one that fails comes back to the loop (an eventfd
 * wakes it) to be answered 401. So a burst is verified on every core while
 * the loop goes on reading.
 *
 * Threads: a request in a verify thread's hands is a suspended connection
 * the loop does not touch until it comes back; the threads read only the
 * request and the config. Counting and answering stay in the loop.
 */
#include "ingress.h"

#include "log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define THREADS_MAX 16

struct ingress_verify_s {
    ingress_t *in;
    pthread_t th[THREADS_MAX];
    int n;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    req_t *todo, **todo_tail; /* waiting for a thread */
    req_t *done, **done_tail; /* back from one */
    atomic_int held;          /* submitted, not yet in the batch or answered */
    int stop;
    int efd;
};

static void *s_thread(void *arg)
{
    ingress_verify_t *v = arg;
    pthread_mutex_lock(&v->mu);
    for (;;) {
        while (!v->todo && !v->stop)
            pthread_cond_wait(&v->cv, &v->mu);
        if (!v->todo)
            break;
        req_t *r = v->todo;
        v->todo = r->vnext;
        if (!v->todo)
            v->todo_tail = &v->todo;
        pthread_mutex_unlock(&v->mu);
        r->vnext = NULL;
        r->verify_failed = ingress_verify_finish(v->in, r, &r->verr) < 0;
        if (!r->verify_failed) {
            crypto_generichash(r->digest, sizeof r->digest, (const unsigned char *)r->body, r->len,
                               NULL, 0);
            /* straight to the group commit: counted there before it
             * leaves this count, so the drain never sees it nowhere */
            ingress_batch_add(v->in, r);
            atomic_fetch_sub(&v->held, 1);
            pthread_mutex_lock(&v->mu);
            continue;
        }
        pthread_mutex_lock(&v->mu);
        int wake = v->done == NULL;
        *v->done_tail = r;
        v->done_tail = &r->vnext;
        if (wake) {
            uint64_t one = 1;
            if (write(v->efd, &one, sizeof one) < 0) {
                /* cannot overflow here; the loop also polls before sleeping */
            }
        }
    }
    pthread_mutex_unlock(&v->mu);
    return NULL;
}

/* s_collect - the verified requests back into the loop: to the batch, or
 * answered 401. */
static void s_collect(ingress_verify_t *v)
{
    pthread_mutex_lock(&v->mu);
    req_t *list = v->done;
    v->done = NULL;
    v->done_tail = &v->done;
    pthread_mutex_unlock(&v->mu);
    ingress_t *in = v->in;
    for (req_t *r = list, *next; r; r = next) {
        next = r->vnext;
        r->vnext = NULL;
        atomic_fetch_sub(&v->held, 1);
        ingress_refuse(in, r, &r->verr); /* only the failed come back */
    }
}

static void s_on_event(loop_t *loop, int fd, uint32_t events, void *arg)
{
    (void)loop;
    (void)events;
    uint64_t n;
    if (read(fd, &n, sizeof n) < 0) {
        /* EAGAIN: already read */
    }
    s_collect(arg);
}

int ingress_verify_init(ingress_t *in)
{
    int n = in->rt->cfg.ingress_verify_threads;
    if (n <= 0)
        return 0; /* the loop verifies */
    ingress_verify_t *v = calloc(1, sizeof *v);
    if (!v)
        return -1;
    v->in = in;
    v->todo_tail = &v->todo;
    v->done_tail = &v->done;
    pthread_mutex_init(&v->mu, NULL);
    pthread_cond_init(&v->cv, NULL);
    v->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    in->verify = v;
    if (v->efd < 0 || loop_add_fd(in->rt->loop, v->efd, EPOLLIN, s_on_event, v) < 0) {
        log_errno(LOG_ERROR, "ingress.verify_threads", NULL);
        return -1;
    }
    for (int i = 0; i < n && i < THREADS_MAX; i++) {
        if (pthread_create(&v->th[i], NULL, s_thread, v) != 0) {
            log_error("ingress.verify_threads", "why", "cannot start a verify thread", NULL);
            return -1;
        }
        v->n++;
    }
    return 0;
}

void ingress_verify_submit(ingress_t *in, req_t *r)
{
    ingress_verify_t *v = in->verify;
    r->vnext = NULL;
    atomic_fetch_add(&v->held, 1);
    pthread_mutex_lock(&v->mu);
    *v->todo_tail = r;
    v->todo_tail = &r->vnext;
    pthread_cond_signal(&v->cv);
    pthread_mutex_unlock(&v->mu);
}

int ingress_verify_busy(const ingress_t *in)
{
    return in->verify && atomic_load(&in->verify->held) > 0;
}

void ingress_verify_fini(ingress_t *in)
{
    ingress_verify_t *v = in->verify;
    if (!v)
        return;
    pthread_mutex_lock(&v->mu);
    v->stop = 1;
    pthread_cond_broadcast(&v->cv);
    pthread_mutex_unlock(&v->mu);
    for (int i = 0; i < v->n; i++)
        pthread_join(v->th[i], NULL);
    /* whatever came back after the last wake-up: answered before MHD stops */
    s_collect(v);
    if (v->efd >= 0) {
        loop_del_fd(in->rt->loop, v->efd);
        close(v->efd);
    }
    pthread_mutex_destroy(&v->mu);
    pthread_cond_destroy(&v->cv);
    free(v);
    in->verify = NULL;
}
