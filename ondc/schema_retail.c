/*
 * schema_retail.c - what ONDC's retail schemas require of the requests a
 * seller app receives, for core versions 1.2.0 and 1.2.5: the project's
 * own compact description of them (schema.h says how a rule reads).
 *
 * Learnt from ONDC's retail request schemas (those its log validation
 * utility holds buyer apps' requests to, one set for ONDC:RET11 and one
 * for the other retail domains, per version) and the official retail
 * API specification. Where the published schemas are broken (a "required"
 * list nested where it binds nothing, a "then" without an "if", a regular
 * expression with an unescaped dot) the rule here is what the schema
 * plainly means and ONDC's own examples meet: select requires its order,
 * provider, items and fulfillments; an amount is digits with at most two
 * decimals; currency is not blank.
 *
 * The context: context_check (context.c) holds every request to the
 * context rules first; the rules here add what ONDC's schemas require
 * beyond them: ttl (every action but update), a timestamp with
 * milliseconds, and for a 1.2.5 search nothing in the context, the
 * request or its message but the keys the schema names.
 *
 * rating and support are in no ONDC retail schema: their rules are the
 * fields the Beckn API they follow marks as the request's substance
 * (ONDC.md, "Retail payloads"). issue and issue_status (IGM) are left to
 * their own set: a new action is one more table and one line in
 * schema_retail[].
 */
#include "schema.h"

#include <stddef.h>

#define RULE(p, t, f, ...) {.path = (p), .types = (t), .flags = (f), __VA_ARGS__}
#define OBJ(p, f) RULE(p, SCH_OBJ, f)
#define ARR(p, f, ...) RULE(p, SCH_ARR, f, __VA_ARGS__)
#define STR(p, f, ...) RULE(p, SCH_STR, f, __VA_ARGS__)
#define INT(p, f) RULE(p, SCH_INT, f)
#define BOOL(p, f) RULE(p, SCH_BOOL, f)
#define N(a) (sizeof(a) / sizeof((a)[0]))

#define R SCH_REQ
#define V120 SCH_V120
#define V125 SCH_V125

/* ---- values ---- */

static const char *const s_yes_no[] = {"yes", "no", NULL};
static const char *const s_percent[] = {"percent", NULL};
static const char *const s_ful_type_search[] = {"Delivery", "Self-Pickup", "Buyer-Delivery", NULL};
static const char *const s_delivery[] = {"Delivery", NULL};
static const char *const s_self_pickup[] = {"Self-Pickup", NULL};
static const char *const s_upi[] = {"upi", NULL};
static const char *const s_bank[] = {"rtgs", "neft", NULL};
static const char *const s_inr[] = {"INR", NULL};
static const char *const s_paid[] = {"PAID", "NOT-PAID", NULL};
static const char *const s_pay_type[] = {"ON-ORDER", "ON-FULFILLMENT", NULL};
static const char *const s_collected_by[] = {"BAP", "BPP", NULL};
static const char *const s_settlement_basis[] = {"shipment", "delivery", "return_window_expiry",
                                                 NULL};
static const char *const s_sale_amount[] = {"sale-amount", NULL};
static const char *const s_settlement_type[] = {"upi", "neft", "rtgs", NULL};
/* "offer" for F&B too: the rows of on_init's quote that a 1.2.5 confirm
 * echoes (ONDC's F&B schemas list it on on_select only) */
static const char *const s_title_type[] = {"item",     "delivery", "packing", "tax",
                                           "misc",     "discount", "offer",   NULL};

static const char *const s_intent_tag_120[] = {"catalog_inc", "bap_terms", "catalog_full",
                                               "bnp_features", NULL};
static const char *const s_intent_tag_125[] = {"catalog_inc",       "bap_terms",  "catalog_full",
                                               "bap_features",      "bnp_demand_signal",
                                               "bap_promos",        NULL};
/* the codes of the intent's tag lists: terms, catalog modes and the
 * buyer app's feature codes (000 ... 01D; 1.2.5 adds 01E ... 025 and the
 * demand signal's and promotions' codes, and drops 009A ... 009E) */
#define S_TERMS                                                                               \
    "start_time", "end_time", "mode", "static_terms", "effective_date", "static_terms_new",  \
        "payload_type"
