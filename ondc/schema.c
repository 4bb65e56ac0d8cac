/*
 * schema.c - compile rule tables into trees and hold requests to them.
 * See schema.h.
 *
 * A tree is an array of nodes: a node is one step of a path (an object's
 * key, or "[]" for the entries of an array), with its rule when the table
 * has one for that path (a step only on the way to deeper rules has none:
 * it is checked only for being an object or an array when present), its
 * first child and its next sibling. Children keep the order of the table,
 * so the first fault reported is the first in the table's order.
 */
#include "schema.h"

#include "context.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_PATH_MAX 128 /* = sizeof ((ondc_err_t *)0)->path */
#define S_DEPTH_MAX 24

typedef struct {
    const char *key; /* NULL: the entries of an array */
    const schema_rule_t *rule;
    int child, next; /* -1: none */
} s_node_t;

typedef struct {
    const schema_set_t *set;
    int v125, fnb;
    s_node_t *nodes; /* [0] is the root (the request) */
    char *keys;
} s_tree_t;

/* ---- formats ---- */

/* s_decimal - [sign] digits [. 1..2 digits], the whole of S */
static int s_decimal(const char *s, int sign)
{
    if (sign && (*s == '-' || *s == '+'))
        s++;
    size_t n = strspn(s, "0123456789");
    if (n == 0)
        return 0;
    s += n;
    if (*s == '\0')
        return 1;
    if (*s != '.')
        return 0;
    n = strspn(++s, "0123456789");
    return n >= 1 && n <= 2 && s[n] == '\0';
}

static int s_percent(const char *s)
{
    if (!s_decimal(s, 0))
        return 0;
    size_t n = strspn(s, "0123456789");
    if (n <= 2)
        return 1;
    /* 100, 100.0, 100.00 */
    return n == 3 && strncmp(s, "100", 3) == 0 && strspn(s + 3, ".0") == strlen(s + 3);
}

/* s_timestamp - YYYY-MM-DDTHH:MM:SS.sssZ exactly, a real date and time
 * (checked by hand: timegm would cost more than the rest of a check) */
static int s_timestamp(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    for (int i = 0; i < 24; i++)
        if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
            return 0;
    if (s[24] != '\0')
        return 0;
#define S_N2(p) (((p)[0] - '0') * 10 + ((p)[1] - '0'))
    int year = S_N2(s) * 100 + S_N2(s + 2), mon = S_N2(s + 5), day = S_N2(s + 8);
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return mon >= 1 && mon <= 12 && day >= 1 && day <= days[mon - 1] + (mon == 2 && leap) &&
           S_N2(s + 11) <= 23 && S_N2(s + 14) <= 59 && S_N2(s + 17) <= 60;
#undef S_N2
}

static int s_uuid(const char *s)
{
    static const int groups[5] = {8, 4, 4, 4, 12};
    for (int g = 0; g < 5; g++) {
        for (int i = 0; i < groups[g]; i++, s++)
            if (!isxdigit((unsigned char)*s))
                return 0;
        if (*s != (g < 4 ? '-' : '\0'))
            return 0;
        if (g < 4)
            s++;
    }
    return 1;
}

static int s_order_id(const char *s)
{
    size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");
    return (n >= 1 && n <= 32 && s[n] == '\0') || s_uuid(s);
}

static int s_email(const char *s)
{
    const char *at = strchr(s, '@');
    if (!at || at == s || strchr(at + 1, '@'))
        return 0;
    for (const char *p = s; *p; p++)
        if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
            return 0;
    const char *dot = strrchr(at + 1, '.');
    return dot && dot > at + 1 && dot[1] != '\0';
}

