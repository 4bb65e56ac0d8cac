/*
 * ondcctl.c - the operator's command line: entry point and helpers.
 *
 *   ondcctl [--config FILE] COMMAND ...
 *
 * Commands: keygen, sign, verify, send, listen, catalog import, journal
 * list|show, outbox list|show|retry, dead list|retry, replay, store usage|prune, load,
 * buy, console-user, config-dump, config-doc, state-doc.
 */
#include "ondcctl.h"

#include "log.h"
#include "order.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef ONDC_VERSION
#define ONDC_VERSION "unknown"
#endif

static const char *s_usage =
    "usage: ondcctl [--config FILE] COMMAND ...\n"
    "       ondcctl --version | help\n"
    "  keygen [--dir DIR]                      make signing + encryption key pairs\n"
    "  sign --key FILE --subscriber S --ukid K [--created T] [--expires T] BODYFILE\n"
    "  sign --key FILE --message TEXT          detached Ed25519 signature of TEXT\n"
    "  verify (--public-key B64 | --registry FILE) --header VALUE [--now T] BODYFILE\n"
    "  verify --public-key B64 --signature B64 (--message TEXT | FILE)\n"
    "  send FILE URL [--key F --subscriber S --ukid K] [--bap-id ID] [--bap-uri URI]\n"
    "       [--keep-ids] [--keep-txn]        post a payload (fresh ids and timestamp)\n"
    "  listen PORT [--host ADDR] [--out FILE] [--registry FILE]\n"
    "                                          a buyer-app callback endpoint (127.0.0.1 unless --host)\n"
    "  catalog import FILE [--upsert]          load the seller's catalog\n"
    "  console-user NAME                       a console.users_file line (password on stdin)\n"
    "  journal list [--transaction T] [--message M] [--action A] [--since T] [--until T] [--state S]\n"
    "  journal show ID\n"
    "  outbox list [--status pending|delivered|nacked|dead]\n"
    "  outbox show ID | outbox retry ID\n"
    "  dead list | dead retry ID               dead letters\n"
    "  replay (ID | --transaction T | --since T --until T) [--from CONFIG [--bap-uri URI]]\n"
    "  store usage [--json]                    entries, pages and bytes per database; free pages\n"
    "  store prune [--age S]                   a retention pass now (rows older than S s, default retention_s)\n"
    "  load --url URL TEMPLATE [--rate R] [--seconds S] [--key F ...] [--out FILE]  signed load\n"
    "  buy search|select|init|confirm|status|cancel|show ...\n"
    "                                          buy through a buyer fleet's client API (buy help)\n"
    "  config-dump                             the effective config (every key) as JSON\n"
    "  config-doc                              print the configuration reference\n"
    "  state-doc                               print the order state table\n"
    "  help                                    this text\n";

cfg_t *ctl_need_config(ctl_t *ctl)
{
    if (ctl->have_cfg)
        return &ctl->cfg;
    if (!ctl->config_path) {
        fprintf(stderr, "ondcctl: this command needs --config FILE\n");
        exit(64);
    }
    char why[512];
    if (cfg_load(&ctl->cfg, ctl->config_path, why, sizeof why) < 0) {
        fprintf(stderr, "ondcctl: config: %s\n", why);
        exit(78);
    }
    ctl->have_cfg = 1;
    return &ctl->cfg;
}