#define S_FEATURES                                                                            \
    "000", "001", "002", "003", "004", "005", "006", "007", "008", "0091", "0092", "0093",   \
        "0094", "0095", "0096", "0097", "0098", "0099", "00A", "00B", "00C", "00D", "00E", \
        "00F", "010", "011", "012", "013", "014", "015", "016", "017", "018", "019", "01A", \
        "01B", "01C", "01D"
static const char *const s_intent_code_120[] = {S_TERMS,  S_FEATURES, "009A", "009B",
                                                "009C",   "009D",     "009E", NULL};
static const char *const s_intent_code_125[] = {
    S_TERMS, S_FEATURES, "01E", "01F",      "020",      "021",  "022", "023",
    "024",   "025",      "search_term", "category", "from", "to",  NULL};

static const char *const s_update_target_120[] = {"payment", "item", NULL};
static const char *const s_update_target_125[] = {"payment", "item", "fulfillment", NULL};
static const char *const s_update_settlement_type[] = {"upi",        "neft",     "rtgs", "wallet",
                                                       "netbanking", "paylater", "card", NULL};
/* the 1.2.5 schema's list, and 051 ... 053, the buyer's codes ONDC's own
 * 1.2.5 examples cancel with */
static const char *const s_cancel_reason_125[] = {"001", "002", "003", "004", "005", "006", "009",
                                                  "010", "011", "013", "014", "016", "017", "018",
                                                  "020", "051", "052", "053", "998", "999", NULL};
static const char *const s_params[] = {"params", NULL};
static const char *const s_force[] = {"force", "ttl_response", NULL};

/* ---- shared pieces ---- */

/* every action but update: ttl; every action: a timestamp with ms */
#define S_CONTEXT                                                                             \
    OBJ("context", R), STR("context.timestamp", R, .fmt = SCH_F_TIMESTAMP),                   \
        STR("context.ttl", R, .fmt = SCH_F_DURATION)

/* a Beckn tag group list: [{code, list: [{code, value}]}] */
#define S_TAGS(p, f)                                                                          \
    ARR(p, f), OBJ(p "[]", 0), STR(p "[].code", R), ARR(p "[].list", R), OBJ(p "[].list[]", 0),  \
        STR(p "[].list[].code", R), STR(p "[].list[].value", R)

/* the order's provider and items, as select, init and confirm send them */
#define S_PROVIDER                                                                            \
    OBJ("message.order.provider", R), STR("message.order.provider.id", R, .min = 1),          \
        ARR("message.order.provider.locations", R),                                           \
        OBJ("message.order.provider.locations[]", 0),                                         \
        STR("message.order.provider.locations[].id", R, .min = 1)

/* an address; M: the least length of name and building (0: 1 and none),
 * AC: the greatest length of area_code (0: no limit) */
#define S_ADDRESS(p, m, ac)                                                                   \
    OBJ(p, R), STR(p ".name", R, .min = (m) ? (m) : 1), STR(p ".building", R, .min = (m)),    \
        STR(p ".locality", R), STR(p ".city", R, .min = 1), STR(p ".state", R, .min = 1),     \
        STR(p ".country", R, .min = 1), STR(p ".area_code", R, .min = 1, .max = (ac))

#define S_BILLING                                                                             \
    OBJ("message.order.billing", R), STR("message.order.billing.name", R, .min = 1),          \
        S_ADDRESS("message.order.billing.address", 0, 6),                                        \
        STR("message.order.billing.tax_number", 0),                                           \
        STR("message.order.billing.email", 0, .fmt = SCH_F_EMAIL),                           \
        STR("message.order.billing.phone", R, .min = 10, .max = 11),                                     \
        STR("message.order.billing.created_at", R, .fmt = SCH_F_TIMESTAMP),                   \
        STR("message.order.billing.updated_at", R, .fmt = SCH_F_TIMESTAMP)

/* P is pasted into string literals: it cannot be parenthesized */
/* NOLINTBEGIN(bugprone-macro-parentheses) */
#define S_PRICE(p, f, fmt_)                                                                   \
    OBJ(p, f), STR(p ".currency", R, .fmt = SCH_F_NONBLANK), STR(p ".value", R, .min = 1, .fmt = fmt_)
/* NOLINTEND(bugprone-macro-parentheses) */

/* ---- search ---- */

