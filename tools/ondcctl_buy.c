/*
 * ondcctl_buy.c - ondcctl buy: a person buying through a buyer fleet's
 * client API (ondc-client, docs/buyer.md), from the command line.
 *
 *   ondcctl --config BUYER.json buy search [--domain D] [--city C] [--item TEXT] ...
 *   ondcctl --config BUYER.json buy select --txn T --item ID[:N][,ID[:N]...] [--seller S]
 *   ondcctl --config BUYER.json buy init|confirm|status|cancel|show --txn T
 *
 * Each command posts one request to client_listen (the bearer token of
 * client_token_file), then waits for the sellers' answers (GET
 * /buyer/v1/on_{action}, long-polled) and prints them as a person reads
 * them: for search a table of sellers, providers and items with prices;
 * for select and init the quote's breakup; for confirm, status and cancel
 * the order's state and its fulfillments'. --json prints the client API's
 * answer as it is instead.
 *
 * What the buyer leaves out is taken from the transaction so far (GET
 * /buyer/v1/transactions/T): select finds each item's provider and
 * location in the seller's on_search; init takes the cart from the
 * on_select; confirm takes the order from the on_init, quote included,
 * and names the payment; status and cancel the confirmed order's id.
 *
 * Exit: 0; 64 bad arguments; 1 the client API refused or is unreachable;
 * 3 the seller answered with an error; 4 no answer within --wait.
 *
 * Config keys read: client_listen, client_token_file, domains, cities.
 */
#include "ondcctl.h"

#include "clock.h"
#include "context.h"
#include "reply.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char base[256];
    char token[256];
    const char *config; /* the config's path, for the hints printed */
    int json_out;
    long wait_ms;
} buy_t;

static size_t s_collect(char *ptr, size_t size, size_t n, void *arg)
{
    fwrite(ptr, size, n, (FILE *)arg);
    return size * n;
}

/* s_call - METHOD PATH (with BODY, borrowed, when not NULL) on the client
 * API; the answer's JSON (caller owns) and its HTTP status in *STATUS, or
 * NULL after a message when the API cannot be reached or answers no JSON */
static json_t *s_call(buy_t *b, const char *method, const char *path, json_t *body, long *status,
                      long timeout_ms)
{
    char url[1024], auth[300];
    snprintf(url, sizeof url, "%s%s", b->base, path);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", b->token);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, "Expect:");
    if (b->token[0])
        h = curl_slist_append(h, auth);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    char *resp = NULL;
    size_t resp_len = 0;
    FILE *mem = open_memstream(&resp, &resp_len);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (text)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms + 10000);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, mem);
    CURLcode rc = curl_easy_perform(c);
    *status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    free(text);
    fclose(mem);
    json_t *out = NULL;
    if (rc != CURLE_OK)
        fprintf(stderr, "ondcctl buy: cannot reach the buyer client API at %s: %s (is the buyer "
                        "fleet running? client_listen in the config)\n",
                b->base, curl_easy_strerror(rc));
    else if (!(out = json_loads(resp ? resp : "", 0, NULL)))
        fprintf(stderr, "ondcctl buy: %s %s: HTTP %ld, not JSON: %.200s\n", method, path, *status,
                resp ? resp : "");
    free(resp);
    return out;
}

/* s_refused - print the client API's error answer A (HTTP STATUS) */
static int s_refused(const char *what, long status, json_t *a)
{
    json_t *e = json_object_get(a, "error");
    const char *path = json_string_value(json_object_get(e, "path"));
    fprintf(stderr, "ondcctl buy %s: refused (HTTP %ld)%s%s%s: %s\n", what, status,
            path && *path ? " at " : "", path && *path ? path : "", "",
            json_string_value(json_object_get(e, "message"))
                ? json_string_value(json_object_get(e, "message"))
                : "no reason given");
    return 1;
}

/* s_post - POST /buyer/v1/ACTION with CONTEXT and MESSAGE (both stolen);
 * the message_id into MID, the transaction into TID (may be NULL). 0 or
 * an exit code after a message. */
static int s_post(buy_t *b, const char *action, json_t *context, json_t *message, char mid[64],
                  char tid[256])
{
    json_t *body = json_pack("{s:o,s:o}", "context", context, "message", message);
    char path[64];
    snprintf(path, sizeof path, "/buyer/v1/%s", action);
    long st;
    json_t *a = s_call(b, "POST", path, body, &st, 30000);
    json_decref(body);
    if (!a)
        return 1;
    int rc = 0;
    if (st != 200)
        rc = s_refused(action, st, a);
    else {
        snprintf(mid, 64, "%s", json_string_value(json_object_get(a, "message_id")));
        if (tid)
            snprintf(tid, 256, "%s", json_string_value(json_object_get(a, "transaction_id")));
        if (json_integer_value(json_object_get(a, "sent_to")) == 0) {
            fprintf(stderr, "ondcctl buy %s: sent to no seller (none in the registry for this "
                            "domain and city, and no buyer.gateway_uri)\n", action);
            rc = 1;
        }
    }
    json_decref(a);
    return rc;
}

/* s_wait - the answers to MID (GET /buyer/v1/on_ACTION), waiting up to
 * b->wait_ms: for a search until that time has passed or SELLERS sellers
 * answered, else until the first answer. Caller owns; NULL after a message. */
