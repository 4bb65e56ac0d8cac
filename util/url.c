/*
 * url.c - http(s) URLs. See url.h.
 */
#include "url.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* s_bad_char - characters no callback URL holds */
static int s_bad_char(unsigned char c)
{
    return c <= 0x20 || c == 0x7f || c == '\\' || c == '?' || c == '#' || c == '@';
}

int url_parse(const char *text, url_t *out)
{
    if (!text || !out)
        return -1;
    memset(out, 0, sizeof *out);
    const char *p;
    if (strncasecmp(text, "https://", 8) == 0) {
        out->https = 1;
        p = text + 8;
    } else if (strncasecmp(text, "http://", 7) == 0) {
        p = text + 7;
    } else {
        return -1;
    }
    for (const char *c = p; *c; c++)
        if (s_bad_char((unsigned char)*c))
            return -1;
    const char *slash = strchr(p, '/');
    size_t authority = slash ? (size_t)(slash - p) : strlen(p);
    if (authority == 0)
        return -1;
    const char *host = p, *port = NULL;
    size_t host_len;
    if (*p == '[') {
        const char *end = memchr(p, ']', authority);
        if (!end || end == p + 1)
            return -1;
        host = p + 1;
        host_len = (size_t)(end - host);
        if (end + 1 < p + authority) {
            if (end[1] != ':')
                return -1;
            port = end + 2;
        }
        for (size_t i = 0; i < host_len; i++)
            if (!isxdigit((unsigned char)host[i]) && host[i] != ':' && host[i] != '.')
                return -1;
    } else {
        const char *colon = memchr(p, ':', authority);
        host_len = colon ? (size_t)(colon - p) : authority;
        if (colon)
            port = colon + 1;
        for (size_t i = 0; i < host_len; i++)
            if (!isalnum((unsigned char)host[i]) && host[i] != '-' && host[i] != '.')
                return -1;
    }
    if (host_len == 0 || host_len >= sizeof out->host)
        return -1;
    for (size_t i = 0; i < host_len; i++)
        out->host[i] = (char)tolower((unsigned char)host[i]);
    out->port = out->https ? 443 : 80;
    if (port) {
        size_t n = (size_t)(p + authority - port);
        if (n == 0 || n > 5)
            return -1;
        int v = 0;
        for (size_t i = 0; i < n; i++) {
            if (port[i] < '0' || port[i] > '9')
                return -1;
            v = v * 10 + (port[i] - '0');
        }
        if (v < 1 || v > 65535)
            return -1;
        out->port = v;
    }
    const char *path = slash ? slash : "/";
    if (strlen(path) >= sizeof out->path)
        return -1;
    snprintf(out->path, sizeof out->path, "%s", path);
    return 0;
}

int url_under(const char *url, const char *base)
{
    url_t u, b;
    if (url_parse(url, &u) < 0 || url_parse(base, &b) < 0)
        return 0;
    if (u.https != b.https || u.port != b.port || strcmp(u.host, b.host) != 0)
        return 0;
    size_t n = strlen(b.path);
    while (n > 1 && b.path[n - 1] == '/')
        n--; /* "/ondc/" covers what "/ondc" covers */
    if (n == 1)
        return 1; /* the base is the host's root */
    if (strncmp(u.path, b.path, n) != 0)
        return 0;
    return u.path[n] == '\0' || u.path[n] == '/';
}

int url_listen_addr(const char *hostport, struct sockaddr_in *sa)
{
    char host[128];
    if (!hostport || strlen(hostport) >= sizeof host)
        return -1;
    snprintf(host, sizeof host, "%s", hostport);
    char *colon = strrchr(host, ':');
    if (!colon)
        return -1;
    *colon = '\0';
    const char *port = colon + 1;
    size_t n = strlen(port);
    if (n == 0 || n > 5)
        return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (port[i] < '0' || port[i] > '9')
            return -1;
        v = v * 10 + (port[i] - '0');
    }
    if (v > 65535)
        return -1;
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)v);
    if (!host[0] || strcmp(host, "*") == 0 || strcmp(host, "0.0.0.0") == 0)
        sa->sin_addr.s_addr = htonl(INADDR_ANY);
    else if (strcmp(host, "localhost") == 0)
        sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    else if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
        return -1;
    return 0;
}

/* s_v4_internal - the IPv4 address A (host order) */
static int s_v4_internal(uint32_t a)
{
    return (a >> 24) == 0 ||                  /* 0/8: this network */
           (a >> 24) == 10 ||                 /* 10/8 */
           (a >> 24) == 127 ||                /* loopback */
           (a >> 22) == (100u << 2 | 1) ||    /* 100.64/10: shared address space */
           (a >> 16) == (169u << 8 | 254) ||  /* link-local */
           (a >> 20) == (172u << 4 | 1) ||    /* 172.16/12 */
           (a >> 16) == (192u << 8 | 168) ||  /* 192.168/16 */
           (a >> 8) == (192u << 16 | 0 << 8 | 0) || /* 192.0.0/24: protocol assignments */
           (a >> 17) == (198u << 7 | 9) ||    /* 198.18/15: benchmarking */
           (a >> 28) >= 14;                   /* multicast, reserved, broadcast */
}

int url_addr_internal(const struct sockaddr *sa)
{
    if (!sa)
        return 1;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        return s_v4_internal(ntohl(in->sin_addr.s_addr));
    }
    if (sa->sa_family != AF_INET6)
        return 1;
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
    const unsigned char *b = in6->sin6_addr.s6_addr;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(b, mapped, 12) == 0) {
        uint32_t a = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15];
        return s_v4_internal(a);
    }
    int zero = 1;
    for (int i = 0; i < 15; i++)
        zero &= b[i] == 0;
    return (zero && (b[15] == 0 || b[15] == 1)) || /* :: and ::1 */
           (b[0] & 0xfe) == 0xfc ||              /* fc00::/7: unique local */
           (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || /* fe80::/10: link-local */
           b[0] == 0xff;                         /* multicast */
}
