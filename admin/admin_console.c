/*
 * admin_console.c - the web console on the admin listener: its files,
 * its logins and sessions, and its live updates.
 *
 *   GET  /                      -> 302 /console/
 *   GET  /console/[FILE]        the console's files (console.dir; index.html,
 *                               app.js, style.css), no build step
 *   POST /seller/v1/session     {"token"} (the admin token) or {"user",
 *                               "password"} (console.users_file): a session
 *                               cookie (HttpOnly, SameSite=Strict) and the
 *                               session's CSRF token in the answer
 *   GET  /seller/v1/session     who is logged in, and the CSRF token again
 *   DELETE /seller/v1/session   log out
 *   GET  /seller/v1/throughput  buyer apps' requests and callbacks sent per
 *                               minute over the last hour (the fleet's own
 *                               counters, sampled here each minute)
 *   GET  /seller/v1/events      server-sent events: "change" with each new
 *                               outbox row (action, transaction_id) - an
 *                               order made, moved or cancelled - so the
 *                               console refetches what it shows
 *
 * Sessions live in this process (a restart logs everyone out), at most
 * CONSOLE_SESSIONS, each ending console.session_ttl_s after its login. A
 * request with the session cookie is authorized like one with the bearer
 * token; one that changes something (any method but GET) must also carry
 * the session's CSRF token in X-CSRF-Token, which a page of another site
 * cannot read. Tokens never travel in a URL. A user's password is checked
 * against its Argon2id hash (libsodium's crypto_pwhash_str_verify);
 * `ondcctl console-user NAME` makes the line of the users file. After
 * CONSOLE_FAILS_MAX failed logins in CONSOLE_FAIL_WINDOW_MS every login
 * is refused (429) until the window ends.
 *
 * The event stream: every SSE_TICK_MS, while a stream is open, the last
 * outbox row id is read; the rows after the one last seen become events
 * (id: the row id, so a reconnecting EventSource's Last-Event-ID resumes
 * after it), queued on each stream and sent as libmicrohttpd asks for data
 * (admin_http.c). A comment line every SSE_PING_MS keeps proxies from
 * closing an idle stream.
 *
 * Config keys read: console.users_file, console.session_ttl_s.
 */
#include "admin.h"

#include "clock.h"
#include "context.h"
#include "jparse.h"
#include "log.h"
#include "metrics.h"
#include "outbox.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONSOLE_SESSIONS 256
#define CONSOLE_USERS 64
/* failed logins allowed in a window; past it every login is refused
 * (429) until the window ends: a password cannot be guessed at speed, and
 * nothing sleeps on the loop */
#define CONSOLE_FAILS_MAX 20
#define CONSOLE_FAIL_WINDOW_MS 60000
#define SSE_MAX 64
#define SSE_TICK_MS 500
#define SSE_PING_MS 15000
#define SSE_BUF_MAX ((size_t)256 * 1024)

typedef struct {
    char id[65];   /* hex of 32 random bytes; "" = free slot */
    char csrf[65];
    char user[64];
    int64_t expires_ms;
} s_session_t;

struct admin_sse_s {
    int used;
    char *buf; /* queued bytes not yet taken */
    size_t len, cap;
    int dead; /* over SSE_BUF_MAX: the stream ends */
};

typedef struct admin_console_s {
    s_session_t sessions[CONSOLE_SESSIONS];
    char users[CONSOLE_USERS][64];
    char hashes[CONSOLE_USERS][crypto_pwhash_STRBYTES];
    int nusers;
    admin_sse_t sse[SSE_MAX];
    int nsse;
    uint64_t last_row;  /* the last outbox row told of */
    int64_t last_ping_ms;
    int timer_on;
    int fails;             /* failed logins in the window */
    int64_t fail_window_ms; /* when the window began */
} s_console_t;

static s_console_t s_con;

/* ---- users ---- */