char *ctl_read_file(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    size_t r;
    while (buf && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (n + 1 == cap) {
            cap *= 2;
            char *b = realloc(buf, cap);
            if (!b) {
                free(buf);
                buf = NULL;
            }
            buf = b;
        }
    }
    if (f != stdin)
        fclose(f);
    if (buf)
        buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

const char *ctl_opt(int argc, char **argv, const char *name)
{
    for (int i = 0; i + 1 < argc; i++)
        if (strncmp(argv[i], "--", 2) == 0 && strcmp(argv[i] + 2, name) == 0)
            return argv[i + 1];
    return NULL;
}

int ctl_flag(int argc, char **argv, const char *name)
{
    for (int i = 0; i < argc; i++)
        if (strncmp(argv[i], "--", 2) == 0 && strcmp(argv[i] + 2, name) == 0)
            return 1;
    return 0;
}

/* options that take no value */
static int s_is_flag(const char *a)
{
    static const char *flags[] = {"--upsert", "--keep-ids", "--keep-txn", "--json", NULL};
    for (int i = 0; flags[i]; i++)
        if (strcmp(a, flags[i]) == 0)
            return 1;
    return 0;
}

const char *ctl_positional(int argc, char **argv, int n)
{
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) == 0) {
            if (!s_is_flag(argv[i]))
                i++;
            continue;
        }
        if (n-- == 0)
            return argv[i];
    }
    return NULL;
}

int ctl_args(const char *cmd, int argc, char **argv, const char *const *opts, int min_pos,
             int max_pos)
{
    int npos = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0) {
            npos++;
            continue;
        }
        const char *name = a + 2;
        int known = 0, valued = 0;
        for (int j = 0; opts && opts[j]; j++) {
            size_t n = strcspn(opts[j], "=");
            if (strlen(name) == n && strncmp(opts[j], name, n) == 0) {
                known = 1;
                valued = opts[j][n] == '=';
                break;
            }
        }
        if (!known || valued != !s_is_flag(a)) {
            fprintf(stderr, "ondcctl %s: unknown option %s", cmd, a);
            for (int j = 0; opts && opts[j]; j++)
                fprintf(stderr, "%s--%.*s", j ? ", " : " (known: ", (int)strcspn(opts[j], "="),
                        opts[j]);
            fprintf(stderr, "%s\n", opts && opts[0] ? ")" : " (it takes none)");
            return 64;
        }
        if (valued && (i + 1 >= argc)) {
            fprintf(stderr, "ondcctl %s: %s needs a value\n", cmd, a);
            return 64;
        }
        for (int k = 0; k < i; k++)
            if (strcmp(argv[k], a) == 0) {
                fprintf(stderr, "ondcctl %s: %s given twice\n", cmd, a);
                return 64;
            }
        i += valued;
    }
    if (npos < min_pos || npos > max_pos) {
        fprintf(stderr, "ondcctl %s: %s argument%s (see ondcctl help)\n", cmd,
                npos < min_pos ? "missing" : "too many", npos < min_pos ? "" : "s");
        return 64;
    }
    return 0;
}

int ctl_id(const char *what, const char *text, uint64_t *id)
{
    char *end = NULL;
    unsigned long long v = 0;
    if (text && *text >= '0' && *text <= '9') {
        errno = 0;
        v = strtoull(text, &end, 10);
    }
    if (!text || !end || *end || v == 0 || errno) {
        fprintf(stderr, "ondcctl: %s: \"%s\" is not a row id (a number from 1)\n", what,
                text ? text : "");
        return -1;
    }
    *id = v;
    return 0;
}

/* s_state_doc - the order state table (order_states, order_transition_ok,
 * order_state_for) as a markdown table: every state of each kind, the
 * states it may change to, and for a fulfillment the order state it
 * implies. */
static void s_state_doc(FILE *f)
{
    static const struct {
        order_kind_t kind;
        const char *name;
    } kinds[] = {{ORDER_KIND_ORDER, "order"},
                 {ORDER_KIND_FULFILLMENT, "fulfillment"},
                 {ORDER_KIND_RETURN, "return"}};
    static const char accepted[] = "accepted";
    fprintf(f, "| kind | state | may change to | order state |\n");
    fprintf(f, "| --- | --- | --- | --- |\n");
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        const char *const *st = order_states(kinds[k].kind);
        for (size_t i = 0; st[i]; i++) {
            fprintf(f, "| %s | `%s` | ", kinds[k].name, st[i]);
            int n = 0;
            for (size_t j = 0; st[j]; j++)
                if (order_transition_ok(kinds[k].kind, st[i], st[j]))
                    fprintf(f, "%s`%s`", n++ ? ", " : "", st[j]);
            if (n == 0)
                fprintf(f, "(final)");
            fprintf(f, " | ");
            if (kinds[k].kind == ORDER_KIND_FULFILLMENT) {
                const char *os = order_state_for(st[i], accepted);
                if (os == accepted)
                    fprintf(f, "`Created`, `Accepted` once accepted");
                else if (os)
                    fprintf(f, "`%s`", os);
            }
            fprintf(f, " |\n");
        }
    }
}