static json_t *s_wait(buy_t *b, const char *action, const char *mid, int sellers)
{
    int64_t until = clock_mono_ms() + b->wait_ms;
    json_t *st = NULL;
    for (;;) {
        long have = st ? (long)json_array_size(json_object_get(st, "answers")) : 0;
        int64_t left = until - clock_mono_ms();
        if (left < 0)
            left = 0;
        char path[256];
        snprintf(path, sizeof path, "/buyer/v1/on_%s?messageId=%s&wait_ms=%lld&seen=%ld", action,
                 mid, (long long)left, have);
        long code;
        json_t *n = s_call(b, "GET", path, NULL, &code, left);
        if (!n) {
            json_decref(st);
            return NULL;
        }
        if (code != 200) {
            s_refused(action, code, n);
            json_decref(n);
            json_decref(st);
            return NULL;
        }
        json_decref(st);
        st = n;
        size_t got = json_array_size(json_object_get(st, "answers"));
        if (strcmp(action, "search") != 0 && got > 0)
            return st;
        if (sellers > 0 && json_array_size(json_object_get(st, "sellers")) >= (size_t)sellers)
            return st;
        if (clock_mono_ms() >= until)
            return st;
    }
}

/* s_txn - GET /buyer/v1/transactions/TID; caller owns; NULL after a message */
static json_t *s_txn(buy_t *b, const char *what, const char *tid)
{
    char path[400];
    if (strlen(tid) > 200 || strpbrk(tid, "/?&# ")) {
        fprintf(stderr, "ondcctl buy %s: --txn \"%s\" is not a transaction id\n", what, tid);
        return NULL;
    }
    snprintf(path, sizeof path, "/buyer/v1/transactions/%s", tid);
    long code;
    json_t *t = s_call(b, "GET", path, NULL, &code, 30000);
    if (t && code == 404) {
        fprintf(stderr, "ondcctl buy %s: no transaction %s at this buyer app (start with ondcctl "
                        "buy search)\n", what, tid);
        json_decref(t);
        return NULL;
    }
    if (t && code != 200) {
        s_refused(what, code, t);
        json_decref(t);
        return NULL;
    }
    return t;
}

static const char *s_s(json_t *v)
{
    const char *s = json_string_value(v);
    return s ? s : "";
}

/* ---- printing ---- */

static void s_print_quote(json_t *order)
{
    json_t *q = json_object_get(order, "quote");
    if (!json_is_object(q)) {
        printf("  (no quote)\n");
        return;
    }
    printf("  %-40s %5s %14s\n", "ITEM / CHARGE", "QTY", "PRICE");
    size_t i;
    json_t *br;
    json_array_foreach(json_object_get(q, "breakup"), i, br)
    {
        const char *type = s_s(json_object_get(br, "@ondc/org/title_type"));
        json_t *qty = json_object_get(json_object_get(br, "@ondc/org/item_quantity"), "count");
        char qs[16] = "";
        if (json_is_integer(qty))
            snprintf(qs, sizeof qs, "%lld", (long long)json_integer_value(qty));
        char title[64];
        const char *of = s_s(json_object_get(br, "@ondc/org/item_id"));
        int on_item = strcmp(type, "tax") == 0 || strcmp(type, "discount") == 0;
        if (strcmp(type, "item") == 0 || !*type)
            snprintf(title, sizeof title, "%s", s_s(json_object_get(br, "title")));
        else
            snprintf(title, sizeof title, "%s (%s%s%s)", s_s(json_object_get(br, "title")), type,
                     on_item && *of ? " on " : "", on_item ? of : "");
        json_t *price = json_object_get(br, "price");
        printf("  %-40.40s %5s %10s %s\n", title, qs, s_s(json_object_get(price, "value")),
               s_s(json_object_get(price, "currency")));
    }
    json_t *p = json_object_get(q, "price");
    printf("  %-40s %5s %10s %s\n", "TOTAL", "", s_s(json_object_get(p, "value")),
           s_s(json_object_get(p, "currency")));
}

static void s_print_fulfillments(json_t *order)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(order, "fulfillments"), i, f)
    {
        json_t *st = json_object_get(json_object_get(f, "state"), "descriptor");
        printf("  fulfillment %s: %s%s%s%s%s\n", s_s(json_object_get(f, "id")),
               s_s(json_object_get(f, "type")), st ? ", " : "", s_s(json_object_get(st, "code")),
               json_object_get(f, "@ondc/org/TAT") ? ", TAT " : "",
               s_s(json_object_get(f, "@ondc/org/TAT")));
    }
}

static void s_print_order(json_t *order, const char *bpp)
{
    printf("order %s: %s (seller %s, provider %s)\n",
           json_object_get(order, "id") ? s_s(json_object_get(order, "id")) : "(not yet)",
           json_object_get(order, "state") ? s_s(json_object_get(order, "state")) : "-", bpp,
           s_s(json_object_get(json_object_get(order, "provider"), "id")));
    s_print_fulfillments(order);
}