int admin_console_load_users(admin_t *a)
{
    s_console_t *c = &s_con;
    a->console = c;
    const char *path = a->rt->cfg.console_users_file;
    sodium_memzero(c->hashes, sizeof c->hashes);
    c->nusers = 0;
    if (!path[0])
        return 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        log_errno(LOG_ERROR, "console.users_unreadable", "path", path, NULL);
        return -1;
    }
    char line[512];
    int lineno = 0;
    while (fgets(line, sizeof line, f) && c->nusers < CONSOLE_USERS) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        char *colon = strchr(line, ':');
        if (!colon || colon == line || (size_t)(colon - line) >= sizeof c->users[0] ||
            strncmp(colon + 1, "$argon2", 7) != 0 || strlen(colon + 1) >= crypto_pwhash_STRBYTES) {
            char n[16];
            snprintf(n, sizeof n, "%d", lineno);
            log_warn("console.bad_user_line", "path", path, "line", n, "why",
                     "not name:argon2 hash (ondcctl console-user NAME)", NULL);
            continue;
        }
        *colon = '\0';
        memcpy(c->users[c->nusers], line, (size_t)(colon - line) + 1);
        memcpy(c->hashes[c->nusers], colon + 1, strlen(colon + 1) + 1);
        c->nusers++;
    }
    sodium_memzero(line, sizeof line);
    fclose(f);
    char n[16];
    snprintf(n, sizeof n, "%d", c->nusers);
    log_info("console.users", "count", n, NULL);
    return 0;
}

/* ---- sessions ---- */

/* s_cookie - the ondc_session value of Q's Cookie header into OUT; 0 or -1 */
static int s_cookie(const admin_req_t *q, char *out, size_t cap)
{
    const char *h = admin_header(q, "Cookie");
    for (const char *p = h; p && *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        if (strncmp(p, "ondc_session=", 13) == 0) {
            p += 13;
            size_t n = strcspn(p, ";");
            if (n == 0 || n >= cap)
                return -1;
            memcpy(out, p, n);
            out[n] = '\0';
            return 0;
        }
        p = strchr(p, ';');
    }
    return -1;
}

/* s_session - Q's live session, or NULL */
static s_session_t *s_session(const admin_req_t *q)
{
    char id[80];
    if (s_cookie(q, id, sizeof id) < 0 || strlen(id) != 64)
        return NULL;
    int64_t now = clock_wall_ms();
    for (int i = 0; i < CONSOLE_SESSIONS; i++) {
        s_session_t *s = &s_con.sessions[i];
        if (s->id[0] && sodium_memcmp(s->id, id, 64) == 0) {
            if (s->expires_ms <= now) {
                sodium_memzero(s, sizeof *s);
                return NULL;
            }
            return s;
        }
    }
    return NULL;
}

int admin_console_authorized(const admin_req_t *q)
{
    const s_session_t *s = s_session(q);
    if (!s)
        return 0;
    if (strcmp(q->method, "GET") == 0 || strcmp(q->method, "HEAD") == 0)
        return 1;
    /* a change: the CSRF token only this session's pages have read */
    const char *t = admin_header(q, "X-CSRF-Token");
    return t && strlen(t) == 64 && sodium_memcmp(t, s->csrf, 64) == 0;
}

static void s_random_hex(char out[65])
{
    unsigned char r[32];
    randombytes_buf(r, sizeof r);
    sodium_bin2hex(out, 65, r, sizeof r);
    sodium_memzero(r, sizeof r);
}

