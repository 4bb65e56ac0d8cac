/*
 * family_igm.h - the IGM handlers (issue, issue_status), in the
 * post-fulfillment family's table beside rating and support.
 */
#ifndef ONDC_FAMILY_IGM_H
#define ONDC_FAMILY_IGM_H

#include "worker.h"

/* family_igm_issue - a complaint opened, answered, escalated or closed
 * (seller/igm.c); on_issue with the issue as it stands, or an IGM error.
 * A refund taken off the order also sends the order's on_update. */
int family_igm_issue(worker_msg_t *m);

/* family_igm_issue_status - on_issue_status with the issue as it stands
 * (IGM005 for an issue the buyer app does not have). */
int family_igm_issue_status(worker_msg_t *m);

/* family_igm_on_issue - a counterparty's on_issue to an issue the seller
 * raised (seller/igm_raise.c): kept with it, and passed on to the buyer
 * app's issue it cascades. Answered by nothing (the ingress ACKed it). */
int family_igm_on_issue(worker_msg_t *m);

#endif