/* s_error_of - print a seller's error answer (body.error), 1 if there was one */
static int s_error_of(json_t *body)
{
    json_t *e = json_object_get(body, "error");
    if (!e)
        return 0;
    printf("the seller answered with an error: %s %s%s%s\n", s_s(json_object_get(e, "code")),
           s_s(json_object_get(e, "message")), json_object_get(e, "path") ? " at " : "",
           s_s(json_object_get(e, "path")));
    return 1;
}

/* s_answer - the last answer's body in ST (GET on_*), or exit code 4 after a message */
static json_t *s_answer(json_t *st, const char *action)
{
    json_t *ans = json_object_get(st, "answers");
    size_t n = json_array_size(ans);
    if (n == 0) {
        json_t *sent = json_array_get(json_object_get(st, "sent"), 0);
        fprintf(stderr, "ondcctl buy %s: no on_%s yet (the request: %s, %lld attempts%s%s); "
                        "try again with a longer --wait, or ondcctl buy show\n", action, action,
                s_s(json_object_get(sent, "state")),
                (long long)json_integer_value(json_object_get(sent, "attempts")),
                json_object_get(sent, "answer") ? ", answered " : "",
                s_s(json_object_get(sent, "answer")));
        return NULL;
    }
    return json_object_get(json_array_get(ans, n - 1), "body");
}

/* ---- the commands ---- */

static const char *const s_common[] = {"wait=", "json"};

/* s_opts - the common options, then the command's own (EXTRA, NULL-ended) */
static int s_args(const char *cmd, int argc, char **argv, const char *const *extra)
{
    const char *opts[32];
    int n = 0;
    for (size_t i = 0; i < sizeof s_common / sizeof s_common[0]; i++)
        opts[n++] = s_common[i];
    for (int i = 0; extra && extra[i] && n < 31; i++)
        opts[n++] = extra[i];
    opts[n] = NULL;
    char name[32];
    snprintf(name, sizeof name, "buy %s", cmd);
    return ctl_args(name, argc, argv, opts, 0, 0);
}

/* s_pick - the first string of config list L that names one value (not "*") */
static const char *s_pick(const cfg_list_t *l)
{
    return l->n > 0 && strcmp(l->v[0], "*") != 0 ? l->v[0] : NULL;
}

static int s_search(buy_t *b, cfg_t *cfg, int argc, char **argv)
{
    static const char *const opts[] = {"domain=", "city=", "item=", "category=", "sellers=",
                                       NULL};
    int rc = s_args("search", argc, argv, opts);
    if (rc)
        return rc;
    const char *domain = ctl_opt(argc, argv, "domain"), *city = ctl_opt(argc, argv, "city");
    if (!domain)
        domain = s_pick(&cfg->domains);
    if (!city)
        city = s_pick(&cfg->cities);
    if (!domain || !city) {
        fprintf(stderr, "ondcctl buy search: --%s is required (the config serves no single one)\n",
                !domain ? "domain" : "city");
        return 64;
    }
    long want = 0;
    const char *ws = ctl_opt(argc, argv, "sellers");
    if (ws) {
        char *end;
        want = strtol(ws, &end, 10);
        if (*end || want < 1 || want > 1000) {
            fprintf(stderr, "ondcctl buy search: --sellers \"%s\" is not a count (1 to 1000)\n", ws);
            return 64;
        }
    }
    json_t *intent = json_pack(
        "{s:{s:s},s:{s:s,s:s},s:[{s:s,s:[{s:s,s:s}]}]}", "fulfillment", "type", "Delivery",
        "payment", "@ondc/org/buyer_app_finder_fee_type", "percent",
        "@ondc/org/buyer_app_finder_fee_amount", "3", "tags", "code", "bap_terms", "list", "code",
        "static_terms_new", "value", "https://ondc-gateway.local/static-terms/bap/1.0/");
    const char *item = ctl_opt(argc, argv, "item"), *cat = ctl_opt(argc, argv, "category");
    if (item)
        json_object_set_new(intent, "item", json_pack("{s:{s:s}}", "descriptor", "name", item));
    if (cat)
        json_object_set_new(intent, "category", json_pack("{s:s}", "id", cat));
    char mid[64], tid[256];
    rc = s_post(b, "search",
                json_pack("{s:s,s:s}", "domain", domain, "city", city),
                json_pack("{s:o}", "intent", intent), mid, tid);
    if (rc)
        return rc;
    json_t *st = s_wait(b, "search", mid, (int)want);
    if (!st)
        return 1;
    if (b->json_out) {
        char *t = json_dumps(st, JSON_INDENT(2));
        printf("%s\n", t);
        free(t);
        json_decref(st);
        return 0;
    }
    json_t *sellers = json_object_get(st, "sellers");
    printf("transaction %s (search %s): %zu seller%s answered\n", tid, mid,
           json_array_size(sellers), json_array_size(sellers) == 1 ? "" : "s");
    printf("%-22s %-34s %-16s %-34s %14s\n", "SELLER", "PROVIDER", "ITEM", "NAME", "PRICE");
    size_t i, j, k;
    json_t *s, *p, *it;
    int nitems = 0;
    const char *first_seller = NULL, *first_item = NULL;
    json_array_foreach(sellers, i, s)
    {
        const char *bpp = s_s(json_object_get(s, "bpp_id"));
        if (json_object_get(s, "error"))
            printf("%-22.22s (error %s: %s)\n", bpp,
                   s_s(json_object_get(json_object_get(s, "error"), "code")),
                   s_s(json_object_get(json_object_get(s, "error"), "message")));
        json_array_foreach(json_object_get(json_object_get(s, "catalog"), "bpp/providers"), j, p)
        {
            char prov[80];
            snprintf(prov, sizeof prov, "%s %s", s_s(json_object_get(p, "id")),
                     s_s(json_object_get(json_object_get(p, "descriptor"), "name")));
            json_array_foreach(json_object_get(p, "items"), k, it)
            {
                json_t *pr = json_object_get(it, "price");
                char price[40];
                snprintf(price, sizeof price, "%s %s", s_s(json_object_get(pr, "value")),
                         s_s(json_object_get(pr, "currency")));
                printf("%-22.22s %-34.34s %-16.16s %-34.34s %14s\n", bpp, prov,
                       s_s(json_object_get(it, "id")),
                       s_s(json_object_get(json_object_get(it, "descriptor"), "name")), price);
                if (!nitems++) {
                    first_seller = bpp;
                    first_item = s_s(json_object_get(it, "id"));
                }
            }
        }
    }
    if (nitems)
        printf("\nnext: ondcctl --config %s buy select --txn %s --seller %s --item %s:1\n",
               b->config, tid, first_seller, first_item);
    else
        printf("no items\n");
    json_decref(st);
    return 0;
}

