/*
 * igm_check.h - the shape of IGM requests (issue, issue_status), checked
 * before a request is journaled: a malformed complaint is NACKed with the
 * JSON path at fault and never reaches a worker.
 *
 * IGM (ONDC's issue and grievance management) comes in two versions that
 * share the endpoints: 1.0.0 (issue.category / sub_category,
 * complainant_info, order_details, issue_actions.complainant_actions) and
 * 2.0.0 (issue.level, refs, actors, actions, descriptor). igm_version tells
 * them apart by the fields the issue carries, not by context.core_version
 * (buyer apps send the IGM version or the retail one there).
 *
 * Errors are JSON-SCHEMA-ERROR with code IGM001, ONDC's IGM code for a
 * request missing its required fields.
 */
#ifndef ONDC_IGM_CHECK_H
#define ONDC_IGM_CHECK_H

#include "err.h"

#include <jansson.h>

/* ONDC's IGM error codes (IGM 2.0.0, "Error codes"; 1.0.0 uses the same) */
#define IGM_ERR_SCHEMA "IGM001"           /* required fields missing (NACK) */
#define IGM_ERR_ORDER "IGM002"            /* order id does not exist / mismatched */
#define IGM_ERR_FULFILLMENT "IGM003"      /* fulfillment id does not exist */
#define IGM_ERR_ITEM "IGM004"             /* item id does not exist */
#define IGM_ERR_NO_ISSUE "IGM005"         /* network issue id does not exist */
#define IGM_ERR_ESCALATION "IGM007"       /* wrong escalation */
#define IGM_ERR_TRANSACTION "IGM009"      /* invalid context.transaction_id */

/* igm_version - 2 for an IGM 2.0.0 issue object ISSUE (it has level,
 * refs, actors or actions), else 1. */
int igm_version(json_t *issue);

/* igm_category_of - the IGM 1.0.0 category of sub-category code SUB
 * ("ITM04" -> "ITEM"), or NULL when SUB is not a code. */
const char *igm_category_of(const char *sub);

/* igm_code_ok - whether CODE is an IGM 2.0.0 issue descriptor code: a
 * category prefix (ITM, FLM, ORD, AGT, PMT, TRX, ...) and three digits. */
int igm_code_ok(const char *code);

/* igm_check_request - check the message of ROOT (a parsed request whose
 * context passed context_check) for IGM action ISSUE_STATUS (1: the
 * issue_status action, 0: issue); arrays longer than MAX_ITEMS are
 * refused. 0, or -1 with ERR (http 400, the path at fault). */
int igm_check_request(json_t *root, int issue_status, int max_items, ondc_err_t *err);

#endif