static int s_open_session(admin_t *a, admin_req_t *q, const char *user)
{
    int64_t now = clock_wall_ms();
    s_session_t *slot = NULL;
    for (int i = 0; i < CONSOLE_SESSIONS && !slot; i++)
        if (!s_con.sessions[i].id[0] || s_con.sessions[i].expires_ms <= now)
            slot = &s_con.sessions[i];
    if (!slot) {
        /* every slot taken: the session nearest its end gives way */
        slot = &s_con.sessions[0];
        for (int i = 1; i < CONSOLE_SESSIONS; i++)
            if (s_con.sessions[i].expires_ms < slot->expires_ms)
                slot = &s_con.sessions[i];
    }
    memset(slot, 0, sizeof *slot);
    s_random_hex(slot->id);
    s_random_hex(slot->csrf);
    snprintf(slot->user, sizeof slot->user, "%s", user);
    int ttl = a->rt->cfg.console_session_ttl_s;
    slot->expires_ms = now + (int64_t)ttl * 1000;
    char cookie[200], exp[40];
    snprintf(cookie, sizeof cookie,
             "ondc_session=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d", slot->id, ttl);
    admin_add_header(q, "Set-Cookie", cookie);
    context_format_time(slot->expires_ms, exp, sizeof exp);
    log_info("console.login", "user", user, NULL);
    return admin_reply(q, 200, json_pack("{s:s,s:s,s:s}", "user", slot->user, "csrf", slot->csrf,
                                         "expires_at", exp));
}

/* s_login - POST /seller/v1/session */
static int s_login(admin_t *a, admin_req_t *q)
{
    json_error_t je;
    json_t *b = q->len ? jparse(q->body, q->len, JSON_REJECT_DUPLICATES, &je) : NULL;
    const char *token = json_string_value(json_object_get(b, "token"));
    const char *user = json_string_value(json_object_get(b, "user"));
    const char *pw = json_string_value(json_object_get(b, "password"));
    int rc = -1;
    int64_t now = clock_mono_ms();
    if (now - s_con.fail_window_ms >= CONSOLE_FAIL_WINDOW_MS) {
        s_con.fail_window_ms = now;
        s_con.fails = 0;
    }
    if (s_con.fails >= CONSOLE_FAILS_MAX) {
        char retry[24];
        long long left_ms = CONSOLE_FAIL_WINDOW_MS - (now - s_con.fail_window_ms);
        snprintf(retry, sizeof retry, "%lld", left_ms / 1000 + 1);
        admin_add_header(q, "Retry-After", retry);
        rc = admin_error(q, 429, NULL, "too many failed logins: try again in %s s", retry);
    } else if (!json_is_object(b) || (!token && !(user && pw))) {
        rc = admin_error(q, 400, NULL, "give {\"token\"} or {\"user\", \"password\"}");
    } else if (token) {
        size_t n = strlen(token);
        int ok = a->token_len ? n == a->token_len && sodium_memcmp(token, a->token, n) == 0
                              : admin_authorized(a, q);
        rc = ok ? s_open_session(a, q, "admin") : 1;
    } else {
        int ok = 0;
        for (int i = 0; i < s_con.nusers && !ok; i++)
            if (strcmp(s_con.users[i], user) == 0)
                ok = crypto_pwhash_str_verify(s_con.hashes[i], pw, strlen(pw)) == 0;
        rc = ok ? s_open_session(a, q, user) : 1;
    }
    if (rc == 1) {
        log_info("console.login_refused", "user", user ? user : "(token)", NULL);
        s_con.fails++;
        admin_add_header(q, "WWW-Authenticate", "Bearer realm=\"ondc-admin\"");
        rc = admin_error(q, 401, NULL, "wrong token, user or password");
    }
    if (b) {
        /* the secrets are wiped with the body's copy */
        const char *k;
        json_t *v;
        json_object_foreach(b, k, v) if (json_is_string(v))
            sodium_memzero((char *)json_string_value(v), json_string_length(v));
    }
    json_decref(b);
    return rc;
}