/* s_find_item - the provider of seller BPP's item ITEM in the on_search
 * answers of transaction T (borrowed), and the item's location; NULL if
 * none */
static json_t *s_find_item(json_t *t, const char *bpp, const char *item, const char **loc)
{
    size_t i, j, k;
    json_t *a, *p, *it;
    json_array_foreach(json_object_get(t, "answers"), i, a)
    {
        json_t *body = json_object_get(a, "body");
        if (strcmp(s_s(json_object_get(a, "action")), "on_search") != 0 ||
            strcmp(s_s(json_object_get(a, "bpp_id")), bpp) != 0)
            continue;
        json_array_foreach(
            json_object_get(json_object_get(json_object_get(body, "message"), "catalog"),
                            "bpp/providers"),
            j, p)
        {
            json_array_foreach(json_object_get(p, "items"), k, it)
            {
                if (strcmp(s_s(json_object_get(it, "id")), item) != 0)
                    continue;
                *loc = json_string_value(json_object_get(it, "location_id"));
                if (!*loc)
                    *loc = json_string_value(json_object_get(
                        json_array_get(json_object_get(p, "locations"), 0), "id"));
                return p;
            }
        }
    }
    return NULL;
}

/* s_sellers_with - the sellers whose on_search in T lists ITEM: the one
 * into *ONE, their count returned */
static int s_sellers_with(json_t *t, const char *item, const char **one)
{
    int n = 0;
    const char *loc;
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(t, "sellers"), key, v)
    {
        if (s_find_item(t, key, item, &loc)) {
            *one = key;
            n++;
        }
    }
    return n;
}

/* s_or - option NAME's value, else DEF */
static const char *s_or(int argc, char **argv, const char *name, const char *def)
{
    const char *v = ctl_opt(argc, argv, name);
    return v ? v : def;
}

static json_t *s_end_location(int argc, char **argv)
{
    const char *gps = ctl_opt(argc, argv, "gps"), *area = ctl_opt(argc, argv, "area-code");
    return json_pack("{s:{s:s,s:{s:s}}}", "location", "gps", gps ? gps : "13.01659,77.68040",
                     "address", "area_code", area ? area : "560016");
}

/* s_done - print the answer ST of ACTION (select/init: its quote; the
 * others: the order) and free it; the exit code */
static int s_done(buy_t *b, const char *action, json_t *st)
{
    if (!st)
        return 1;
    int rc = 0;
    if (b->json_out) {
        char *t = json_dumps(st, JSON_INDENT(2));
        printf("%s\n", t);
        free(t);
        json_t *body = s_answer(st, action);
        rc = !body ? 4 : json_object_get(body, "error") ? 3 : 0;
        json_decref(st);
        return rc;
    }
    json_t *body = s_answer(st, action);
    if (!body) {
        json_decref(st);
        return 4;
    }
    json_t *ctx = json_object_get(body, "context");
    json_t *order = json_object_get(json_object_get(body, "message"), "order");
    printf("on_%s from %s (transaction %s)\n", action, s_s(json_object_get(ctx, "bpp_id")),
           s_s(json_object_get(ctx, "transaction_id")));
    if (s_error_of(body))
        rc = 3;
    if (strcmp(action, "select") == 0 || strcmp(action, "init") == 0) {
        s_print_quote(order);
        s_print_fulfillments(order);
        if (strcmp(action, "init") == 0) {
            json_t *pay = json_object_get(order, "payment");
            printf("  payment: %s, collected by %s\n", s_s(json_object_get(pay, "type")),
                   s_s(json_object_get(pay, "collected_by")));
        }
        if (!rc)
            printf("\nnext: ondcctl --config %s buy %s --txn %s\n", b->config,
                   strcmp(action, "select") == 0 ? "init" : "confirm",
                   s_s(json_object_get(ctx, "transaction_id")));
    } else if (order) {
        s_print_order(order, s_s(json_object_get(ctx, "bpp_id")));
        if (strcmp(action, "confirm") == 0)
            s_print_quote(order);
    }
    json_decref(st);
    return rc;
}

