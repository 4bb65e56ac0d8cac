/*
 * url.h - http(s) URLs taken apart, and whether one lies under another.
 *
 * Only what a callback address needs: scheme (http or https), host (a name,
 * an IPv4 address or a bracketed IPv6 address), port (the scheme's default
 * when absent) and path. A URL with user info, a query, a fragment, a
 * control character, a space or a backslash is refused: a callback address
 * names a place, it carries nothing.
 */
#ifndef ONDC_URL_H
#define ONDC_URL_H

#include <stddef.h>
#include <sys/socket.h>

#define URL_HOST_MAX 256
#define URL_PATH_MAX 1024

typedef struct {
    int https;               /* 1: https, 0: http */
    char host[URL_HOST_MAX]; /* lower case; an IPv6 address without brackets */
    int port;                /* 1..65535 */
    char path[URL_PATH_MAX]; /* "/" when absent; never has a query */
} url_t;

/* url_parse - TEXT into OUT; 0, or -1 when it is not such a URL. */
int url_parse(const char *text, url_t *out);

/* url_under - whether URL lies under BASE: same scheme, host and port, and
 * URL's path is BASE's path or continues it after a '/' ("/ondc" covers
 * "/ondc", "/ondc/" and "/ondc/on_init", not "/ondcx"). 0 when either is
 * not a URL. */
int url_under(const char *url, const char *base);

/* url_listen_addr - "host:port" (host an IPv4 address, "localhost", "*",
 * "0.0.0.0" or empty for every address; port 0..65535 in digits, 0 for
 * any free port) into SA; 0, or -1 when it is not such an address. */
struct sockaddr_in;
int url_listen_addr(const char *hostport, struct sockaddr_in *sa);

/* url_addr_internal - whether SA is an address of this machine or of a
 * private network: unspecified, loopback, private (10/8, 172.16/12,
 * 192.168/16, fc00::/7), shared (100.64/10), link-local (169.254/16,
 * fe80::/10), multicast or broadcast, IPv4-mapped IPv6 of any of those.
 * Anything that is not IPv4 or IPv6 counts as internal. */
int url_addr_internal(const struct sockaddr *sa);

#endif
