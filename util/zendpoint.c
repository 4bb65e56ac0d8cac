/*
 * zendpoint.c - bind or connect to one endpoint. See zendpoint.h.
 */
#include "zendpoint.h"

#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* s_ipc_dir - make the directory of ipc:// ENDPOINT's socket file */
static void s_ipc_dir(const char *endpoint)
{
    char dir[512];
    int n = snprintf(dir, sizeof dir, "%s", endpoint + 6);
    if (n < 0 || (size_t)n >= sizeof dir)
        return; /* longer than any socket path: the bind says why */
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return;
    *slash = '\0';
    if (mkdir(dir, 0750) < 0 && errno != EEXIST)
        log_errno(LOG_WARN, "zmq.ipc_dir", "dir", dir, NULL);
}

int zendpoint_attach(zsock_t *sock, const char *endpoint, int bind)
{
    if (bind && strncmp(endpoint, "ipc://", 6) == 0)
        s_ipc_dir(endpoint);
    /* "%s": the endpoint is data, never a format */
    int rc = bind ? zsock_bind(sock, "%s", endpoint) : zsock_connect(sock, "%s", endpoint);
    if (rc < 0) {
        log_error(bind ? "zmq.bind" : "zmq.connect", "endpoint", endpoint, "error",
                  zmq_strerror(zmq_errno()), NULL);
        return -1;
    }
    return 0;
}