int schema_fmt_ok(schema_fmt_t f, const char *s)
{
    switch (f) {
    case SCH_F_NONE:
        return 1;
    case SCH_F_AMOUNT:
        return s_decimal(s, 0);
    case SCH_F_SAMOUNT:
        return s_decimal(s, 1);
    case SCH_F_PERCENT:
        return s_percent(s);
    case SCH_F_TIMESTAMP:
        return s_timestamp(s);
    case SCH_F_DURATION:
        return context_parse_duration(s) >= 0;
    case SCH_F_ORDER_ID:
        return s_order_id(s);
    case SCH_F_EMAIL:
        return s_email(s);
    case SCH_F_NONBLANK:
        for (; *s; s++)
            if (!isspace((unsigned char)*s))
                return 1;
        return 0;
    case SCH_F_URL:
        return (strncmp(s, "http://", 7) == 0 && s[7]) || (strncmp(s, "https://", 8) == 0 && s[8]);
    case SCH_F_COUNT:
        break;
    }
    return 0;
}

static const char *const s_fmt_what[SCH_F_COUNT] = {
    [SCH_F_NONE] = "",
    [SCH_F_AMOUNT] = "a decimal amount with at most 2 decimals (\"99.00\")",
    [SCH_F_SAMOUNT] = "a signed decimal amount with at most 2 decimals (\"-10.00\")",
    [SCH_F_PERCENT] = "a percentage from 0 to 100 with at most 2 decimals",
    [SCH_F_TIMESTAMP] = "an RFC 3339 UTC time with milliseconds (2024-06-01T10:00:00.000Z)",
    [SCH_F_DURATION] = "an ISO 8601 duration (PT30S)",
    [SCH_F_ORDER_ID] = "an id of 1 to 32 letters, digits and '-', or a UUID",
    [SCH_F_EMAIL] = "an email address",
    [SCH_F_NONBLANK] = "not blank",
    [SCH_F_URL] = "an http(s) URL",
};

/* ---- compiling ---- */

/* s_applies_to - whether RULE holds for this version and domain kind */
static int s_applies_to(const schema_rule_t *rule, int v125, int fnb)
{
    unsigned f = rule->flags;
    if ((f & (SCH_V120 | SCH_V125)) && !(f & (v125 ? SCH_V125 : SCH_V120)))
        return 0;
    if ((f & (SCH_FNB | SCH_NFNB)) && !(f & (fnb ? SCH_FNB : SCH_NFNB)))
        return 0;
    return 1;
}

/* s_child - the child of PARENT named KEY (LEN bytes; NULL: "[]"), made
 * when missing */
static int s_child(s_tree_t *t, int *used, char **kp, int parent, const char *key, size_t len)
{
    int last = -1;
    for (int c = t->nodes[parent].child; c >= 0; c = t->nodes[c].next) {
        const char *k = t->nodes[c].key;
        if (key ? (k && strlen(k) == len && memcmp(k, key, len) == 0) : !k)
            return c;
        last = c;
    }
    int n = (*used)++;
    s_node_t *node = &t->nodes[n];
    node->rule = NULL;
    node->child = node->next = -1;
    node->key = NULL;
    if (key) {
        memcpy(*kp, key, len);
        (*kp)[len] = '\0';
        node->key = *kp;
        *kp += len + 1;
    }
    if (last < 0)
        t->nodes[parent].child = n;
    else
        t->nodes[last].next = n;
    return n;
}

