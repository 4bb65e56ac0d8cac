/*
 * log.h - structured logs: one JSON object per line on stderr.
 *
 * Every line carries ts, level, proc, pid and event; callers add fields as
 * key/value pairs (strings) ending with NULL. Keys, tokens and bodies are
 * never passed here above debug. Plumbing: knows nothing of ONDC.
 *
 *   log_info("request.ack", "transaction_id", tid, "message_id", mid, NULL);
 */
#ifndef ONDC_LOG_H
#define ONDC_LOG_H

/* <syslog.h> (which czmq.h includes) defines LOG_DEBUG and LOG_INFO as
 * syslog priorities. It is included here first and those two macros
 * dropped: its include guard keeps a later czmq.h from defining them
 * again, so our levels mean the same whatever the order of includes. */
#include <syslog.h>
#undef LOG_DEBUG
#undef LOG_INFO

typedef enum { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_FATAL } log_level_t;

/* log_open - name this process in every line (borrowed until exit). */
void log_open(const char *proc);

/* log_set_level - drop lines below LEVEL. */
void log_set_level(log_level_t level);

/* log_level_parse - "debug".."fatal" to a level; -1 if unknown. */
int log_level_parse(const char *name);

/* log_enabled - whether a line at LEVEL would be written. */
int log_enabled(log_level_t level);

/* log_emit - write one line: EVENT and NULL-terminated key/value pairs
 * (both const char *; a NULL value is skipped). */
void log_emit(log_level_t level, const char *event, ...) __attribute__((sentinel));

/* log_errno - like log_emit at LEVEL, adding "errno" text from errno. */
void log_errno(log_level_t level, const char *event, ...) __attribute__((sentinel));

#define log_debug(...) log_emit(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_emit(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_emit(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_emit(LOG_ERROR, __VA_ARGS__)
#define log_fatal(...) log_emit(LOG_FATAL, __VA_ARGS__)

#endif