int admin_session(admin_t *a, admin_req_t *q, const char *rest)
{
    if (*rest)
        return admin_error(q, 404, NULL, "no such resource");
    if (strcmp(q->method, "POST") == 0)
        return s_login(a, q);
    s_session_t *s = s_session(q);
    if (strcmp(q->method, "GET") == 0) {
        if (!s) {
            admin_add_header(q, "WWW-Authenticate", "Bearer realm=\"ondc-admin\"");
            return admin_error(q, 401, NULL, "not logged in");
        }
        char exp[40];
        context_format_time(s->expires_ms, exp, sizeof exp);
        return admin_reply(
            q, 200, json_pack("{s:s,s:s,s:s}", "user", s->user, "csrf", s->csrf, "expires_at", exp));
    }
    if (strcmp(q->method, "DELETE") == 0) {
        if (s && admin_console_authorized(q)) {
            log_info("console.logout", "user", s->user, NULL);
            sodium_memzero(s, sizeof *s);
        } else if (s) {
            return admin_error(q, 403, "X-CSRF-Token", "the session's CSRF token is required");
        }
        admin_add_header(q, "Set-Cookie",
                         "ondc_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
        return admin_reply(q, 200, json_pack("{s:b}", "logged_out", 1));
    }
    admin_add_header(q, "Allow", "GET, POST, DELETE");
    return admin_error(q, 405, NULL, "%s is not allowed here (allowed: GET, POST, DELETE)",
                       q->method);
}

/* ---- files ---- */

int admin_console_file(admin_t *a, admin_req_t *q)
{
    const char *url = q->url;
    if (strcmp(url, "/") == 0 || strcmp(url, "/console") == 0) {
        admin_add_header(q, "Location", "/console/");
        int rc = admin_reply(q, 302, json_pack("{s:s}", "location", "/console/"));
        return rc;
    }
    const char *name = url + strlen("/console/");
    if (!*name)
        name = "index.html";
    /* a plain file name: letters, digits, '.', '-', '_'; no folder */
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '.' || *c == '-' || *c == '_'))
            return admin_error(q, 404, NULL, "no such file");
    if (name[0] == '.')
        return admin_error(q, 404, NULL, "no such file");
    const char *dot = strrchr(name, '.');
    const char *ctype = !dot                           ? "application/octet-stream"
                        : strcmp(dot, ".html") == 0    ? "text/html; charset=utf-8"
                        : strcmp(dot, ".js") == 0      ? "text/javascript; charset=utf-8"
                        : strcmp(dot, ".css") == 0     ? "text/css; charset=utf-8"
                        : strcmp(dot, ".json") == 0    ? "application/json"
                        : strcmp(dot, ".svg") == 0     ? "image/svg+xml"
                        : strcmp(dot, ".wav") == 0     ? "audio/wav"
                                                       : "application/octet-stream";
    int rc = admin_file_answer(a, q, name, ctype);
    if (rc == 0 && q->status == 200) {
        admin_add_header(q, "Content-Security-Policy",
                         "default-src 'self'; img-src 'self' data: https:; media-src 'self' data:; "
                         "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
        admin_add_header(q, "X-Frame-Options", "DENY");
        admin_add_header(q, "Referrer-Policy", "no-referrer");
    }
    return rc;
}

/* ---- server-sent events ---- */

static uint64_t s_last_row(store_t *st)
{
    MDB_txn *txn = store_begin(st, 1);
    uint64_t id = 0;
    MDB_cursor *cur;
    if (txn && mdb_cursor_open(txn, st->dbi[DB_OUTBOX], &cur) == 0) {
        MDB_val k, d;
        if (mdb_cursor_get(cur, &k, &d, MDB_LAST) == 0 && k.mv_size == 8)
            id = store_get64(&k);
        mdb_cursor_close(cur);
    }
    if (txn)
        mdb_txn_abort(txn);
    return id;
}

static void s_queue(admin_sse_t *e, const char *text, size_t n)
{
    if (e->dead)
        return;
    if (e->len + n > SSE_BUF_MAX) {
        e->dead = 1; /* a reader this far behind starts again */
        return;
    }
    if (e->len + n > e->cap) {
        size_t cap = e->cap ? e->cap : 4096;
        while (cap < e->len + n)
            cap *= 2;
        char *b = realloc(e->buf, cap);
        if (!b) {
            e->dead = 1;
            return;
        }
        e->buf = b;
        e->cap = cap;
    }
    memcpy(e->buf + e->len, text, n);
    e->len += n;
}

