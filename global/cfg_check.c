/*
 * cfg_check.c - what a start needs of the machine, checked before it
 * starts (and by --check-config). See cfg.h.
 *
 * cfg_load checks the file itself (types, bounds, unknown keys, host:port
 * syntax); this looks at what the keys name: the identity is not the
 * shipped placeholder, each key file can be read by this user and a secret by
 * no one else, data_dir and run_dir exist or can be made and
 * are writable, each listen host is an address of this machine and its
 * port may be bound by this user. Nothing here binds a real port: a check
 * run while the fleet is up (systemd's ExecStartPre of one unit) must not
 * take a port another process of the fleet is about to bind.
 */
#include "cfg.h"

#include "url.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* s_errno - "No such file or directory (ENOENT)" for E, into BUF. */
static const char *s_errno(int e, char *buf, size_t size)
{
    const char *name = strerrorname_np(e);
    snprintf(buf, size, "%s (%s)", strerror(e), name ? name : "?");
    return buf;
}

/* s_host_placeholder - whether HOST is a name reserved for examples
 * (RFC 2606: example.com, example.net, example.org and names under them,
 * the .example and .invalid top-level domains). */
static int s_host_placeholder(const char *host, size_t n)
{
    static const char *const tails[] = {"example.com", "example.net", "example.org", "example",
                                        "invalid"};
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        size_t t = strlen(tails[i]);
        if (n == t && strncasecmp(host, tails[i], t) == 0)
            return 1;
        if (n > t && host[n - t - 1] == '.' && strncasecmp(host + n - t, tails[i], t) == 0)
            return 1;
    }
    return 0;
}

/* s_check_identity - the shipped config names a placeholder identity
 * (seller.example.com): a node started with it would sign callbacks as a
 * subscriber nobody registered. */
static int s_check_identity(const cfg_t *cfg, char *why, size_t whylen)
{
    const char *sub = cfg->subscriber_id;
    if (s_host_placeholder(sub, strlen(sub))) {
        snprintf(why, whylen,
                 "subscriber_id: \"%s\" is a placeholder: set subscriber_id, bpp_uri and "
                 "unique_key_id in %s to the identity registered with the ONDC registry",
                 sub, cfg->config_path);
        return -1;
    }
    url_t u;
    if (url_parse(cfg->bpp_uri, &u) < 0) {
        snprintf(why, whylen, "bpp_uri: \"%s\" is not an http(s) URL", cfg->bpp_uri);
        return -1;
    }
    if (s_host_placeholder(u.host, strlen(u.host))) {
        snprintf(why, whylen,
                 "bpp_uri: \"%s\" is a placeholder: set bpp_uri in %s to this node's public URL",
                 cfg->bpp_uri, cfg->config_path);
        return -1;
    }
    return 0;
}

/* s_check_file - KEY's file PATH opens for reading; when SECRET, it is not
 * readable by every user. EMPTY_OK: an empty PATH means "not used". */
static int s_check_file(const char *key, const char *path, int secret, int empty_ok, char *why,
                        size_t whylen)
{
    char eb[128];
    if (!path[0]) {
        if (empty_ok)
            return 0;
        snprintf(why, whylen, "%s: must name a file", key);
        return -1;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, whylen, "%s: %s: cannot read: %s", key, path, s_errno(errno, eb, sizeof eb));
        return -1;
    }
    struct stat st;
    int rc = fstat(fd, &st);
    close(fd);
    if (rc < 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, whylen, "%s: %s: not a regular file", key, path);
        return -1;
    }
    if (secret && (st.st_mode & 077)) {
        snprintf(why, whylen, "%s: %s: mode %04o: readable by group or others: chmod 600 %s",
                 key, path,
                 (unsigned)(st.st_mode & 07777), path);
        return -1;
    }
    return 0;
}

/* s_check_dir - KEY's directory PATH is usable by this user: it exists and
 * is a writable directory, or the nearest existing folder above it is one
 * (the process makes it). FILES: files inside that must be writable when
 * present (the LMDB environment's). */