static void s_compile(s_tree_t *t, const schema_set_t *set, int v125, int fnb)
{
    size_t nodes = 1, chars = 0;
    for (size_t i = 0; i < set->n; i++) {
        const char *p = set->rules[i].path;
        if (strlen(p) >= S_PATH_MAX) {
            fprintf(stderr, "schema: %s: path too long: %s\n", set->action, p);
            abort();
        }
        nodes += 1;
        for (; *p; p++)
            nodes += *p == '.' || *p == '[';
        chars += strlen(set->rules[i].path) + 1;
    }
    t->set = set;
    t->v125 = v125;
    t->fnb = fnb;
    t->nodes = calloc(nodes, sizeof *t->nodes);
    t->keys = calloc(chars + 1, 1);
    if (!t->nodes || !t->keys) {
        fprintf(stderr, "schema: out of memory\n");
        abort();
    }
    int used = 1;
    char *kp = t->keys;
    t->nodes[0].child = t->nodes[0].next = -1;
    for (size_t i = 0; i < set->n; i++) {
        const schema_rule_t *rule = &set->rules[i];
        if (!s_applies_to(rule, v125, fnb))
            continue;
        int at = 0;
        const char *p = rule->path;
        while (*p) {
            size_t len = strcspn(p, ".[");
            if (len)
                at = s_child(t, &used, &kp, at, p, len);
            p += len;
            if (p[0] == '[') {
                if (p[1] != ']') {
                    fprintf(stderr, "schema: %s: bad path %s\n", set->action, rule->path);
                    abort();
                }
                at = s_child(t, &used, &kp, at, NULL, 0);
                p += 2;
            }
            if (*p == '.')
                p++;
        }
        /* two rules for one path: the later one (narrower, by version or
         * domain) wins */
        t->nodes[at].rule = rule;
    }
}

/* the compiled trees: the retail sets at both versions and both domain
 * kinds, compiled once; other sets (the tests') on first use, under a lock */
#define S_RETAIL_MAX 24
static s_tree_t s_retail[S_RETAIL_MAX][2][2];
static size_t s_nretail;
static pthread_once_t s_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static s_tree_t s_other[64];
static size_t s_nother;

static void s_init_once(void)
{
    for (s_nretail = 0; schema_retail[s_nretail].action; s_nretail++) {
        if (s_nretail == S_RETAIL_MAX) {
            fprintf(stderr, "schema: more than %d retail rule sets\n", S_RETAIL_MAX);
            abort();
        }
        for (int v = 0; v < 2; v++)
            for (int f = 0; f < 2; f++)
                s_compile(&s_retail[s_nretail][v][f], &schema_retail[s_nretail], v, f);
    }
}

void schema_init(void)
{
    pthread_once(&s_once, s_init_once);
}

int schema_applies(const char *core_version)
{
    return core_version && (strcmp(core_version, "1.2.0") == 0 || strcmp(core_version, "1.2.5") == 0);
}

/* ---- checking ---- */

/* the way down to the value being checked: a key, or an array index
 * (key NULL); rendered as a path only when there is a fault */
typedef struct {
    const s_tree_t *t;
    const char *key[S_DEPTH_MAX + 2];
    size_t idx[S_DEPTH_MAX + 2];
    int depth;
    char path[S_PATH_MAX];
    ondc_err_t *err;
} s_walk_t;

/* s_render - W's way down as "message.order.items[1].id", cut to fit */
static void s_render(s_walk_t *w)
{
    size_t n = 0;
    w->path[0] = '\0';
    for (int i = 0; i < w->depth && n + 1 < sizeof w->path; i++) {
        int k = w->key[i] ? snprintf(w->path + n, sizeof w->path - n, "%s%s", n ? "." : "",
                                     w->key[i])
                          : snprintf(w->path + n, sizeof w->path - n, "[%zu]", w->idx[i]);
        if (k < 0 || (size_t)k >= sizeof w->path - n)
            break;
        n += (size_t)k;
    }
}

static const char *s_type_name(unsigned types)
{
    if (types == SCH_STR)
        return "a string";
    if (types == SCH_INT)
        return "an integer";
    if (types & SCH_NUM)
        return "a number";
    if (types == SCH_BOOL)
        return "true or false";
    if (types == SCH_OBJ)
        return "an object";
    if (types == SCH_ARR)
        return "an array";
    if (types == (SCH_STR | SCH_ARR))
        return "a string or an array of strings";
    return "of another type";
}