int main(int argc, char **argv)
{
    ctl_t ctl = {0};
    log_open("ondcctl");
    log_set_level(LOG_WARN);
    int i = 1;
    while (i < argc && strncmp(argv[i], "--", 2) == 0) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            ctl.config_path = argv[i + 1];
            i += 2;
        } else if (strcmp(argv[i], "--help") == 0) {
            fputs(s_usage, stdout);
            return 0;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("ondcctl %s\n", ONDC_VERSION);
            return 0;
        } else {
            break;
        }
    }
    if (i >= argc) {
        fputs(s_usage, stderr);
        return 64;
    }
    const char *cmd = argv[i];
    int sub_argc = argc - i - 1;
    char **sub_argv = argv + i + 1;
    if (strcmp(cmd, "keygen") == 0)
        return ctl_keygen(&ctl, sub_argc, sub_argv);
    if (strcmp(cmd, "console-user") == 0)
        return ctl_console_user(&ctl, sub_argc, sub_argv);
    if (strcmp(cmd, "sign") == 0)
        return ctl_sign(&ctl, sub_argc, sub_argv);
    if (strcmp(cmd, "verify") == 0)
        return ctl_verify(&ctl, sub_argc, sub_argv);
    if (strcmp(cmd, "send") == 0)
        return ctl_send(&ctl, sub_argc, sub_argv);
    if (strcmp(cmd, "listen") == 0)
        return ctl_listen(&ctl, sub_argc, sub_argv);
    if (strcmp(cmd, "catalog") == 0)
        return ctl_catalog(&ctl, sub_argc, sub_argv);
    if (strcmp(cmd, "journal") == 0)
        return ctl_journal(&ctl, sub_argc, sub_argv);
    if (strcmp(cmd, "outbox") == 0 || strcmp(cmd, "dead") == 0)
        return ctl_outbox(&ctl, argc - i, argv + i);
    if (strcmp(cmd, "replay") == 0)
        return ctl_replay(&ctl, sub_argc, sub_argv);
    if (strcmp(cmd, "store") == 0)
        return ctl_store(&ctl, sub_argc, sub_argv);
    if (strcmp(cmd, "load") == 0)
        return ctl_load(&ctl, sub_argc, sub_argv);
    if (strcmp(cmd, "buy") == 0)
        return ctl_buy(&ctl, sub_argc, sub_argv);
    static const char *const none[] = {NULL};
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "version") == 0 || strcmp(cmd, "config-dump") == 0 ||
        strcmp(cmd, "config-doc") == 0 || strcmp(cmd, "state-doc") == 0) {
        int rc = ctl_args(cmd, sub_argc, sub_argv, none, 0, 0);
        if (rc)
            return rc;
    }
    if (strcmp(cmd, "help") == 0) {
        fputs(s_usage, stdout);
        return 0;
    }
    if (strcmp(cmd, "version") == 0) {
        printf("ondcctl %s\n", ONDC_VERSION);
        return 0;
    }
    if (strcmp(cmd, "config-dump") == 0) {
        char *text = cfg_dump_json(ctl_need_config(&ctl));
        printf("%s\n", text);
        free(text);
        return 0;
    }
    if (strcmp(cmd, "config-doc") == 0) {
        cfg_print_reference(stdout);
        return 0;
    }
    if (strcmp(cmd, "state-doc") == 0) {
        s_state_doc(stdout);
        return 0;
    }
    fprintf(stderr, "ondcctl: unknown %s %s\n%s", strncmp(cmd, "--", 2) == 0 ? "option" : "command",
            cmd, s_usage);
    return 64;
}