static const schema_rule_t s_search[] = {
    RULE("", SCH_OBJ, SCH_CLOSED | V125),
    S_CONTEXT,
    OBJ("context", R | SCH_CLOSED | V125),
    STR("context.domain", 0),
    STR("context.action", 0),
    STR("context.country", 0),
    STR("context.city", 0),
    STR("context.core_version", 0),
    STR("context.bap_id", 0),
    STR("context.bap_uri", 0),
    STR("context.transaction_id", 0),
    STR("context.message_id", 0),
    OBJ("message", R | SCH_CLOSED | V125),
    OBJ("message.intent", R),
    OBJ("message.intent.fulfillment", 0),
    STR("message.intent.fulfillment.type", 0, .oneof = s_ful_type_search),
    OBJ("message.intent.fulfillment.end", 0),
    OBJ("message.intent.fulfillment.end.location", R),
    STR("message.intent.fulfillment.end.location.gps", R),
    OBJ("message.intent.fulfillment.end.location.address", R),
    STR("message.intent.fulfillment.end.location.address.area_code", R),
    OBJ("message.intent.item", 0),
    OBJ("message.intent.item.descriptor", R),
    STR("message.intent.item.descriptor.name", R),
    OBJ("message.intent.category", 0),
    STR("message.intent.category.id", R),
    OBJ("message.intent.payment", R),
    STR("message.intent.payment.@ondc/org/buyer_app_finder_fee_type", R, .oneof = s_percent),
    STR("message.intent.payment.@ondc/org/buyer_app_finder_fee_amount", R,
        .fmt = SCH_F_AMOUNT),
    ARR("message.intent.tags", 0, .min = 1),
    OBJ("message.intent.tags[]", 0),
    STR("message.intent.tags[].code", R | V120, .oneof = s_intent_tag_120),
    STR("message.intent.tags[].code", R | V125, .oneof = s_intent_tag_125),
    ARR("message.intent.tags[].list", R, .min = 1),
    OBJ("message.intent.tags[].list[]", 0),
    OBJ("message.intent.tags[].list[]", SCH_CLOSED | V125),
    STR("message.intent.tags[].list[].code", R | V120, .oneof = s_intent_code_120),
    STR("message.intent.tags[].list[].code", R | V125, .oneof = s_intent_code_125),
    STR("message.intent.tags[].list[].value", R),
};

/* ---- select ---- */

static const schema_rule_t s_select[] = {
    S_CONTEXT,
    OBJ("message", R),
    OBJ("message.order", R),
    S_PROVIDER,
    ARR("message.order.items", R),
    OBJ("message.order.items[]", 0),
    STR("message.order.items[].id", R),
    STR("message.order.items[].parent_item_id", 0),
    STR("message.order.items[].location_id", R),
    OBJ("message.order.items[].quantity", R),
    INT("message.order.items[].quantity.count", R),
    S_TAGS("message.order.items[].tags", 0),
    ARR("message.order.offers", 0),
    OBJ("message.order.offers[]", 0),
    STR("message.order.offers[].id", R),
    ARR("message.order.offers[].tags", R | V120),
    ARR("message.order.offers[].tags", V125),
    OBJ("message.order.offers[].tags[]", 0),
    STR("message.order.offers[].tags[].code", R),
    ARR("message.order.offers[].tags[].list", R),
    OBJ("message.order.offers[].tags[].list[]", 0),
    STR("message.order.offers[].tags[].list[].code", R),
    STR("message.order.offers[].tags[].list[].value", R | V120, .oneof = s_yes_no),
    STR("message.order.offers[].tags[].list[].value", R | V125),
    ARR("message.order.fulfillments", R),
    OBJ("message.order.fulfillments[]", 0),
    OBJ("message.order.fulfillments[].end", R),
    OBJ("message.order.fulfillments[].end.location", R),
    STR("message.order.fulfillments[].end.location.gps", R),
    OBJ("message.order.fulfillments[].end.location.address", R),
    STR("message.order.fulfillments[].end.location.address.area_code", R),
};

/* ---- init ---- */