static int s_type_ok(unsigned types, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        return types & SCH_STR;
    case JSON_INTEGER:
        return types & (SCH_INT | SCH_NUM);
    case JSON_REAL:
        return (types & SCH_NUM) ||
               ((types & SCH_INT) && json_real_value(v) == (double)(long long)json_real_value(v));
    case JSON_TRUE:
    case JSON_FALSE:
        return types & SCH_BOOL;
    case JSON_OBJECT:
        return types & SCH_OBJ;
    case JSON_ARRAY:
        return types & SCH_ARR;
    case JSON_NULL:
        return 0;
    }
    return 0;
}

static int s_fail(s_walk_t *w, const char *fmt, const char *a, const char *b)
{
    s_render(w);
    return err_set(w->err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST, w->path, fmt, w->path,
                   a ? a : "", b ? b : "");
}

/* s_holds - whether a conditional RULE holds in the object PARENT */
static int s_holds(const schema_rule_t *rule, const json_t *parent)
{
    if (!rule->when)
        return 1;
    const char *v = json_string_value(json_object_get(parent, rule->when));
    int in = 0;
    for (size_t i = 0; v && rule->when_in[i]; i++)
        in |= strcmp(v, rule->when_in[i]) == 0;
    return (rule->flags & SCH_UNLESS) ? !in : in;
}

/* s_list - the allowed values, for a message: "a, b, c" into OUT */
static const char *s_list(const char *const *oneof, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; oneof[i] && n + 1 < cap; i++) {
        int w = snprintf(out + n, cap - n, "%s%s", i ? ", " : "", oneof[i]);
        if (w < 0 || (size_t)w >= cap - n) {
            snprintf(out + (cap > 4 ? cap - 4 : 0), cap > 4 ? 4 : cap, "...");
            break;
        }
        n += (size_t)w;
    }
    return out;
}

/* s_value - V at W->path meets RULE's own checks (not its children's) */
static int s_value(s_walk_t *w, const schema_rule_t *rule, const json_t *v)
{
    if (rule->types && !s_type_ok(rule->types, v))
        return s_fail(w, "%s must be %s%s", s_type_name(rule->types), NULL);
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (rule->min && json_string_length(v) < (size_t)rule->min) {
            char n[16];
            snprintf(n, sizeof n, "%d", rule->min);
            return s_fail(w, rule->min == 1 ? "%s must not be empty%s%s"
                                            : "%s must be at least %s characters long%s",
                          rule->min == 1 ? NULL : n, NULL);
        }
        if (rule->max && json_string_length(v) > (size_t)rule->max) {
            char n[16];
            snprintf(n, sizeof n, "%d", rule->max);
            return s_fail(w, "%s must be at most %s characters long%s", n, NULL);
        }
        if (rule->oneof) {
            int ok = 0;
            for (size_t i = 0; !ok && rule->oneof[i]; i++)
                ok = strcmp(s, rule->oneof[i]) == 0;
            if (!ok) {
                char list[160];
                return s_fail(w, "%s must be one of: %s%s", s_list(rule->oneof, list, sizeof list),
                              NULL);
            }
        }
        if (rule->fmt && !schema_fmt_ok(rule->fmt, s))
            return s_fail(w, "%s must be %s%s",
                          (unsigned)rule->fmt < SCH_F_COUNT ? s_fmt_what[rule->fmt] : "valid", NULL);
    } else if (json_is_array(v) && rule->min && json_array_size(v) < (size_t)rule->min) {
        char n[16];
        snprintf(n, sizeof n, "%d", rule->min);
        return s_fail(w, "%s must have at least %s %s", n, rule->min == 1 ? "entry" : "entries");
    }
    return 0;
}

static int s_walk(s_walk_t *w, int node, const json_t *v);

/* s_step - the child C of an object PARENT (its value V, maybe NULL) */
static int s_step(s_walk_t *w, int c, const json_t *parent, const json_t *v)
{
    const s_node_t *n = &w->t->nodes[c];
    const schema_rule_t *rule = n->rule;
    if (rule && !s_holds(rule, parent))
        return 0;
    if (!v && !(rule && (rule->flags & SCH_REQ)))
        return 0;
    w->key[w->depth++] = n->key;
    int rc = !v                                 ? s_fail(w, "%s is required%s%s", NULL, NULL)
             : rule && s_value(w, rule, v) < 0 ? -1
                                               : s_walk(w, c, v);
    w->depth--;
    return rc;
}