static int s_check_dir(const char *key, const char *path, const char *const *files, char *why,
                       size_t whylen)
{
    char eb[128], p[CFG_PATH_MAX];
    struct stat st;
    if (stat(path, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            snprintf(why, whylen, "%s: %s: not a directory", key, path);
            return -1;
        }
        if (access(path, R_OK | W_OK | X_OK) < 0) {
            snprintf(why, whylen, "%s: %s: not writable: %s", key, path,
                     s_errno(errno, eb, sizeof eb));
            return -1;
        }
        for (size_t i = 0; files && files[i]; i++) {
            snprintf(p, sizeof p, "%s/%s", path, files[i]);
            if (access(p, F_OK) == 0 && access(p, R_OK | W_OK) < 0) {
                snprintf(why, whylen, "%s: %s: not writable: %s", key, p,
                         s_errno(errno, eb, sizeof eb));
                return -1;
            }
        }
        return 0;
    }
    if (errno != ENOENT) {
        snprintf(why, whylen, "%s: %s: %s", key, path, s_errno(errno, eb, sizeof eb));
        return -1;
    }
    /* absent: the nearest existing folder above must take a new one */
    snprintf(p, sizeof p, "%s", path);
    for (;;) {
        char *slash = strrchr(p, '/');
        if (!slash)
            snprintf(p, sizeof p, ".");
        else if (slash == p)
            p[1] = '\0';
        else
            *slash = '\0';
        if (stat(p, &st) == 0)
            break;
        if (errno != ENOENT || strcmp(p, ".") == 0 || strcmp(p, "/") == 0) {
            snprintf(why, whylen, "%s: %s: %s", key, p, s_errno(errno, eb, sizeof eb));
            return -1;
        }
    }
    if (!S_ISDIR(st.st_mode) || access(p, W_OK | X_OK) < 0) {
        int e = S_ISDIR(st.st_mode) ? errno : ENOTDIR;
        snprintf(why, whylen, "%s: %s does not exist and cannot be made in %s: %s", key, path, p,
                 s_errno(e, eb, sizeof eb));
        return -1;
    }
    return 0;
}

/* s_low_port_limit - net.ipv4.ip_unprivileged_port_start: ports below it
 * need a privilege. */
static int s_low_port_limit(void)
{
    int limit = 1024;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "r");
    if (f) {
        if (fscanf(f, "%d", &limit) != 1)
            limit = 1024;
        fclose(f);
    }
    return limit;
}

/* s_may_bind_low - whether this process may bind such a port: root, or
 * CAP_NET_BIND_SERVICE. */
static int s_may_bind_low(void)
{
    if (geteuid() == 0)
        return 1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return 1;
    char line[256];
    unsigned long long eff = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "CapEff: %llx", &eff) == 1)
            break;
    fclose(f);
    return (eff >> 10) & 1; /* CAP_NET_BIND_SERVICE */
}

/* s_check_listen - KEY's host is an address of this machine (a bind of
 * port 0 there works) and its port one this user may bind. */
static int s_check_listen(const char *key, const char *hostport, char *why, size_t whylen)
{
    char eb[128];
    struct sockaddr_in sa;
    if (url_listen_addr(hostport, &sa) < 0)
        return 0; /* cfg_load refused it already */
    int port = ntohs(sa.sin_port);
    if (port < s_low_port_limit() && !s_may_bind_low()) {
        snprintf(why, whylen,
                 "%s: %s: port %d needs root or CAP_NET_BIND_SERVICE: %s (use a port from "
                 "1024, behind a reverse proxy)",
                 key, hostport, port, s_errno(EACCES, eb, sizeof eb));
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    sa.sin_port = 0;
    int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
    int e = errno;
    close(fd);
    if (rc < 0) {
        char host[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &sa.sin_addr, host, sizeof host);
        snprintf(why, whylen, "%s: %s: %s is not an address of this machine: %s", key, hostport,
                 host, s_errno(e, eb, sizeof eb));
        return -1;
    }
    return 0;
}

int cfg_check_start(const cfg_t *cfg, char *why, size_t whylen)
{
    static const char *const lmdb_files[] = {"data.mdb", "lock.mdb", NULL};
    if (s_check_identity(cfg, why, whylen) < 0 ||
        s_check_listen("listen", cfg->listen, why, whylen) < 0 ||
        s_check_listen("admin_listen", cfg->admin_listen, why, whylen) < 0 ||
        s_check_file("signing_private_key_file", cfg->signing_private_key_file, 1, 0, why,
                     whylen) < 0 ||
        s_check_file("encryption_private_key_file", cfg->encryption_private_key_file, 1, 1, why,
                     whylen) < 0 ||
        s_check_file("admin_token_file", cfg->admin_token_file, 1, 1, why, whylen) < 0 ||
        s_check_file("seller.webhook_secret_file", cfg->seller_webhook_secret_file, 1, 1, why,
                     whylen) < 0 ||
        s_check_file("console.users_file", cfg->console_users_file, 1, 1, why, whylen) < 0 ||
        s_check_file("registry.file", cfg->registry_file, 0, 1, why, whylen) < 0 ||
        s_check_dir("data_dir", cfg->data_dir, lmdb_files, why, whylen) < 0 ||
        s_check_dir("run_dir", cfg->run_dir, NULL, why, whylen) < 0)
        return -1;
    return 0;
}
