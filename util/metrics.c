/*
 * metrics.c - per-process metric files and the fleet renderer. See metrics.h.
 *
 * File layout: s_file_t, a header then METRICS_MAX fixed entries. An entry
 * is published by writing its name last-but-one and setting `used` last, so
 * a reader that sees used == 1 sees a whole entry.
 */
#include "metrics.h"

#include "hash.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAGIC 0x4f4e444d45545231ULL /* "ONDMETR1" */

typedef enum { K_COUNTER = 1, K_GAUGE = 2, K_HIST = 3 } s_kind_t;

typedef struct {
    uint32_t used;
    uint32_t kind;
    char name[64];
    char labels[120];
    uint64_t value; /* counter/gauge; for histograms: count */
    double sum;     /* histograms: sum of observations (ms) */
    uint64_t buckets[12];
} s_entry_t;

typedef struct {
    uint64_t magic;
    int32_t pid;
    uint32_t n;
    char stage[32];
    char instance[64];
    s_entry_t e[METRICS_MAX];
} s_file_t;

static const double s_bounds[12] = {1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000, 30000};
static s_file_t *s_map;
static s_entry_t s_dummy;
static uint64_t *s_beat;

/* The process's index of its own entries: FNV-1a of name and labels ->
 * entry number + 1 (0: empty), open addressing; filled as entries are
 * looked up, so an update costs a hash and one comparison, not a scan of
 * every entry. Only this process writes its file, from one thread. */
#define INDEX_SLOTS ((size_t)METRICS_MAX * 2)
static uint32_t s_index[INDEX_SLOTS];

int metrics_open(const char *run_dir, const char *stage, const char *instance)
{
    char dir[600], path[700];
    snprintf(dir, sizeof dir, "%s/metrics", run_dir);
    mkdir(run_dir, 0750);
    mkdir(dir, 0750);
    snprintf(path, sizeof path, "%s/%s.prom.bin", dir, instance);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        return -1;
    struct stat st;
    int fresh = fstat(fd, &st) == 0 && (size_t)st.st_size != sizeof(s_file_t);
    if (fresh && ftruncate(fd, 0) < 0) {
        close(fd);
        return -1;
    }
    if (ftruncate(fd, sizeof(s_file_t)) < 0) {
        close(fd);
        return -1;
    }
    void *m = mmap(NULL, sizeof(s_file_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return -1;
    s_map = m;
    memset(s_index, 0, sizeof s_index);
    if (s_map->magic != MAGIC)
        memset(s_map, 0, sizeof *s_map);
    s_map->magic = MAGIC;
    s_map->pid = (int32_t)getpid();
    snprintf(s_map->stage, sizeof s_map->stage, "%s", stage);
    snprintf(s_map->instance, sizeof s_map->instance, "%s", instance);
    (*metrics_counter("ondc_process_starts_total", ""))++;
    s_beat = metrics_gauge("ondc_heartbeat_timestamp_seconds", "");
    return 0;
}

void metrics_close(void)
{
    if (s_map) {
        s_map->pid = 0;
        munmap(s_map, sizeof *s_map);
    }
    s_map = NULL;
    s_beat = NULL;
    memset(s_index, 0, sizeof s_index);
}


static int s_is(const s_entry_t *e, const char *name, const char *labels)
{
    return e->used && strcmp(e->name, name) == 0 && strcmp(e->labels, labels) == 0;
}

static s_entry_t *s_find(const char *name, const char *labels, s_kind_t kind)
{
    if (!s_map)
        return &s_dummy;
    uint32_t slot = (uint32_t)(hash_pair(name, labels) % INDEX_SLOTS);
    for (; s_index[slot]; slot = (slot + 1) % INDEX_SLOTS) {
        s_entry_t *e = &s_map->e[s_index[slot] - 1];
        if (s_is(e, name, labels))
            return e;
    }
    /* not indexed yet: an entry of an earlier run of this instance, or new */
    s_entry_t *e = NULL;
    for (uint32_t i = 0; i < s_map->n && !e; i++)
        if (s_is(&s_map->e[i], name, labels))
            e = &s_map->e[i];
    if (!e) {
        if (s_map->n >= METRICS_MAX)
            return &s_dummy;
        e = &s_map->e[s_map->n];
        memset(e, 0, sizeof *e);
        e->kind = kind;
        snprintf(e->name, sizeof e->name, "%s", name);
        snprintf(e->labels, sizeof e->labels, "%s", labels);
        __atomic_store_n(&e->used, 1, __ATOMIC_RELEASE);
        s_map->n++;
    }
    s_index[slot] = (uint32_t)(e - s_map->e) + 1;
    return e;
}

uint64_t *metrics_counter(const char *name, const char *labels)
{
    return &s_find(name, labels ? labels : "", K_COUNTER)->value;
}

uint64_t *metrics_gauge(const char *name, const char *labels)
{
    return &s_find(name, labels ? labels : "", K_GAUGE)->value;
}

void metrics_inc(const char *name, const char *labels)
{
    (*metrics_counter(name, labels))++;
}

void metrics_observe(const char *name, const char *labels, double value_ms)
{
    s_entry_t *e = s_find(name, labels ? labels : "", K_HIST);
    e->value++;
    e->sum += value_ms;
    for (int i = 0; i < 12; i++)
        if (value_ms <= s_bounds[i])
            e->buckets[i]++;
}

void metrics_heartbeat(int64_t now_ms)
{
    if (s_beat)
        *s_beat = (uint64_t)(now_ms / 1000);
}

/* ---- reading ---- */

typedef struct {
    s_file_t *f;
} s_view_t;

static int s_load(const char *run_dir, s_view_t *views, int max)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s/metrics", run_dir);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < max) {
        size_t len = strlen(de->d_name);
        if (len < 9 || strcmp(de->d_name + len - 9, ".prom.bin") != 0)
            continue;
        char path[900];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        struct stat st;
        if (fstat(fd, &st) < 0 || (size_t)st.st_size != sizeof(s_file_t)) {
            close(fd);
            continue;
        }
        void *m = mmap(NULL, sizeof(s_file_t), PROT_READ, MAP_SHARED, fd, 0);
        close(fd);
        if (m == MAP_FAILED)
            continue;
        if (((s_file_t *)m)->magic != MAGIC) {
            munmap(m, sizeof(s_file_t));
            continue;
        }
        views[n++].f = m;
    }
    closedir(d);
    return n;
}

