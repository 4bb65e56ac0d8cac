/*
 * test_cfg.c - cfg.{c,h}: the config table loaded from temporary files:
 * defaults, paths relative to the config file, every kind of refusal naming
 * its key (unknown keys with the nearest known one, wrong types with the
 * expected one), nested keys, cross-field checks, what cfg_check_start
 * looks at (placeholder identity, key files, folders, listen addresses),
 * derived endpoints, reload of reloadable keys only, family names, lists,
 * dump and reference.
 *
 * Every file lives in a fresh mkdtemp directory removed at the end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <sys/stat.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cfg.h"
#include "log.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static char s_dir[256]; /* realpath of this run's temporary directory */

static int s_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int s_setup(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/test_cfg.XXXXXX";
    if (!mkdtemp(tmpl))
        return -1;
    char real[PATH_MAX];
    if (!realpath(tmpl, real) || strlen(real) >= sizeof s_dir)
        return -1;
    memcpy(s_dir, real, strlen(real) + 1);
    log_set_level(LOG_FATAL); /* unknown-key warnings and reload notes */
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    return nftw(s_dir, s_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* s_write - write TEXT to {s_dir}/NAME; the full path goes into PATH. */
static void s_write(const char *name, const char *text, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", s_dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static cfg_t *s_load_text(const char *text, int want_rc, char *why, size_t whylen)
{
    char path[PATH_MAX];
    s_write("ondc.json", text, path, sizeof path);
    cfg_t *cfg = calloc(1, sizeof *cfg);
    assert_non_null(cfg);
    why[0] = '\0';
    int rc = cfg_load(cfg, path, why, whylen);
    if (rc != want_rc)
        fail_msg("cfg_load(%s) = %d, want %d (%s)", text, rc, want_rc, why);
    return cfg;
}

static void test_empty_object_defaults(void **state)
{
    (void)state;
    char why[256], want[PATH_MAX + 64];
    cfg_t *cfg = s_load_text("{}", 0, why, sizeof why);
    assert_string_equal(cfg->listen, "127.0.0.1:8080");
    assert_string_equal(cfg->admin_listen, "127.0.0.1:8081");
    assert_string_equal(cfg->journal_sync, "fsync");
    assert_string_equal(cfg->log_level, "info");
    assert_string_equal(cfg->country, "IND");
    assert_string_equal(cfg->subscriber_id, "localhost");
    assert_int_equal(cfg->workers[FAMILY_DISCOVERY], 1);
    assert_int_equal(cfg->workers[FAMILY_ORDER], 1);
    assert_int_equal(cfg->workers[FAMILY_FULFILLMENT], 1);
    assert_int_equal(cfg->workers[FAMILY_POST], 1);
    assert_int_equal(cfg->verify_signatures, 1);
    assert_int_equal(cfg->auto_accept, 0);
    assert_int_equal(cfg->max_body_bytes, 1048576);
    assert_int_equal(cfg->lmdb_map_size_mb, 4096);
    assert_int_equal(cfg->journal_max_attempts, 5);
    assert_int_equal(cfg->registry_cache_max_s, 86400);
    assert_int_equal(cfg->domains.n, 11);
    assert_int_equal(cfg_list_has(&cfg->domains, "ONDC:RET10", 0), 1);
    assert_int_equal(cfg_list_has(&cfg->domains, "ONDC:RET19", 0), 1);
    assert_int_equal(cfg_list_has(&cfg->domains, "nic2004:52110", 0), 1);
    assert_string_equal(cfg->domains.v[0], "nic2004:52110");
    assert_int_equal(cfg->cities.n, 1);
    assert_string_equal(cfg->cities.v[0], "*");
    /* paths resolved against the config file's directory */
    snprintf(want, sizeof want, "%s/ondc.json", s_dir);
    assert_string_equal(cfg->config_path, want);
    assert_string_equal(cfg->config_dir, s_dir);
    snprintf(want, sizeof want, "%s/var/data", s_dir);
    assert_string_equal(cfg->data_dir, want);
    snprintf(want, sizeof want, "%s/keys/signing.key", s_dir);
    assert_string_equal(cfg->signing_private_key_file, want);
    assert_string_equal(cfg->registry_file, ""); /* empty stays empty */
    assert_string_equal(cfg->admin_token_file, "");
    free(cfg);
}

static void test_defaults_without_file(void **state)
{
    (void)state;
    cfg_t *cfg = calloc(1, sizeof *cfg);
    cfg_defaults(cfg);
    assert_string_equal(cfg->config_dir, ".");
    assert_string_equal(cfg->data_dir, "./var/data");
    assert_string_equal(cfg->listen, "127.0.0.1:8080");
    assert_int_equal(cfg->domains.n, 11);
    assert_int_equal(cfg->verify_signatures, 1);
    free(cfg);
}

static void test_paths(void **state)
{
    (void)state;
    char why[256], want[PATH_MAX + 64];
    cfg_t *cfg = s_load_text("{\"data_dir\":\"data\",\"run_dir\":\"/run/ondc\","
                             "\"signing_private_key_file\":\"../keys/s.key\"}",
                             0, why, sizeof why);
    snprintf(want, sizeof want, "%s/data", s_dir);
    assert_string_equal(cfg->data_dir, want);
    assert_string_equal(cfg->run_dir, "/run/ondc"); /* absolute: as written */
    snprintf(want, sizeof want, "%s/../keys/s.key", s_dir);
    assert_string_equal(cfg->signing_private_key_file, want);
    free(cfg);

    /* loaded through a relative path: still resolved against the real directory */
    char path[PATH_MAX], cwd[PATH_MAX];
    s_write("rel.json", "{\"data_dir\":\"d2\"}", path, sizeof path);
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(s_dir), 0);
    cfg = calloc(1, sizeof *cfg);
    int rc = cfg_load(cfg, "rel.json", why, sizeof why);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(rc, 0);
    snprintf(want, sizeof want, "%s/d2", s_dir);
    assert_string_equal(cfg->data_dir, want);
    free(cfg);
}

typedef struct {
    const char *text;
    const char *why_has[2]; /* substrings the reason must contain */
} err_case_t;

static const err_case_t s_err_cases[] = {
    {"{\"max_body_bytes\":10}", {"max_body_bytes", "out of bounds"}},
    {"{\"max_body_bytes\":67108865}", {"max_body_bytes", "out of bounds"}},
    {"{\"max_body_bytes\":\"1024\"}", {"max_body_bytes", "wrong type"}},
    {"{\"max_body_bytes\":\"1024\"}", {"expected an integer", "got a string"}},
    {"{\"verify_signatures\":1}", {"verify_signatures", "expected a boolean"}},
    {"{\"domains\":{}}", {"expected a list of strings", "got an object"}},
    {"{\"listen\":true}", {"listen: wrong type", "expected a string, got a boolean"}},
    /* a key not in the table is refused, with the nearest known key */
    {"{\"lisen\":\"127.0.0.1:9000\"}", {"lisen: unknown key", "did you mean \"listen\"?"}},
    {"{\"workers\":{\"ordr\":2}}", {"workers.ordr: unknown key", "\"workers.order\""}},
    {"{\"worker\":{\"order\":2}}", {"worker: unknown key", "\"workers\""}},
    {"{\"registry\":{\"url\":\"x\",\"timeout\":5}}", {"registry.timeout: unknown", "registry.timeout_ms"}},
    {"{\"zzzz_nothing_like_it\":1}", {"zzzz_nothing_like_it: unknown key", NULL}},
    /* listen: a host:port this machine can take */
    {"{\"listen\":\"127.0.0.1:99999\"}", {"listen: \"127.0.0.1:99999\" is not host:port", "1..65535"}},
    {"{\"listen\":\"127.0.0.1:0\"}", {"listen", "1..65535"}},
    {"{\"admin_listen\":\"127.0.0.1:80a\"}", {"admin_listen", "host:port"}},
    {"{\"listen\":\"no-such-host:8080\"}", {"listen", "IPv4 address"}},
    {"{\"max_body_bytes\":1024.5}", {"max_body_bytes", "wrong type"}},
    {"{\"listen\":5}", {"listen", "wrong type"}},
    {"{\"verify_signatures\":\"yes\"}", {"verify_signatures", "wrong type"}},
    {"{\"journal_sync\":\"sometimes\"}", {"journal_sync", "sometimes"}},
    {"{\"log_level\":\"verbose\"}", {"log_level", "verbose"}},
    {"{\"domains\":[\"ONDC:RET10\",5]}", {"domains[1]", NULL}},
    {"{\"domains\":\"ONDC:RET10\"}", {"domains", "wrong type"}},
    {"{\"cities\":[]}", {"cities", NULL}},
    {"{\"workers\":{\"order\":0}}", {"workers.order", "out of bounds"}},
    {"{\"workers\":{\"order\":\"3\"}}", {"workers.order", "wrong type"}},
    {"{\"registry\":{\"timeout_ms\":1}}", {"registry.timeout_ms", "out of bounds"}},
    {"{\"listen\":\"127.0.0.1:9000\",\n\"listen\":\"127.0.0.1:9001\"}", {"duplicate", "listen"}},
    {"{\"listen\":\"8080\"}", {"listen", "host:port"}},
    {"{\"listen\":\"127.0.0.1:8081\"}", {"admin_listen", "differ"}},
    {"{\"admin_listen\":\"127.0.0.1:8080\"}", {"admin_listen", "differ"}},
    {"{\"subscriber_id\":\"\"}", {"subscriber_id", NULL}},
    {"[1,2]", {"ondc.json", "object"}},
    {"\"text\"", {"ondc.json", NULL}},
    {"{", {"ondc.json", NULL}},
    {"", {"ondc.json", NULL}},
};

static void test_errors_name_the_key(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(s_err_cases); i++) {
        char why[512];
        cfg_t *cfg = s_load_text(s_err_cases[i].text, -1, why, sizeof why);
        free(cfg);
        for (int j = 0; j < 2 && s_err_cases[i].why_has[j]; j++)
            if (!strstr(why, s_err_cases[i].why_has[j]))
                fail_msg("cfg_load(%s): reason \"%s\" does not name \"%s\"", s_err_cases[i].text,
                         why, s_err_cases[i].why_has[j]);
    }
}

static void test_too_long_values(void **state)
{
    (void)state;
    char text[2048], longv[700], why[512];
    memset(longv, 'a', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    snprintf(text, sizeof text, "{\"subscriber_id\":\"%s\"}", longv);
    free(s_load_text(text, -1, why, sizeof why));
    assert_non_null(strstr(why, "subscriber_id"));
    /* a list entry longer than 63 characters */
    snprintf(text, sizeof text, "{\"domains\":[\"%.70s\"]}", longv);
    free(s_load_text(text, -1, why, sizeof why));
    assert_non_null(strstr(why, "domains[0]"));
    /* a run_dir too long for an ipc socket path */
    snprintf(text, sizeof text, "{\"run_dir\":\"/%.120s\"}", longv);
    free(s_load_text(text, -1, why, sizeof why));
    assert_non_null(strstr(why, "run_dir"));
}

static void test_missing_file(void **state)
{
    (void)state;
    char path[PATH_MAX + 32], why[512];
    snprintf(path, sizeof path, "%s/does-not-exist.json", s_dir);
    cfg_t *cfg = calloc(1, sizeof *cfg);
    assert_int_equal(cfg_load(cfg, path, why, sizeof why), -1);
    assert_non_null(strstr(why, path));
    assert_non_null(strstr(why, "cannot open"));
    free(cfg);
}

/* s_start_check - write TEXT as ondc.json, load it (must load) and run
 * cfg_check_start; returns its result, the reason in WHY. */
static int s_start_check(const char *text, char *why, size_t whylen)
{
    cfg_t *cfg = s_load_text(text, 0, why, whylen);
    why[0] = '\0';
    int rc = cfg_check_start(cfg, why, whylen);
    free(cfg);
    return rc;
}

/* test_check_start - what the keys name: each refusal names the key, the
 * path and the errno; a config whose files are all in place passes.
 * Tried: the shipped placeholder identity (subscriber_id, bpp_uri), a
 * missing signing key, a key file that is a folder, a secret readable by
 * others, a data_dir that is a file, a data_dir under a file, a listen host
 * that is not an address of this machine. */
static void test_check_start(void **state)
{
    (void)state;
    char why[512], path[PATH_MAX];
    snprintf(path, sizeof path, "%s/keys", s_dir);
    assert_int_equal(mkdir(path, 0700) == 0 || errno == EEXIST, 1);
    s_write("keys/signing.key", "x\n", path, sizeof path);
    chmod(path, 0600);
    s_write("keys/encryption.key", "x\n", path, sizeof path);
    chmod(path, 0600);
    s_write("not-a-dir", "x", path, sizeof path);
    const char *good = "{\"subscriber_id\":\"seller.shop.test\",\"bpp_uri\":\"https://seller.shop.test/ondc\","
                       "\"data_dir\":\"data\",\"run_dir\":\"run\"}";
    if (s_start_check(good, why, sizeof why) != 0)
        fail_msg("a good config is refused: %s", why);
    const struct {
        const char *text;
        const char *why_has[3];
    } cases[] = {
        {"{\"subscriber_id\":\"seller.example.com\"}", {"subscriber_id", "placeholder", "ondc.json"}},
        {"{\"subscriber_id\":\"shop.example\"}", {"subscriber_id", "placeholder", NULL}},
        {"{\"subscriber_id\":\"shop.test\",\"bpp_uri\":\"https://seller.example.org/x\"}",
         {"bpp_uri", "placeholder", NULL}},
        {"{\"subscriber_id\":\"shop.test\",\"bpp_uri\":\"ftp://x\"}", {"bpp_uri", "URL", NULL}},
        {"{\"subscriber_id\":\"shop.test\",\"signing_private_key_file\":\"keys/none.key\"}",
         {"signing_private_key_file", "none.key", "(ENOENT)"}},
        {"{\"subscriber_id\":\"shop.test\",\"signing_private_key_file\":\"keys\"}",
         {"signing_private_key_file", "not a regular file", NULL}},
        {"{\"subscriber_id\":\"shop.test\",\"admin_token_file\":\"not-a-dir\"}",
         {"admin_token_file", "mode 0644", "chmod 600"}},
        {"{\"subscriber_id\":\"shop.test\",\"registry\":{\"file\":\"not-a-dir/reg.json\"}}",
         {"registry.file", "(ENOTDIR)", NULL}},
        {"{\"subscriber_id\":\"shop.test\",\"data_dir\":\"not-a-dir\"}", {"data_dir", "not a directory", NULL}},
        {"{\"subscriber_id\":\"shop.test\",\"data_dir\":\"not-a-dir/data\"}", {"data_dir", "(ENOTDIR)", NULL}},
        {"{\"subscriber_id\":\"shop.test\",\"run_dir\":\"not-a-dir/run\"}", {"run_dir", "(ENOTDIR)", NULL}},
        {"{\"subscriber_id\":\"shop.test\",\"listen\":\"192.0.2.1:8080\"}",
         {"listen", "not an address of this machine", "(EADDRNOTAVAIL)"}},
    };
    chmod(path, 0644); /* not-a-dir, as a secret: readable by others */
    for (size_t i = 0; i < N(cases); i++) {
        if (s_start_check(cases[i].text, why, sizeof why) != -1)
            fail_msg("cfg_check_start(%s) passed", cases[i].text);
        for (int j = 0; j < 3 && cases[i].why_has[j]; j++)
            if (!strstr(why, cases[i].why_has[j]))
                fail_msg("cfg_check_start(%s): reason \"%s\" does not name \"%s\"", cases[i].text,
                         why, cases[i].why_has[j]);
    }
}

static void test_nested_keys(void **state)
{
    (void)state;
    char why[256], want[PATH_MAX + 64];
    cfg_t *cfg = s_load_text("{\"registry\":{\"file\":\"reg.json\",\"cache_max_s\":60},"
                             "\"workers\":{\"order\":3,\"post-fulfillment\":2},"
                             "\"callback\":{\"timeout_ms\":2500},"
                             "\"seller\":{\"auto_accept\":true},"
                             "\"endpoints\":{\"order\":\"tcp://127.0.0.1:7001\"},"
                             "\"domains\":[\"ONDC:RET10\"],\"cities\":[\"std:080\",\"std:011\"],"
                             "\"journal_sync\":\"nosync\"}",
                             0, why, sizeof why);
    snprintf(want, sizeof want, "%s/reg.json", s_dir);
    assert_string_equal(cfg->registry_file, want);
    assert_int_equal(cfg->registry_cache_max_s, 60);
    assert_int_equal(cfg->workers[FAMILY_ORDER], 3);
    assert_int_equal(cfg->workers[FAMILY_POST], 2);
    assert_int_equal(cfg->workers[FAMILY_DISCOVERY], 1);
    assert_int_equal(cfg->callback_timeout_ms, 2500);
    assert_int_equal(cfg->auto_accept, 1);
    assert_string_equal(cfg->ep_family[FAMILY_ORDER], "tcp://127.0.0.1:7001");
    assert_int_equal(cfg->domains.n, 1);
    assert_string_equal(cfg->domains.v[0], "ONDC:RET10");
    assert_int_equal(cfg->cities.n, 2);
    assert_string_equal(cfg->cities.v[1], "std:011");
    assert_string_equal(cfg->journal_sync, "nosync");
    free(cfg);

    /* null means "the default" */
    cfg = s_load_text("{\"listen\":null,\"workers\":{\"order\":null}}", 0, why, sizeof why);
    assert_string_equal(cfg->listen, "127.0.0.1:8080");
    assert_int_equal(cfg->workers[FAMILY_ORDER], 1);
    free(cfg);
}

static void test_derived_endpoints(void **state)
{
    (void)state;
    char why[256], want[PATH_MAX + 64];
    cfg_t *cfg = s_load_text(
        "{\"run_dir\":\"run\",\"endpoints\":{\"callback\":\"ipc:///x/cb.sock\"}}", 0, why,
        sizeof why);
    snprintf(want, sizeof want, "ipc://%s/run/dispatcher.sock", s_dir);
    assert_string_equal(cfg->ep_dispatcher, want);
    static const char *fam[FAMILY_COUNT] = {"discovery", "order", "fulfillment",
                                            "post-fulfillment", "buyer", "gateway"};
    for (int f = 0; f < FAMILY_COUNT; f++) {
        snprintf(want, sizeof want, "ipc://%s/run/%s.sock", s_dir, fam[f]);
        assert_string_equal(cfg->ep_family[f], want);
    }
    assert_string_equal(cfg->ep_callback, "ipc:///x/cb.sock"); /* explicit: kept */
    free(cfg);
}

static void test_reload(void **state)
{
    (void)state;
    char path[PATH_MAX], why[256];
    s_write("reload.json",
            "{\"log_level\":\"info\",\"listen\":\"127.0.0.1:9000\",\"backlog_limit\":100,"
            "\"workers\":{\"order\":2}}",
            path, sizeof path);
    cfg_t *cfg = calloc(1, sizeof *cfg);
    assert_int_equal(cfg_load(cfg, path, why, sizeof why), 0);
    assert_string_equal(cfg->log_level, "info");

    s_write("reload.json",
            "{\"log_level\":\"debug\",\"listen\":\"127.0.0.1:9001\",\"backlog_limit\":200,"
            "\"workers\":{\"order\":5}}",
            path, sizeof path);
    assert_int_equal(cfg_reload(cfg, why, sizeof why), 0);
    assert_string_equal(cfg->log_level, "debug");          /* reloadable */
    assert_int_equal(cfg->backlog_limit, 200);             /* reloadable */
    assert_string_equal(cfg->listen, "127.0.0.1:9000");    /* needs a restart */
    assert_int_equal(cfg->workers[FAMILY_ORDER], 2);       /* needs a restart */

    /* a broken file: refused, nothing changes */
    s_write("reload.json", "{\"log_level\":\"loud\"}", path, sizeof path);
    assert_int_equal(cfg_reload(cfg, why, sizeof why), -1);
    assert_non_null(strstr(why, "log_level"));
    assert_string_equal(cfg->log_level, "debug");
    assert_int_equal(cfg->backlog_limit, 200);

    /* the file gone */
    assert_int_equal(unlink(path), 0);
    assert_int_equal(cfg_reload(cfg, why, sizeof why), -1);
    assert_string_equal(cfg->log_level, "debug");
    free(cfg);
}

static void test_family(void **state)
{
    (void)state;
    static const struct {
        family_t f;
        const char *name;
    } cases[] = {
        {FAMILY_DISCOVERY, "discovery"},
        {FAMILY_ORDER, "order"},
        {FAMILY_FULFILLMENT, "fulfillment"},
        {FAMILY_POST, "post-fulfillment"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        assert_string_equal(cfg_family_name(cases[i].f), cases[i].name);
        assert_int_equal(cfg_family_parse(cases[i].name), cases[i].f);
    }
    assert_string_equal(cfg_family_name(FAMILY_COUNT), "?");
    assert_int_equal(cfg_family_parse("post"), -1);
    assert_int_equal(cfg_family_parse("Order"), -1);
    assert_int_equal(cfg_family_parse(""), -1);
    assert_int_equal(cfg_family_parse(NULL), -1);
}

/* roles: seller by default; a buyer role's identity falls back on the
 * node's, its own when set; an unknown role or a client_listen on the
 * network listener is refused, naming the key */
static void test_roles(void **state)
{
    (void)state;
    char why[256];
    cfg_t *cfg = s_load_text("{}", 0, why, sizeof why);
    assert_true(cfg_has_role(cfg, "seller"));
    assert_false(cfg_has_role(cfg, "buyer"));
    assert_string_equal(cfg->buyer_subscriber_id, cfg->subscriber_id);
    assert_string_equal(cfg->bap_uri, cfg->bpp_uri);
    free(cfg);
    cfg = s_load_text("{\"roles\":[\"buyer\",\"gateway\"],\"buyer\":{\"subscriber_id\":\"b.x\"},"
                      "\"bap_uri\":\"http://b.x\"}", 0, why, sizeof why);
    assert_true(cfg_has_role(cfg, "buyer") && cfg_has_role(cfg, "gateway"));
    assert_false(cfg_has_role(cfg, "seller"));
    assert_string_equal(cfg->buyer_subscriber_id, "b.x");
    assert_string_equal(cfg->gateway_subscriber_id, cfg->subscriber_id);
    assert_string_equal(cfg->bap_uri, "http://b.x");
    free(cfg);
    cfg = s_load_text("{\"roles\":[\"shopper\"]}", -1, why, sizeof why);
    assert_non_null(strstr(why, "roles[0]"));
    free(cfg);
    cfg = s_load_text("{\"roles\":[]}", -1, why, sizeof why);
    assert_non_null(strstr(why, "roles"));
    free(cfg);
    cfg = s_load_text("{\"roles\":[\"buyer\"],\"listen\":\"127.0.0.1:9\",\"client_listen\":\"127.0.0.1:9\"}",
                      -1, why, sizeof why);
    assert_non_null(strstr(why, "client_listen"));
    free(cfg);
}

static void test_list_has(void **state)
{
    (void)state;
    cfg_list_t l = {.n = 2};
    strcpy(l.v[0], "std:080");
    strcpy(l.v[1], "std:011");
    assert_int_equal(cfg_list_has(&l, "std:080", 0), 1);
    assert_int_equal(cfg_list_has(&l, "std:011", 1), 1);
    assert_int_equal(cfg_list_has(&l, "std:022", 1), 0);
    assert_int_equal(cfg_list_has(&l, NULL, 0), 0);
    strcpy(l.v[1], "*");
    assert_int_equal(cfg_list_has(&l, "std:022", 1), 1); /* star matches */
    assert_int_equal(cfg_list_has(&l, "std:022", 0), 0); /* unless told not to */
    assert_int_equal(cfg_list_has(&l, "*", 0), 1);
    cfg_list_t empty = {.n = 0};
    assert_int_equal(cfg_list_has(&empty, "x", 1), 0);
}

static void test_dump_and_reference(void **state)
{
    (void)state;
    char why[256];
    cfg_t *cfg = s_load_text("{\"workers\":{\"order\":4},\"domains\":[\"ONDC:RET10\"]}", 0, why,
                             sizeof why);
    char *text = cfg_dump_json(cfg);
    assert_non_null(text);
    json_t *root = json_loads(text, 0, NULL);
    free(text);
    assert_non_null(root);
    assert_string_equal(json_string_value(json_object_get(root, "listen")), "127.0.0.1:8080");
    assert_int_equal(json_integer_value(json_object_get(root, "workers.order")), 4);
    assert_true(json_is_true(json_object_get(root, "verify_signatures")));
    json_t *d = json_object_get(root, "domains");
    assert_int_equal(json_array_size(d), 1);
    assert_string_equal(json_string_value(json_array_get(d, 0)), "ONDC:RET10");
    json_decref(root);
    free(cfg);

    char *ref = NULL;
    size_t reflen = 0;
    FILE *f = open_memstream(&ref, &reflen);
    assert_non_null(f);
    cfg_print_reference(f);
    fclose(f);
    assert_non_null(strstr(ref, "| key | type | default | bounds | reload | meaning |"));
    assert_non_null(strstr(ref, "| `listen` | string | `127.0.0.1:8080` |"));
    assert_non_null(strstr(ref, "| `max_body_bytes` | integer | `1048576` | 1024..67108864 | no |"));
    assert_non_null(strstr(ref, "| `log_level` | string | `info` | debug \\| info \\| warn \\| error \\| fatal | yes |"));
    free(ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_object_defaults),
        cmocka_unit_test(test_defaults_without_file),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_errors_name_the_key),
        cmocka_unit_test(test_too_long_values),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_nested_keys),
        cmocka_unit_test(test_check_start),
        cmocka_unit_test(test_derived_endpoints),
        cmocka_unit_test(test_reload),
        cmocka_unit_test(test_family),
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_list_has),
        cmocka_unit_test(test_dump_and_reference),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