static const schema_rule_t s_init[] = {
    S_CONTEXT,
    OBJ("message", R),
    OBJ("message.order", R),
    S_PROVIDER,
    ARR("message.order.items", R),
    OBJ("message.order.items[]", 0),
    STR("message.order.items[].id", R, .min = 1),
    STR("message.order.items[].fulfillment_id", R, .min = 1),
    OBJ("message.order.items[].quantity", R),
    INT("message.order.items[].quantity.count", R),
    STR("message.order.items[].parent_item_id", 0, .min = 1),
    S_TAGS("message.order.items[].tags", 0),
    ARR("message.order.offers", 0),
    OBJ("message.order.offers[]", 0),
    STR("message.order.offers[].id", R),
    S_TAGS("message.order.offers[].tags", V125),
    S_BILLING,
    ARR("message.order.fulfillments", R | V120),
    ARR("message.order.fulfillments", R | V125, .min = 1),
    OBJ("message.order.fulfillments[]", 0),
    STR("message.order.fulfillments[].id", R, .min = 1),
    STR("message.order.fulfillments[].type", R | V120, .oneof = s_delivery),
    STR("message.order.fulfillments[].type", R | V125, .oneof = s_ful_type_search),
    OBJ("message.order.fulfillments[].end", R),
    OBJ("message.order.fulfillments[].end.location", R),
    STR("message.order.fulfillments[].end.location.gps", R, .min = 1),
    S_ADDRESS("message.order.fulfillments[].end.location.address", 3, 0),
    OBJ("message.order.fulfillments[].end.contact", R),
    STR("message.order.fulfillments[].end.contact.phone", R, .min = 10, .max = 11),
    ARR("message.order.cancellation_terms", V125 | SCH_NFNB),
    OBJ("message.order.cancellation_terms[]", 0),
    OBJ("message.order.cancellation_terms[].fulfillment_state", R),
    OBJ("message.order.cancellation_terms[].fulfillment_state.descriptor", R),
    STR("message.order.cancellation_terms[].fulfillment_state.descriptor.code", R, .min = 1),
    STR("message.order.cancellation_terms[].fulfillment_state.descriptor.short_desc", R,
        .min = 1),
    OBJ("message.order.cancellation_terms[].cancellation_fee", R),
    STR("message.order.cancellation_terms[].cancellation_fee.percentage", R,
        .fmt = SCH_F_PERCENT),
    OBJ("message.order.cancellation_terms[].cancellation_fee.amount", R),
    STR("message.order.cancellation_terms[].cancellation_fee.amount.currency", R,
        .oneof = s_inr),
    STR("message.order.cancellation_terms[].cancellation_fee.amount.value", R,
        .fmt = SCH_F_AMOUNT),
};

/* ---- confirm ---- */

#define S_SETTLEMENT "message.order.payment.@ondc/org/settlement_details"