static void s_broadcast(const char *text, size_t n)
{
    for (int i = 0; i < SSE_MAX; i++)
        if (s_con.sse[i].used == 1)
            s_queue(&s_con.sse[i], text, n);
}

/* s_events - the rows after FROM up to TO as "change" events, to every stream */
static void s_events(admin_t *a, uint64_t from, uint64_t to)
{
    store_t *st = a->rt->store;
    MDB_txn *txn = store_begin(st, 1);
    if (!txn)
        return;
    /* at most the newest 200: a console that missed more refetches anyway */
    if (to - from > 200)
        from = to - 200;
    for (uint64_t id = from + 1; id <= to; id++) {
        outbox_row_t row;
        memset(&row, 0, sizeof row);
        if (outbox_get(st, txn, id, &row) != 0)
            continue;
        json_t *d = json_pack("{s:s,s:s}", "action", row.action, "transaction_id",
                              row.transaction_id);
        char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
        json_decref(d);
        outbox_row_clear(&row);
        if (!text)
            continue;
        char head[64];
        int hn = snprintf(head, sizeof head, "id: %llu\nevent: change\ndata: ",
                          (unsigned long long)id);
        s_broadcast(head, (size_t)hn);
        s_broadcast(text, strlen(text));
        s_broadcast("\n\n", 2);
        free(text);
    }
    mdb_txn_abort(txn);
}

static void s_tick(loop_t *loop, void *arg)
{
    admin_t *a = arg;
    if (s_con.nsse == 0) {
        s_con.timer_on = 0;
        return;
    }
    uint64_t last = s_last_row(a->rt->store);
    if (last > s_con.last_row) {
        s_events(a, s_con.last_row, last);
        s_con.last_row = last;
    }
    int64_t now = clock_mono_ms();
    if (now - s_con.last_ping_ms >= SSE_PING_MS) {
        s_broadcast(": ping\n\n", 8);
        s_con.last_ping_ms = now;
    }
    loop_timer(loop, SSE_TICK_MS, 0, s_tick, a);
}

admin_sse_t *admin_sse_open(admin_t *a, const char *last_event_id)
{
    admin_sse_t *e = NULL;
    for (int i = 0; i < SSE_MAX && !e; i++)
        if (!s_con.sse[i].used)
            e = &s_con.sse[i];
    if (!e)
        return NULL;
    memset(e, 0, sizeof *e);
    e->used = 1;
    uint64_t last = s_last_row(a->rt->store);
    if (s_con.nsse == 0)
        s_con.last_row = last;
    s_con.nsse++;
    char hello[96];
    int n = snprintf(hello, sizeof hello, "retry: 2000\nid: %llu\nevent: hello\ndata: {}\n\n",
                     (unsigned long long)s_con.last_row);
    s_queue(e, hello, (size_t)n);
    /* a reconnect: what happened since its last event, to this stream only */
    char *end = NULL;
    unsigned long long from = last_event_id ? strtoull(last_event_id, &end, 10) : 0;
    if (last_event_id && end && !*end && from < s_con.last_row) {
        for (int i = 0; i < SSE_MAX; i++)
            if (&s_con.sse[i] != e && s_con.sse[i].used)
                s_con.sse[i].used = 2; /* held out of this broadcast */
        s_events(a, from, s_con.last_row);
        for (int i = 0; i < SSE_MAX; i++)
            if (s_con.sse[i].used == 2)
                s_con.sse[i].used = 1;
    }
    if (!s_con.timer_on) {
        s_con.timer_on = 1;
        s_con.last_ping_ms = clock_mono_ms();
        loop_timer(a->rt->loop, SSE_TICK_MS, 0, s_tick, a);
    }
    return e;
}