/* s_walk - the children of NODE in V */
static int s_walk(s_walk_t *w, int node, const json_t *v)
{
    const s_node_t *nodes = w->t->nodes;
    int first = nodes[node].child;
    if (first < 0 || w->depth > S_DEPTH_MAX)
        return 0;
    if (!nodes[first].key) {
        /* the entries of an array: a step without a rule only needs an array */
        if (!json_is_array(v))
            return nodes[node].rule ? 0 : s_fail(w, "%s must be an array%s%s", NULL, NULL);
        const schema_rule_t *rule = nodes[first].rule;
        size_t i;
        const json_t *e;
        int rc = 0;
        w->key[w->depth++] = NULL;
        json_array_foreach(v, i, e)
        {
            w->idx[w->depth - 1] = i;
            if ((rule && s_value(w, rule, e) < 0) || s_walk(w, first, e) < 0) {
                rc = -1;
                break;
            }
        }
        w->depth--;
        return rc;
    }
    if (!json_is_object(v))
        return nodes[node].rule || node == 0 ? 0 : s_fail(w, "%s must be an object%s%s", NULL, NULL);
    for (int c = first; c >= 0; c = nodes[c].next)
        if (s_step(w, c, v, json_object_get(v, nodes[c].key)) < 0)
            return -1;
    if (nodes[node].rule && (nodes[node].rule->flags & SCH_CLOSED)) {
        const char *key;
        const json_t *x;
        json_object_foreach((json_t *)v, key, x)
        {
            int known = 0;
            for (int c = first; !known && c >= 0; c = nodes[c].next)
                known = strcmp(nodes[c].key, key) == 0;
            if (!known) {
                w->key[w->depth++] = key;
                int rc = s_fail(w, "%s is not allowed here%s%s", NULL, NULL);
                w->depth--;
                return rc;
            }
        }
    }
    return 0;
}

static int s_run(const s_tree_t *t, json_t *root, ondc_err_t *err)
{
    s_walk_t w;
    w.t = t;
    w.err = err;
    w.depth = 0;
    if (t->nodes[0].rule && s_value(&w, t->nodes[0].rule, root) < 0)
        return -1;
    return s_walk(&w, 0, root);
}

int schema_check_set(const schema_set_t *set, int v125, int fnb, json_t *root, ondc_err_t *err)
{
    v125 = !!v125;
    fnb = !!fnb;
    const s_tree_t *t = NULL;
    pthread_mutex_lock(&s_lock);
    for (size_t i = 0; !t && i < s_nother; i++)
        if (s_other[i].set == set && s_other[i].v125 == v125 && s_other[i].fnb == fnb)
            t = &s_other[i];
    if (!t) {
        if (s_nother == sizeof s_other / sizeof s_other[0]) {
            fprintf(stderr, "schema: too many rule sets\n");
            abort();
        }
        s_compile(&s_other[s_nother], set, v125, fnb);
        t = &s_other[s_nother++];
    }
    pthread_mutex_unlock(&s_lock);
    return s_run(t, root, err);
}

int schema_check(const char *action, const char *domain, const char *core_version, json_t *root,
                 ondc_err_t *err)
{
    if (!action || !schema_applies(core_version))
        return 0;
    schema_init();
    int v125 = strcmp(core_version, "1.2.5") == 0;
    int fnb = domain && strcmp(domain, "ONDC:RET11") == 0;
    for (size_t i = 0; i < s_nretail; i++)
        if (strcmp(schema_retail[i].action, action) == 0)
            return s_run(&s_retail[i][v125][fnb], root, err);
    return 0;
}