static const schema_rule_t s_confirm[] = {
    S_CONTEXT,
    OBJ("message", R),
    OBJ("message.order", R),
    STR("message.order.id", R | SCH_NFNB, .min = 2, .fmt = SCH_F_ORDER_ID),
    STR("message.order.id", R | SCH_FNB, .min = 1, .fmt = SCH_F_ORDER_ID),
    STR("message.order.state", R, .min = 1),
    S_PROVIDER,
    ARR("message.order.items", R),
    OBJ("message.order.items[]", 0),
    STR("message.order.items[].id", R, .min = 1),
    STR("message.order.items[].fulfillment_id", R, .min = 1),
    OBJ("message.order.items[].quantity", R),
    INT("message.order.items[].quantity.count", R),
    STR("message.order.items[].parent_item_id", 0),
    S_TAGS("message.order.items[].tags", 0),
    S_BILLING,
    ARR("message.order.fulfillments", R),
    OBJ("message.order.fulfillments[]", 0),
    STR("message.order.fulfillments[].id", R, .min = 1),
    STR("message.order.fulfillments[].type", R | V120, .oneof = s_delivery),
    STR("message.order.fulfillments[].type", R | V125, .oneof = s_ful_type_search),
    BOOL("message.order.fulfillments[].tracking", R),
    /* 1.2.5: a self-pickup needs no end (the buyer comes to the store) */
    OBJ("message.order.fulfillments[].end", R | V120),
    RULE("message.order.fulfillments[].end", SCH_OBJ, R | V125 | SCH_UNLESS,
         .when = "type", .when_in = s_self_pickup),
    OBJ("message.order.fulfillments[].end.person", R),
    STR("message.order.fulfillments[].end.person.name", R),
    OBJ("message.order.fulfillments[].end.contact", R),
    STR("message.order.fulfillments[].end.contact.email", 0, .fmt = SCH_F_EMAIL),
    STR("message.order.fulfillments[].end.contact.phone", R, .min = 10, .max = 11),
    OBJ("message.order.fulfillments[].end.location", R),
    STR("message.order.fulfillments[].end.location.gps", R, .min = 1),
    S_ADDRESS("message.order.fulfillments[].end.location.address", 0, 6),
    OBJ("message.order.quote", R),
    S_PRICE("message.order.quote.price", R, SCH_F_AMOUNT),
    ARR("message.order.quote.breakup", R),
    OBJ("message.order.quote.breakup[]", 0),
    STR("message.order.quote.breakup[].@ondc/org/item_id", R, .min = 1),
    OBJ("message.order.quote.breakup[].@ondc/org/item_quantity", 0),
    INT("message.order.quote.breakup[].@ondc/org/item_quantity.count", R),
    STR("message.order.quote.breakup[].title", R, .min = 1),
    STR("message.order.quote.breakup[].@ondc/org/title_type", R, .oneof = s_title_type),
    OBJ("message.order.quote.breakup[].price", R),
    STR("message.order.quote.breakup[].price.currency", R, .fmt = SCH_F_NONBLANK),
    STR("message.order.quote.breakup[].price.value", R | SCH_NFNB, .min = 1,
        .fmt = SCH_F_SAMOUNT),
    STR("message.order.quote.breakup[].price.value", R | SCH_FNB, .min = 1),
    OBJ("message.order.quote.breakup[].item", 0),
    STR("message.order.quote.breakup[].item.parent_item_id", 0),
    S_PRICE("message.order.quote.breakup[].item.price", 0, SCH_F_SAMOUNT),
    S_TAGS("message.order.quote.breakup[].item.tags", 0),
    STR("message.order.quote.ttl", R, .fmt = SCH_F_DURATION),
    OBJ("message.order.payment", R),
    STR("message.order.payment.uri", 0),
    STR("message.order.payment.tl_method", 0),
    OBJ("message.order.payment.params", R),
    STR("message.order.payment.params.currency", R, .fmt = SCH_F_NONBLANK),
    STR("message.order.payment.params.transaction_id", SCH_NFNB),
    STR("message.order.payment.params.transaction_id", R | SCH_FNB),
    STR("message.order.payment.params.amount", R),
    STR("message.order.payment.status", R, .oneof = s_paid),
    STR("message.order.payment.type", R, .oneof = s_pay_type),
    STR("message.order.payment.collected_by", R, .oneof = s_collected_by),
    STR("message.order.payment.@ondc/org/buyer_app_finder_fee_type", R),
    STR("message.order.payment.@ondc/org/buyer_app_finder_fee_amount", R),
    STR("message.order.payment.@ondc/org/settlement_basis", R | V120,
        .oneof = s_settlement_basis),
    STR("message.order.payment.@ondc/org/settlement_basis", V125, .oneof = s_settlement_basis),
    STR("message.order.payment.@ondc/org/settlement_window", R | V120),
    STR("message.order.payment.@ondc/org/settlement_window", V125),
    STR("message.order.payment.@ondc/org/withholding_amount", 0),
    ARR(S_SETTLEMENT, 0),
    OBJ(S_SETTLEMENT "[]", 0),
    STR(S_SETTLEMENT "[].settlement_counterparty", R),
    STR(S_SETTLEMENT "[].settlement_phase", R, .oneof = s_sale_amount),
    STR(S_SETTLEMENT "[].settlement_type", R, .oneof = s_settlement_type),
    STR(S_SETTLEMENT "[].upi_address", R, .when = "settlement_type", .when_in = s_upi),
    STR(S_SETTLEMENT "[].settlement_bank_account_no", R, .when = "settlement_type",
        .when_in = s_bank),
    STR(S_SETTLEMENT "[].settlement_ifsc_code", R, .when = "settlement_type", .when_in = s_bank),
    STR(S_SETTLEMENT "[].bank_name", R, .when = "settlement_type", .when_in = s_bank),
    STR(S_SETTLEMENT "[].beneficiary_name", 0),
    STR(S_SETTLEMENT "[].branch_name", R, .when = "settlement_type", .when_in = s_bank),
    S_TAGS("message.order.tags", R),
    STR("message.order.created_at", R, .fmt = SCH_F_TIMESTAMP),
    STR("message.order.updated_at", R, .fmt = SCH_F_TIMESTAMP),
};

/* ---- status, track ---- */

