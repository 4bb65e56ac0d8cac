/*
 * sign_curl.c - sign_auth_append, the one signing function that touches
 * libcurl (see sign.h). In a file of its own so that a process which signs
 * but sends nothing over HTTP itself (the dispatcher) links sign.c without
 * linking libcurl, and so does not load it and the libraries it brings.
 */
#include "sign.h"

#include <stdlib.h>

#include <curl/curl.h>

int sign_auth_append(struct curl_slist **headers, const sign_key_t *key, const char *subscriber_id,
                     const char *ukid, const void *body, size_t len, long created, long expires)
{
    char *line = sign_auth_line(key, subscriber_id, ukid, body, len, created, expires);
    if (!line)
        return -1;
    /* curl copies the line; on failure it leaves the list as it was */
    struct curl_slist *l = curl_slist_append(*headers, line);
    free(line);
    if (!l)
        return -1;
    *headers = l;
    return 0;
}