static int s_select(buy_t *b, int argc, char **argv)
{
    static const char *const opts[] = {"txn=", "seller=", "item=", "gps=", "area-code=", NULL};
    int rc = s_args("select", argc, argv, opts);
    if (rc)
        return rc;
    const char *tid = ctl_opt(argc, argv, "txn"), *items = ctl_opt(argc, argv, "item");
    const char *bpp = ctl_opt(argc, argv, "seller");
    if (!tid || !items) {
        fprintf(stderr, "ondcctl buy select: --txn T (the search's transaction) and --item "
                        "ID[:COUNT][,ID[:COUNT]...] are required\n");
        return 64;
    }
    json_t *t = s_txn(b, "select", tid);
    if (!t)
        return 1;
    json_t *list = json_array();
    const char *prov_id = NULL;
    json_t *prov = NULL;
    char *spec = strdup(items), *save = NULL;
    rc = 0;
    for (char *one = strtok_r(spec, ",", &save); one && !rc; one = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(one, ':');
        long count = 1;
        if (colon) {
            *colon = '\0';
            char *end;
            errno = 0;
            count = strtol(colon + 1, &end, 10);
            if (*end || colon[1] == '\0' || count < 1 || count > 9999 || errno) {
                fprintf(stderr, "ondcctl buy select: --item %s:%s: the count must be a whole "
                                "number from 1 to 9999\n", one, colon + 1);
                rc = 64;
                break;
            }
        }
        if (!*one) {
            fprintf(stderr, "ondcctl buy select: --item: an empty item id\n");
            rc = 64;
            break;
        }
        if (!bpp) {
            int n = s_sellers_with(t, one, &bpp);
            if (n != 1) {
                if (n)
                    fprintf(stderr, "ondcctl buy select: item %s is in more than one seller's "
                                    "catalog in this transaction: name one with --seller\n", one);
                else
                    fprintf(stderr, "ondcctl buy select: no seller offered item %s in transaction "
                                    "%s (see ondcctl buy search)\n", one, tid);
                rc = 64;
                break;
            }
        }
        const char *loc = NULL;
        json_t *p = s_find_item(t, bpp, one, &loc);
        if (!p) {
            fprintf(stderr, "ondcctl buy select: seller %s offered no item %s in transaction %s "
                            "(see ondcctl buy search)\n", bpp, one, tid);
            rc = 64;
            break;
        }
        const char *pid = s_s(json_object_get(p, "id"));
        if (prov_id && strcmp(prov_id, pid) != 0) {
            fprintf(stderr, "ondcctl buy select: items of two providers (%s, %s): an order is "
                            "one provider's\n", prov_id, pid);
            rc = 64;
            break;
        }
        prov_id = pid;
        prov = p;
        json_t *it = json_pack("{s:s,s:{s:I}}", "id", one, "quantity", "count", (json_int_t)count);
        if (loc)
            json_object_set_new(it, "location_id", json_string(loc));
        json_array_append_new(list, it);
    }
    if (rc) {
        free(spec);
        json_decref(list);
        json_decref(t);
        return rc;
    }
    json_t *provider = json_pack("{s:s}", "id", prov_id);
    const char *loc0 = json_string_value(json_object_get(json_array_get(list, 0), "location_id"));
    if (!loc0)
        loc0 = json_string_value(
            json_object_get(json_array_get(json_object_get(prov, "locations"), 0), "id"));
    if (loc0)
        json_object_set_new(provider, "locations", json_pack("[{s:s}]", "id", loc0));
    json_t *msg = json_pack("{s:{s:o,s:o,s:[{s:o}],s:{s:s}}}", "order", "provider", provider,
                            "items", list, "fulfillments", "end", s_end_location(argc, argv),
                            "payment", "type", "ON-ORDER");
    char mid[64];
    rc = s_post(b, "select", json_pack("{s:s,s:s}", "transaction_id", tid, "bpp_id", bpp), msg,
                mid, NULL);
    free(spec);
    json_decref(t);
    return rc ? rc : s_done(b, "select", s_wait(b, "select", mid, 0));
}

/* s_last_order - the order of transaction T as the seller last described
 * it, which must come from one of FROM (NULL-ended); NULL after a message */
static json_t *s_last_order(json_t *t, const char *cmd, const char *const *from, const char *hint)
{
    const char *of = s_s(json_object_get(t, "order_from"));
    json_t *order = json_object_get(t, "order");
    for (int i = 0; from[i]; i++)
        if (order && strcmp(of, from[i]) == 0)
            return order;
    fprintf(stderr, "ondcctl buy %s: transaction %s has %s%s: %s first\n", cmd,
            s_s(json_object_get(t, "transaction_id")), *of ? "its order from " : "no order yet",
            of, hint);
    return NULL;
}

