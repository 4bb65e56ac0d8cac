/*
 * ingress_metrics.c - what the ingress counts: every answer by action and
 * outcome (ack, nack with its code, duplicate), the ACK latency, signature
 * failures. Counters live in this process's metrics file (util/metrics.h).
 */
#include "ingress.h"

#include "clock.h"
#include "context.h"
#include "metrics.h"

#include <stdio.h>
#include <string.h>

void ingress_count(ingress_t *in, int action, const char *outcome, const char *code,
                   int64_t started_ms)
{
    (void)in;
    const char *a = action >= 0 && strcmp(context_action_name((action_t)action), "?") != 0
                        ? context_action_name((action_t)action)
                        : "unknown";
    char labels[128];
    snprintf(labels, sizeof labels, "action=\"%s\",outcome=\"%s\",code=\"%s\"", a, outcome,
             code ? code : "");
    metrics_inc("ondc_requests_total", labels);
    if (code && strcmp(code, ERR_INVALID_SIGNATURE) == 0)
        metrics_inc("ondc_signature_failures_total", "");
    if (started_ms > 0) {
        snprintf(labels, sizeof labels, "action=\"%s\"", a);
        metrics_observe("ondc_ack_latency_seconds", labels, (double)(clock_wall_ms() - started_ms));
    }
}
