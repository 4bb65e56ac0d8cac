/*
 * schema.h - the JSON-schema rules a request must meet before it is
 * ACKed, and the checker that holds a parsed request to them.
 *
 * A rule set is a table of rules, one per JSON path
 * ("message.order.items[].quantity.count"; "[]" steps into every entry of
 * an array): the JSON types allowed, whether the value is required, a
 * minimum (characters of a string, entries of an array), a string's
 * maximum length, the values
 * allowed (an enum or a const), a named format (a decimal amount, an
 * RFC 3339 timestamp ...) and, for a conditional rule, the sibling field
 * and values it depends on. A rule may be limited to one version (1.2.0
 * or 1.2.5) and to F&B (ONDC:RET11) or to the other retail domains. The
 * project's own description of ONDC's retail request schemas is in
 * schema_retail.c; docs/protocol.md, "Request schemas", says which rules.
 *
 * The tables are compiled once (the first schema_check, or schema_init)
 * into a tree per action, version and domain kind; a check walks the
 * request along that tree with json_object_get, building the path of a
 * fault in a fixed buffer: nothing is allocated per request.
 *
 * A fault is reported as JSON-SCHEMA-ERROR, code 30000, HTTP 400, with the
 * path of the first fault in document order ("message.order.items[1].id")
 * and what is wrong with it.
 *
 * Invariants: a compiled tree is read-only, so checks may run in any
 * thread. A broken table (a path too long, too many nodes) aborts at
 * compile time: tests/unit/test_schema.c compiles every table. No config
 * keys.
 */
#ifndef ONDC_SCHEMA_H
#define ONDC_SCHEMA_H

#include "err.h"

#include <jansson.h>
#include <stddef.h>

/* JSON types a rule allows (a mask) */
enum {
    SCH_STR = 1 << 0,
    SCH_INT = 1 << 1, /* an integer, or a real with no fraction */
    SCH_NUM = 1 << 2, /* any number */
    SCH_BOOL = 1 << 3,
    SCH_OBJ = 1 << 4,
    SCH_ARR = 1 << 5,
};

/* rule flags */
enum {
    SCH_REQ = 1 << 0,    /* the value must be present */
    SCH_CLOSED = 1 << 1, /* an object with no keys but those its rules name */
    SCH_UNLESS = 1 << 2, /* the rule holds when the sibling WHEN is NOT one of WHEN_IN */
    /* where it holds (none of a pair: both) */
    SCH_V120 = 1 << 3, /* core_version 1.2.0 only */
    SCH_V125 = 1 << 4, /* core_version 1.2.5 only */
    SCH_FNB = 1 << 5,  /* ONDC:RET11 (F&B) only */
    SCH_NFNB = 1 << 6, /* the other retail domains only */
};

/* named formats (patterns a string must match) */
typedef enum {
    SCH_F_NONE = 0,
    SCH_F_AMOUNT,     /* "99", "99.5", "99.50": digits, at most 2 decimals */
    SCH_F_SAMOUNT,    /* an amount with an optional sign: "-10.00" */
    SCH_F_PERCENT,    /* 0 to 100 with at most 2 decimals */
    SCH_F_TIMESTAMP,  /* RFC 3339 UTC with milliseconds: 2024-06-01T10:00:00.000Z */
    SCH_F_DURATION,   /* ISO 8601 duration: PT30S */
    SCH_F_ORDER_ID,   /* [A-Za-z0-9-]{1,32}, or a UUID */
    SCH_F_EMAIL,      /* local@domain.tld */
    SCH_F_NONBLANK,   /* not only white space */
    SCH_F_URL,        /* http:// or https:// and a host */
    SCH_F_COUNT
} schema_fmt_t;

typedef struct {
    const char *path;         /* dotted, "[]" for an array's entries */
    unsigned types;           /* SCH_STR | ... ; 0: any type */
    unsigned flags;           /* SCH_REQ | ... */
    int min;                  /* a string's least length, an array's least entries */
    int max;                  /* a string's greatest length (0: no limit) */
    schema_fmt_t fmt;         /* a string's format */
    const char *const *oneof; /* the strings allowed, NULL-terminated; NULL: any */
    const char *when;         /* the rule holds only when this sibling key ... */
    const char *const *when_in; /* ... is a string among these (see SCH_UNLESS) */
} schema_rule_t;

typedef struct {
    const char *action; /* "search" */
    const schema_rule_t *rules;
    size_t n;
} schema_set_t;

/* the retail request rule sets (schema_retail.c), ended by {NULL} */
extern const schema_set_t schema_retail[];

/* schema_init - compile the tables now (else the first check does). */
void schema_init(void);

/* schema_applies - whether CORE_VERSION has rule sets (1.2.0, 1.2.5). */
int schema_applies(const char *core_version);

/* schema_check - hold ROOT, a parsed request for ACTION in DOMAIN at
 * CORE_VERSION, to its rules. 0 when it meets them or no rule set covers
 * ACTION at that version; -1 with ERR (JSON-SCHEMA-ERROR, 400, 30000, the
 * path at fault) otherwise. */
int schema_check(const char *action, const char *domain, const char *core_version, json_t *root,
                 ondc_err_t *err);

/* schema_check_set - hold ROOT to SET alone (compiled on first use, per
 * set, version and domain kind: SET must be static); the rules limited to
 * a version or domain kind are taken by V125 (0: 1.2.0) and FNB. Same
 * returns as schema_check. */
int schema_check_set(const schema_set_t *set, int v125, int fnb, json_t *root, ondc_err_t *err);

/* schema_fmt_ok - whether S meets format F (exported for the tests). */
int schema_fmt_ok(schema_fmt_t f, const char *s);

#endif