static int s_init(buy_t *b, int argc, char **argv)
{
    static const char *const opts[] = {"txn=",      "name=", "phone=",     "email=",
                                       "building=", "locality=", "town=", "state=",
                                       "gps=",      "area-code=", NULL};
    int rc = s_args("init", argc, argv, opts);
    if (rc)
        return rc;
    const char *tid = ctl_opt(argc, argv, "txn");
    if (!tid) {
        fprintf(stderr, "ondcctl buy init: --txn T is required\n");
        return 64;
    }
    const char *phone = ctl_opt(argc, argv, "phone");
    if (phone && (strlen(phone) < 10 || strlen(phone) > 15 || strspn(phone, "0123456789+") != strlen(phone))) {
        fprintf(stderr, "ondcctl buy init: --phone \"%s\": 10 to 15 digits\n", phone);
        return 64;
    }
    const char *email = ctl_opt(argc, argv, "email");
    if (email && !strchr(email, '@')) {
        fprintf(stderr, "ondcctl buy init: --email \"%s\" is not an address\n", email);
        return 64;
    }
    json_t *t = s_txn(b, "init", tid);
    if (!t)
        return 1;
    static const char *const from[] = {"on_select", "on_init", NULL};
    json_t *sel = s_last_order(t, "init", from, "ondcctl buy select");
    if (!sel) {
        json_decref(t);
        return 64;
    }
    /* the cart as the seller quoted it: each item's fulfillment, its count */
    json_t *items = json_array();
    size_t i, j;
    json_t *it, *br;
    json_array_foreach(json_object_get(sel, "items"), i, it)
    {
        const char *id = s_s(json_object_get(it, "id"));
        json_int_t count = json_integer_value(
            json_object_get(json_object_get(it, "quantity"), "count"));
        json_array_foreach(json_object_get(json_object_get(sel, "quote"), "breakup"), j, br)
        {
            if (strcmp(s_s(json_object_get(br, "@ondc/org/item_id")), id) == 0 &&
                strcmp(s_s(json_object_get(br, "@ondc/org/title_type")), "item") == 0)
                count = json_integer_value(
                    json_object_get(json_object_get(br, "@ondc/org/item_quantity"), "count"));
        }
        json_t *one = json_pack("{s:s,s:{s:I}}", "id", id, "quantity", "count",
                                (json_int_t)(count > 0 ? count : 1));
        const char *fid = json_string_value(json_object_get(it, "fulfillment_id"));
        if (fid)
            json_object_set_new(one, "fulfillment_id", json_string(fid));
        json_array_append_new(items, one);
    }
    const char *fid = json_string_value(json_object_get(json_array_get(items, 0), "fulfillment_id"));
    json_t *addr = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "name", s_or(argc, argv, "name", "Asha Rao"), "building",
        s_or(argc, argv, "building", "Sai Residency"), "locality",
        s_or(argc, argv, "locality", "Whitefield"), "city", s_or(argc, argv, "town", "Bengaluru"),
        "state", s_or(argc, argv, "state", "Karnataka"), "country", "IND", "area_code",
        s_or(argc, argv, "area-code", "560016"));
    char ts[40];
    context_format_time(clock_wall_ms(), ts, sizeof ts);
    json_t *billing = json_pack("{s:O,s:O,s:s,s:s,s:s,s:s}", "name", json_object_get(addr, "name"),
                                "address", addr, "email", email ? email : "buyer@example.com",
                                "phone", phone ? phone : "9886098860", "created_at", ts,
                                "updated_at", ts);
    json_t *end = s_end_location(argc, argv);
    json_object_set(json_object_get(end, "location"), "address", addr);
    json_object_set_new(end, "contact", json_pack("{s:s,s:s}", "phone", phone ? phone : "9886098860",
                                                  "email", email ? email : "buyer@example.com"));
    json_t *ful = json_pack("{s:s,s:s,s:o}", "id", fid ? fid : "1", "type", "Delivery", "end", end);
    json_t *msg = json_pack("{s:{s:O,s:o,s:o,s:[o],s:{s:s,s:s}}}", "order", "provider",
                            json_object_get(sel, "provider"), "items", items, "billing", billing,
                            "fulfillments", ful, "payment", "type", "ON-ORDER", "collected_by",
                            "BAP");
    json_decref(addr);
    /* only the provider's id and its location ids */
    json_t *prov = json_object_get(json_object_get(msg, "order"), "provider");
    json_t *lean = json_pack("{s:O}", "id", json_object_get(prov, "id"));
    json_t *locs = json_object_get(prov, "locations");
    if (json_array_size(locs))
        json_object_set_new(lean, "locations", json_pack("[{s:O}]", "id",
                                                        json_object_get(json_array_get(locs, 0), "id")));
    json_object_set_new(json_object_get(msg, "order"), "provider", lean);
    char mid[64];
    rc = s_post(b, "init", json_pack("{s:s}", "transaction_id", tid), msg, mid, NULL);
    json_decref(t);
    return rc ? rc : s_done(b, "init", s_wait(b, "init", mid, 0));
}

