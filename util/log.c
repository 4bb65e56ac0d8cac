/*
 * log.c - JSON-line logging. See log.h.
 *
 * A line is built in one stack buffer and written with one write(2) so lines
 * from concurrent processes sharing a log file never interleave.
 */
#include "log.h"
#include "clock.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *s_proc = "ondc";
static log_level_t s_level = LOG_INFO;
static const char *s_names[] = {"debug", "info", "warn", "error", "fatal"};

void log_open(const char *proc)
{
    s_proc = proc;
}

void log_set_level(log_level_t level)
{
    s_level = level;
}

int log_level_parse(const char *name)
{
    for (int i = 0; i <= LOG_FATAL; i++)
        if (name && strcmp(name, s_names[i]) == 0)
            return i;
    return -1;
}

int log_enabled(log_level_t level)
{
    return level >= s_level;
}

/* s_put_str - append S as a JSON string (escaped) to BUF at *POS. */
static void s_put_str(char *buf, size_t cap, size_t *pos, const char *s)
{
    size_t p = *pos;
    if (p + 2 >= cap)
        return;
    buf[p++] = '"';
    for (; *s && p + 8 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf[p++] = '\\';
            buf[p++] = (char)c;
        } else if (c == '\n') {
            buf[p++] = '\\';
            buf[p++] = 'n';
        } else if (c < 0x20) {
            p += (size_t)snprintf(buf + p, cap - p, "\\u%04x", c);
        } else {
            buf[p++] = (char)c;
        }
    }
    buf[p++] = '"';
    *pos = p;
}

static void s_vemit(log_level_t level, const char *event, const char *errtext, va_list ap)
{
    if (level < s_level)
        return;
    char buf[4096];
    size_t pos = 0;
    int64_t wall_ms = clock_wall_ms();
    time_t sec = (time_t)(wall_ms / 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    pos += strftime(buf, sizeof buf, "{\"ts\":\"%Y-%m-%dT%H:%M:%S", &tm);
    pos += (size_t)snprintf(buf + pos, sizeof buf - pos,
                            ".%03ldZ\",\"level\":\"%s\",\"proc\":", (long)(wall_ms % 1000),
                            s_names[level]);
    s_put_str(buf, sizeof buf, &pos, s_proc);
    pos += (size_t)snprintf(buf + pos, sizeof buf - pos, ",\"pid\":%d,\"event\":", (int)getpid());
    s_put_str(buf, sizeof buf, &pos, event);
    const char *k;
    while ((k = va_arg(ap, const char *)) != NULL) {
        const char *v = va_arg(ap, const char *);
        if (!v || pos + 8 >= sizeof buf)
            continue;
        buf[pos++] = ',';
        s_put_str(buf, sizeof buf, &pos, k);
        buf[pos++] = ':';
        s_put_str(buf, sizeof buf, &pos, v);
    }
    if (errtext && pos + 16 < sizeof buf) {
        buf[pos++] = ',';
        s_put_str(buf, sizeof buf, &pos, "errno");
        buf[pos++] = ':';
        s_put_str(buf, sizeof buf, &pos, errtext);
    }
    if (pos > sizeof buf - 3)
        pos = sizeof buf - 3;
    buf[pos++] = '}';
    buf[pos++] = '\n';
    ssize_t w = write(STDERR_FILENO, buf, pos);
    (void)w;
}

void log_emit(log_level_t level, const char *event, ...)
{
    va_list ap;
    va_start(ap, event);
    s_vemit(level, event, NULL, ap);
    va_end(ap);
}

void log_errno(log_level_t level, const char *event, ...)
{
    int saved = errno;
    va_list ap;
    va_start(ap, event);
    s_vemit(level, event, strerror(saved), ap);
    va_end(ap);
    errno = saved;
}
