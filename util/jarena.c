/*
 * jarena.c - jansson's memory, one message at a time. See jarena.h.
 *
 * Every thread's block lies in one region reserved at install (untouched
 * pages cost nothing), so "is this an arena pointer?" is one range check,
 * whichever thread frees it.
 */
#include "jarena.h"

#include "jdump.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define BLOCK ((size_t)1 << 20) /* one thread's block */
#define BLOCKS 64               /* threads that can have one */
#define ALIGN 16

static char *s_region;
static atomic_int s_next_block;

static __thread struct {
    char *base;
    size_t pos;
    int on;
    int tried; /* asked for a block (there may be none left) */
} t;

static void *s_malloc(size_t n)
{
    if (t.on) {
        size_t need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
        if (need <= BLOCK - t.pos) {
            void *p = t.base + t.pos;
            t.pos += need;
            UNPOISON(p, n);
            return p;
        }
    }
    return malloc(n);
}

static void s_free(void *p)
{
    if ((char *)p >= s_region && (char *)p < s_region + BLOCK * BLOCKS)
        return; /* the scope's end takes it back */
    free(p);
}

void jarena_install(void)
{
    if (s_region)
        return;
    /* ONDC_NO_ARENA=1: plain malloc (to measure what the arena saves) */
    const char *off = getenv("ONDC_NO_ARENA");
    if (off && *off == '1')
        return;
    void *r = mmap(NULL, BLOCK * BLOCKS, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (r == MAP_FAILED)
        return; /* jansson keeps malloc */
    s_region = r;
    POISON(s_region, BLOCK * BLOCKS);
    json_set_alloc_funcs(s_malloc, s_free);
}

void jarena_begin(void)
{
    if (!s_region)
        return;
    if (!t.base && !t.tried) {
        t.tried = 1;
        int i = atomic_fetch_add(&s_next_block, 1);
        if (i < BLOCKS)
            t.base = s_region + (size_t)i * BLOCK;
    }
    t.pos = 0;
    t.on = t.base != NULL;
}

void jarena_end(void)
{
    if (!t.base)
        return;
    t.on = 0;
    POISON(t.base, t.pos);
    t.pos = 0;
}

int jarena_pause(void)
{
    int was = t.on;
    t.on = 0;
    return was;
}

void jarena_resume(int state)
{
    t.on = state && t.base;
}

size_t jarena_used(void)
{
    return t.on ? t.pos : 0;
}

const char *jarena_dumpb(const json_t *v, size_t *len)
{
    static __thread jdump_t d;
    d.len = 0;
    if (jdump_append(&d, v) < 0)
        return NULL;
    *len = d.len;
    return d.buf;
}

char *jarena_dumps(const json_t *v, size_t flags)
{
    char small[4096];
    size_t n = json_dumpb(v, small, sizeof small, flags);
    if (n == 0)
        return NULL;
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    if (n <= sizeof small)
        memcpy(out, small, n);
    else if (json_dumpb(v, out, n, flags) != n) {
        free(out);
        return NULL;
    }
    out[n] = '\0';
    return out;
}