static int s_confirm(buy_t *b, int argc, char **argv)
{
    static const char *const opts[] = {"txn=", NULL};
    int rc = s_args("confirm", argc, argv, opts);
    if (rc)
        return rc;
    const char *tid = ctl_opt(argc, argv, "txn");
    if (!tid) {
        fprintf(stderr, "ondcctl buy confirm: --txn T is required\n");
        return 64;
    }
    json_t *t = s_txn(b, "confirm", tid);
    if (!t)
        return 1;
    static const char *const from[] = {"on_init", NULL};
    json_t *ini = s_last_order(t, "confirm", from, "ondcctl buy init");
    if (!ini) {
        json_decref(t);
        return 64;
    }
    json_t *order = json_deep_copy(ini);
    char oid[37], ts[40], ref[37];
    reply_uuid(oid);
    reply_uuid(ref);
    char id[24];
    snprintf(id, sizeof id, "O%.8s%.4s%.4s", oid, oid + 9, oid + 14);
    context_format_time(clock_wall_ms(), ts, sizeof ts);
    json_object_set_new(order, "id", json_string(id));
    json_object_set_new(order, "state", json_string("Created"));
    json_object_set_new(order, "created_at", json_string(ts));
    json_object_set_new(order, "updated_at", json_string(ts));
    const char *name = s_s(json_object_get(json_object_get(order, "billing"), "name"));
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(order, "fulfillments"), i, f)
    {
        json_object_set_new(f, "tracking", json_false());
        json_t *e = json_object_get(f, "end");
        if (json_is_object(e) && !json_object_get(e, "person"))
            json_object_set_new(e, "person", json_pack("{s:s}", "name", *name ? name : "Buyer"));
    }
    json_t *pay = json_object_get(order, "payment");
    if (!json_is_object(pay)) {
        pay = json_object();
        json_object_set_new(order, "payment", pay);
    }
    json_t *total = json_object_get(json_object_get(json_object_get(order, "quote"), "price"), "value");
    json_object_set_new(pay, "params", json_pack("{s:s,s:s,s:O?}", "currency", "INR",
                                                 "transaction_id", ref, "amount", total));
    json_object_set_new(pay, "status", json_string("PAID"));
    if (!json_object_get(pay, "type"))
        json_object_set_new(pay, "type", json_string("ON-ORDER"));
    if (!json_object_get(pay, "collected_by"))
        json_object_set_new(pay, "collected_by", json_string("BAP"));
    if (!json_object_get(pay, "@ondc/org/buyer_app_finder_fee_type")) {
        json_object_set_new(pay, "@ondc/org/buyer_app_finder_fee_type", json_string("percent"));
        json_object_set_new(pay, "@ondc/org/buyer_app_finder_fee_amount", json_string("3"));
    }
    char mid[64];
    rc = s_post(b, "confirm", json_pack("{s:s}", "transaction_id", tid),
                json_pack("{s:o}", "order", order), mid, NULL);
    json_decref(t);
    return rc ? rc : s_done(b, "confirm", s_wait(b, "confirm", mid, 0));
}

/* s_order_id - the confirmed order of transaction T (borrowed), or NULL after a message */
static const char *s_order_id(json_t *t, const char *cmd)
{
    const char *oid = json_string_value(json_object_get(t, "order_id"));
    if (!oid)
        fprintf(stderr, "ondcctl buy %s: transaction %s has no confirmed order (ondcctl buy "
                        "confirm first)\n", cmd, s_s(json_object_get(t, "transaction_id")));
    return oid;
}

static int s_status_cancel(buy_t *b, const char *cmd, int argc, char **argv)
{
    static const char *const st_opts[] = {"txn=", NULL};
    static const char *const ca_opts[] = {"txn=", "reason=", NULL};
    int cancel = strcmp(cmd, "cancel") == 0;
    int rc = s_args(cmd, argc, argv, cancel ? ca_opts : st_opts);
    if (rc)
        return rc;
    const char *tid = ctl_opt(argc, argv, "txn"), *reason = ctl_opt(argc, argv, "reason");
    if (!tid) {
        fprintf(stderr, "ondcctl buy %s: --txn T is required\n", cmd);
        return 64;
    }
    if (reason && (strlen(reason) != 3 || strspn(reason, "0123456789") != 3)) {
        fprintf(stderr, "ondcctl buy cancel: --reason \"%s\": an ONDC cancellation reason code "
                        "(three digits, such as 001 or 003)\n", reason);
        return 64;
    }
    json_t *t = s_txn(b, cmd, tid);
    if (!t)
        return 1;
    const char *oid = s_order_id(t, cmd);
    if (!oid) {
        json_decref(t);
        return 64;
    }
    json_t *msg = cancel ? json_pack("{s:s,s:s,s:{s:s,s:s}}", "order_id", oid,
                                     "cancellation_reason_id", reason ? reason : "003",
                                     "descriptor", "name", "fulfillment", "short_desc", "1")
                         : json_pack("{s:s}", "order_id", oid);
    char mid[64];
    rc = s_post(b, cmd, json_pack("{s:s}", "transaction_id", tid), msg, mid, NULL);
    json_decref(t);
    return rc ? rc : s_done(b, cmd, s_wait(b, cmd, mid, 0));
}