static const schema_rule_t s_status[] = {
    S_CONTEXT,
    OBJ("message", R),
    STR("message.order_id", R, .min = 1, .fmt = SCH_F_ORDER_ID),
};

static const schema_rule_t s_track[] = {
    S_CONTEXT,
    OBJ("message", R),
    STR("message.order_id", R, .min = 1),
};

/* ---- cancel ---- */

static const schema_rule_t s_cancel[] = {
    S_CONTEXT,
    OBJ("message", R),
    STR("message.order_id", R, .min = 1, .fmt = SCH_F_ORDER_ID),
    STR("message.cancellation_reason_id", R | V120, .min = 3, .max = 3),
    STR("message.cancellation_reason_id", R | V125, .oneof = s_cancel_reason_125),
    OBJ("message.descriptor", V120),
    OBJ("message.descriptor", R | V125),
    STR("message.descriptor.name", R, .min = 1),
    STR("message.descriptor.short_desc", R, .min = 1),
    ARR("message.descriptor.tags", V125),
    OBJ("message.descriptor.tags[]", 0),
    STR("message.descriptor.tags[].code", R, .oneof = s_params),
    ARR("message.descriptor.tags[].list", R),
    OBJ("message.descriptor.tags[].list[]", 0),
    STR("message.descriptor.tags[].list[].code", R, .oneof = s_force),
    STR("message.descriptor.tags[].list[].value", R),
};

/* ---- update ---- */

static const schema_rule_t s_update[] = {
    OBJ("context", R),
    STR("context.timestamp", R, .fmt = SCH_F_TIMESTAMP),
    STR("context.ttl", 0, .fmt = SCH_F_DURATION),
    OBJ("message", R),
    STR("message.update_target", R | V120, .oneof = s_update_target_120),
    STR("message.update_target", R | V125, .oneof = s_update_target_125),
    OBJ("message.order", R),
    STR("message.order.id", R),
    ARR("message.order.fulfillments", R),
    OBJ("message.order.fulfillments[]", 0),
    STR("message.order.fulfillments[].id", 0),
    STR("message.order.fulfillments[].type", 0),
    ARR("message.order.fulfillments[].tags", 0),
    OBJ("message.order.fulfillments[].tags[]", 0),
    STR("message.order.fulfillments[].tags[].code", R),
    ARR("message.order.fulfillments[].tags[].list", R),
    OBJ("message.order.fulfillments[].tags[].list[]", 0),
    STR("message.order.fulfillments[].tags[].list[].code", R),
    /* a value is a string, or (images) a list of them */
    RULE("message.order.fulfillments[].tags[].list[].value", SCH_STR | SCH_ARR, R, .min = 1),
    STR("message.order.fulfillments[].tags[].list[].value[]", 0, .min = 1),
    OBJ("message.order.payment", 0),
    ARR(S_SETTLEMENT, 0),
    OBJ(S_SETTLEMENT "[]", 0),
    STR(S_SETTLEMENT "[].settlement_counterparty", R),
    STR(S_SETTLEMENT "[].settlement_phase", R),
    STR(S_SETTLEMENT "[].settlement_type", R, .oneof = s_update_settlement_type),
    STR(S_SETTLEMENT "[].settlement_amount", R),
    STR(S_SETTLEMENT "[].settlement_timestamp", R, .fmt = SCH_F_TIMESTAMP),
};

/* ---- rating, support ---- */

static const schema_rule_t s_rating[] = {
    S_CONTEXT,
    OBJ("message", R),
    STR("message.rating_category", R, .min = 1),
    STR("message.id", R, .min = 1),
    RULE("message.value", SCH_NUM | SCH_STR, R),
};

static const schema_rule_t s_support[] = {
    S_CONTEXT,
    OBJ("message", R),
    STR("message.ref_id", R, .min = 1),
};

const schema_set_t schema_retail[] = {
    {"search", s_search, N(s_search)},    {"select", s_select, N(s_select)},
    {"init", s_init, N(s_init)},          {"confirm", s_confirm, N(s_confirm)},
    {"status", s_status, N(s_status)},    {"track", s_track, N(s_track)},
    {"cancel", s_cancel, N(s_cancel)},    {"update", s_update, N(s_update)},
    {"rating", s_rating, N(s_rating)},    {"support", s_support, N(s_support)},
    {NULL, NULL, 0},
};