static void s_unload(s_view_t *views, int n)
{
    for (int i = 0; i < n; i++)
        munmap(views[i].f, sizeof(s_file_t));
}

int metrics_procs(const char *run_dir, metrics_proc_t *out, int max)
{
    s_view_t views[256];
    int n = s_load(run_dir, views, max < 256 ? max : 256);
    for (int i = 0; i < n; i++) {
        s_file_t *f = views[i].f;
        snprintf(out[i].stage, sizeof out[i].stage, "%s", f->stage);
        snprintf(out[i].instance, sizeof out[i].instance, "%s", f->instance);
        out[i].pid = f->pid;
        out[i].heartbeat_ms = 0;
        for (uint32_t j = 0; j < f->n && j < METRICS_MAX; j++)
            if (f->e[j].used && strcmp(f->e[j].name, "ondc_heartbeat_timestamp_seconds") == 0)
                out[i].heartbeat_ms = (int64_t)f->e[j].value * 1000;
    }
    s_unload(views, n);
    return n;
}

static void s_labels(char *buf, size_t cap, const s_file_t *f, const char *labels, const char *extra)
{
    snprintf(buf, cap, "stage=\"%s\",instance=\"%s\"%s%s%s%s", f->stage, f->instance,
             labels[0] ? "," : "", labels, extra && *extra ? "," : "", extra ? extra : "");
}

char *metrics_render(const char *run_dir, const char *extra)
{
    static s_view_t views[256];
    int n = s_load(run_dir, views, 256);
    char *out = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&out, &len);
    if (!m) {
        s_unload(views, n);
        return NULL;
    }
    /* group by metric name: one TYPE line, then every series of every process */
    char done[METRICS_MAX * 2][64];
    int ndone = 0;
    for (int i = 0; i < n; i++) {
        s_file_t *f = views[i].f;
        for (uint32_t j = 0; j < f->n && j < METRICS_MAX; j++) {
            s_entry_t *e = &f->e[j];
            if (!e->used || !e->name[0])
                continue;
            int seen = 0;
            for (int k = 0; k < ndone && !seen; k++)
                seen = strcmp(done[k], e->name) == 0;
            if (seen || ndone >= (int)(sizeof done / sizeof done[0]))
                continue;
            snprintf(done[ndone++], 64, "%s", e->name);
            const char *type = e->kind == K_HIST ? "histogram" : e->kind == K_GAUGE ? "gauge" : "counter";
            fprintf(m, "# HELP %s ondc-gateway %s\n# TYPE %s %s\n", e->name, type, e->name, type);
            for (int a = i; a < n; a++) {
                s_file_t *g = views[a].f;
                for (uint32_t b = 0; b < g->n && b < METRICS_MAX; b++) {
                    s_entry_t *x = &g->e[b];
                    if (!x->used || strcmp(x->name, e->name) != 0)
                        continue;
                    char lab[400];
                    if (x->kind == K_HIST) {
                        for (int q = 0; q < 12; q++) {
                            char le[32];
                            snprintf(le, sizeof le, "le=\"%g\"", s_bounds[q] / 1000.0);
                            s_labels(lab, sizeof lab, g, x->labels, le);
                            fprintf(m, "%s_bucket{%s} %llu\n", x->name, lab,
                                    (unsigned long long)x->buckets[q]);
                        }
                        s_labels(lab, sizeof lab, g, x->labels, "le=\"+Inf\"");
                        fprintf(m, "%s_bucket{%s} %llu\n", x->name, lab, (unsigned long long)x->value);
                        s_labels(lab, sizeof lab, g, x->labels, NULL);
                        fprintf(m, "%s_sum{%s} %.6f\n%s_count{%s} %llu\n", x->name, lab, x->sum / 1000.0,
                                x->name, lab, (unsigned long long)x->value);
                    } else {
                        s_labels(lab, sizeof lab, g, x->labels, NULL);
                        fprintf(m, "%s{%s} %llu\n", x->name, lab, (unsigned long long)x->value);
                    }
                }
            }
        }
    }
    if (extra)
        fputs(extra, m);
    fclose(m);
    s_unload(views, n);
    return out;
}