static int s_show(buy_t *b, int argc, char **argv)
{
    static const char *const opts[] = {"txn=", NULL};
    int rc = s_args("show", argc, argv, opts);
    if (rc)
        return rc;
    const char *tid = ctl_opt(argc, argv, "txn");
    if (!tid) {
        fprintf(stderr, "ondcctl buy show: --txn T is required\n");
        return 64;
    }
    json_t *t = s_txn(b, "show", tid);
    if (!t)
        return 1;
    if (b->json_out) {
        char *text = json_dumps(t, JSON_INDENT(2));
        printf("%s\n", text);
        free(text);
        json_decref(t);
        return 0;
    }
    printf("transaction %s (%s, %s)\n", tid, s_s(json_object_get(t, "domain")),
           s_s(json_object_get(t, "city")));
    json_t *order = json_object_get(t, "order");
    if (order) {
        s_print_order(order, s_s(json_object_get(t, "bpp_id")));
        s_print_quote(order);
    }
    printf("%-8s %-12s %-22s %-10s %s\n", "SEQ", "ANSWER", "SELLER", "", "ORDER STATE");
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(t, "answers"), i, a)
    {
        json_t *body = json_object_get(a, "body");
        json_t *o = json_object_get(json_object_get(body, "message"), "order");
        printf("%-8lld %-12s %-22.22s %-10s %s%s\n",
               (long long)json_integer_value(json_object_get(a, "seq")),
               s_s(json_object_get(a, "action")), s_s(json_object_get(a, "bpp_id")),
               json_is_true(json_object_get(a, "solicited")) ? "" : "unasked",
               s_s(json_object_get(o, "state")), json_object_get(body, "error") ? " (error)" : "");
    }
    json_decref(t);
    return 0;
}

/* s_token - the client API's bearer token from FILE into B; -1 after a message */
static int s_token(buy_t *b, const char *file)
{
    if (!file[0])
        return 0;
    size_t n = 0;
    char *text = ctl_read_file(file, &n);
    if (!text) {
        fprintf(stderr, "ondcctl buy: cannot read the client token %s: %s\n", file, strerror(errno));
        return -1;
    }
    while (n && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
        text[--n] = '\0';
    snprintf(b->token, sizeof b->token, "%s", text);
    free(text);
    return 0;
}

static const char *s_buy_usage =
    "usage: ondcctl --config BUYER_CONFIG buy COMMAND [--wait SECONDS] [--json] ...\n"
    "  search [--domain D] [--city C] [--item TEXT] [--category C] [--sellers N]\n"
    "  select --txn T --item ID[:COUNT][,ID[:COUNT]...] [--seller BPP_ID] [--gps LAT,LON] "
    "[--area-code PIN]\n"
    "  init --txn T [--name N] [--phone P] [--email E] [--building B] [--locality L] [--town C]\n"
    "       [--state S] [--gps LAT,LON] [--area-code PIN]\n"
    "  confirm --txn T | status --txn T | cancel --txn T [--reason 003] | show --txn T\n";

int ctl_buy(ctl_t *ctl, int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "help") == 0 || strcmp(argv[0], "--help") == 0) {
        fputs(s_buy_usage, argc < 1 ? stderr : stdout);
        return argc < 1 ? 64 : 0;
    }
    const char *cmd = argv[0];
    static const char *const cmds[] = {"search", "select", "init", "confirm",
                                       "status", "cancel", "show", NULL};
    int known = 0;
    for (int i = 0; cmds[i]; i++)
        known |= strcmp(cmd, cmds[i]) == 0;
    if (!known) {
        fprintf(stderr, "ondcctl buy: unknown command %s\n%s", cmd, s_buy_usage);
        return 64;
    }
    cfg_t *cfg = ctl_need_config(ctl);
    if (!cfg_has_role(cfg, "buyer")) {
        fprintf(stderr, "ondcctl buy: %s is not a buyer fleet's config (roles has no \"buyer\")\n",
                ctl->config_path);
        return 64;
    }
    buy_t b;
    memset(&b, 0, sizeof b);
    snprintf(b.base, sizeof b.base, "http://%s", cfg->client_listen);
    b.config = ctl->config_path;
    b.json_out = ctl_flag(argc - 1, argv + 1, "json");
    b.wait_ms = strcmp(cmd, "search") == 0 ? 5000 : 15000;
    const char *w = ctl_opt(argc - 1, argv + 1, "wait");
    if (w) {
        char *end;
        double s = strtod(w, &end);
        if (*end || end == w || s < 0 || s > 600) {
            fprintf(stderr, "ondcctl buy %s: --wait \"%s\": seconds, 0 to 600\n", cmd, w);
            return 64;
        }
        b.wait_ms = (long)(s * 1000);
    }
    if (s_token(&b, cfg->client_token_file) < 0)
        return 1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc;
    if (strcmp(cmd, "search") == 0)
        rc = s_search(&b, cfg, argc - 1, argv + 1);
    else if (strcmp(cmd, "select") == 0)
        rc = s_select(&b, argc - 1, argv + 1);
    else if (strcmp(cmd, "init") == 0)
        rc = s_init(&b, argc - 1, argv + 1);
    else if (strcmp(cmd, "confirm") == 0)
        rc = s_confirm(&b, argc - 1, argv + 1);
    else if (strcmp(cmd, "show") == 0)
        rc = s_show(&b, argc - 1, argv + 1);
    else
        rc = s_status_cancel(&b, cmd, argc - 1, argv + 1);
    curl_global_cleanup();
    return rc;
}
