/*
 * family_discovery.c - the discovery family. Actions without a handler here are
 * answered with an on_* carrying an ONDC error (never a silent drop).
 */
#include "worker.h"

const worker_family_t family_discovery = {
    .family = FAMILY_DISCOVERY,
};