ssize_t admin_sse_read(admin_sse_t *e, char *buf, size_t max)
{
    if (e->dead)
        return -1;
    size_t n = e->len < max ? e->len : max;
    if (n == 0)
        return 0;
    memcpy(buf, e->buf, n);
    memmove(e->buf, e->buf + n, e->len - n);
    e->len -= n;
    return (ssize_t)n;
}

void admin_sse_close(admin_sse_t *e)
{
    if (!e || !e->used)
        return;
    free(e->buf);
    memset(e, 0, sizeof *e);
    s_con.nsse--;
}

int admin_events(admin_t *a, admin_req_t *q, const char *rest)
{
    (void)a;
    if (*rest)
        return admin_error(q, 404, NULL, "no such resource");
    /* the stream itself is made by admin_http.c */
    q->stream = 1;
    q->status = 200;
    q->ctype = "text/event-stream";
    free(q->answer);
    q->answer = strdup("");
    q->answer_len = 0;
    return q->answer ? 0 : -1;
}

int admin_console_sse_count(void)
{
    return s_con.nsse;
}

/* ---- throughput over the last hour ---- */

#define TP_POINTS 61
#define TP_STEP_MS 60000

static struct {
    int64_t at_ms[TP_POINTS];
    double requests[TP_POINTS], callbacks[TP_POINTS];
    int n, head;
} s_tp;

/* s_sum - the sum of every sample of counter NAME in metrics TEXT */
static double s_sum(const char *text, const char *name)
{
    double sum = 0;
    size_t nl = strlen(name);
    for (const char *p = text; p && *p;) {
        const char *e = strchr(p, '\n');
        if (strncmp(p, name, nl) == 0 && (p[nl] == '{' || p[nl] == ' ')) {
            const char *sp = e ? e : p + strlen(p);
            while (sp > p && sp[-1] != ' ')
                sp--;
            sum += strtod(sp, NULL);
        }
        p = e ? e + 1 : NULL;
    }
    return sum;
}

static void s_tp_sample(admin_t *a)
{
    char *text = metrics_render(a->rt->cfg.run_dir, NULL);
    if (!text)
        return;
    int i = (s_tp.head + s_tp.n) % TP_POINTS;
    if (s_tp.n == TP_POINTS)
        s_tp.head = (s_tp.head + 1) % TP_POINTS;
    else
        s_tp.n++;
    s_tp.at_ms[i] = clock_wall_ms();
    s_tp.requests[i] = s_sum(text, "ondc_requests_total");
    s_tp.callbacks[i] = s_sum(text, "ondc_callbacks_total");
    free(text);
}

static void s_tp_tick(loop_t *loop, void *arg)
{
    (void)loop;
    s_tp_sample(arg);
}

void admin_console_start(admin_t *a)
{
    s_tp_sample(a);
    loop_timer(a->rt->loop, TP_STEP_MS, 1, s_tp_tick, a);
}

int admin_throughput(admin_t *a, admin_req_t *q, const char *rest)
{
    (void)a;
    if (*rest)
        return admin_error(q, 404, NULL, "no such resource");
    json_t *pts = json_array();
    for (int k = 1; k < s_tp.n; k++) {
        int i = (s_tp.head + k) % TP_POINTS, j = (s_tp.head + k - 1) % TP_POINTS;
        double r = s_tp.requests[i] - s_tp.requests[j], c = s_tp.callbacks[i] - s_tp.callbacks[j];
        char at[40];
        context_format_time(s_tp.at_ms[i], at, sizeof at);
        /* a process that restarted counts from 0 again: no negative rate */
        json_array_append_new(pts, json_pack("{s:s,s:I,s:I}", "at", at, "requests",
                                             (json_int_t)(r < 0 ? 0 : r), "callbacks",
                                             (json_int_t)(c < 0 ? 0 : c)));
    }
    return admin_reply(q, 200, json_pack("{s:i,s:o}", "interval_s", TP_STEP_MS / 1000, "points", pts));
}
