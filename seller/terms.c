/*
 * terms.c - payment, settlement and legal terms. See terms.h.
 */
#include "terms.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *terms_settlement_basis(const char *basis)
{
    static const char *const ok[] = {"shipment", "delivery", "return_window_expiry"};
    for (size_t i = 0; basis && i < sizeof ok / sizeof ok[0]; i++)
        if (strcasecmp(basis, ok[i]) == 0)
            return ok[i];
    return "delivery";
}

const char *terms_finder_fee_type(const char *type)
{
    if (!type)
        return NULL;
    if (strcasecmp(type, "percent") == 0)
        return "percent";
    if (strcasecmp(type, "amount") == 0 || strcasecmp(type, "fixed") == 0 ||
        strcasecmp(type, "flat") == 0)
        return "amount";
    return NULL;
}

/* s_text - a JSON string or number as text in BUF; NULL if neither */
static const char *s_text(json_t *v, char *buf, size_t cap)
{
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
        return buf;
    }
    if (json_is_real(v)) {
        snprintf(buf, cap, "%g", json_real_value(v));
        return buf;
    }
    return NULL;
}

void terms_finder_fee(json_t *pay, json_t *const *declared, int n, json_t *terms)
{
    const char *type = NULL, *amount = NULL;
    char buf[64];
    for (int i = 0; i < n && !type; i++) {
        const char *t = terms_finder_fee_type(
            json_string_value(json_object_get(declared[i], "@ondc/org/buyer_app_finder_fee_type")));
        const char *a = s_text(
            json_object_get(declared[i], "@ondc/org/buyer_app_finder_fee_amount"), buf, sizeof buf);
        if (t && a && *a) {
            type = t;
            amount = a;
        }
    }
    if (!type) {
        type = terms_finder_fee_type(
            json_string_value(json_object_get(terms, "buyer_app_finder_fee_type")));
        amount = s_text(json_object_get(terms, "buyer_app_finder_fee_amount"), buf, sizeof buf);
        if (!type)
            type = "percent";
        if (!amount)
            amount = "0";
    }
    /* AMOUNT may point into PAY's old value: copy it before replacing */
    char a[64];
    snprintf(a, sizeof a, "%s", amount);
    json_object_set_new(pay, "@ondc/org/buyer_app_finder_fee_type", json_string(type));
    json_object_set_new(pay, "@ondc/org/buyer_app_finder_fee_amount", json_string(a));
}

static json_t *s_kv(const char *code, const char *value)
{
    return json_pack("{s:s,s:s}", "code", code, "value", value);
}

/* s_bpp_term - the value of CODE in the bpp_terms tag of the catalog's
 * bpp descriptor; NULL if none */
static const char *s_bpp_term(json_t *bpp, const char *want)
{
    json_t *d = json_object_get(bpp, "descriptor");
    if (!d)
        d = json_object_get(bpp, "bpp/descriptor");
    size_t i, j;
    json_t *t, *kv;
    json_array_foreach(json_object_get(d, "tags"), i, t)
    {
        const char *code = json_string_value(json_object_get(t, "code"));
        if (!code || strcmp(code, "bpp_terms") != 0)
            continue;
        json_array_foreach(json_object_get(t, "list"), j, kv)
        {
            const char *c = json_string_value(json_object_get(kv, "code"));
            const char *v = json_string_value(json_object_get(kv, "value"));
            if (c && v && *v && strcmp(c, want) == 0)
                return v;
        }
    }
    return NULL;
}

static const char *s_np_type(json_t *bpp)
{
    const char *v = s_bpp_term(bpp, "np_type");
    return v && (strcmp(v, "MSN") == 0 || strcmp(v, "ISN") == 0) ? v : "MSN";
}

json_t *terms_bpp_tag(json_t *bpp, json_t *provider)
{
    json_t *seller = json_object_get(provider, "seller");
    const char *gst = json_string_value(json_object_get(seller, "tax_number"));
    if (!gst || !*gst)
        return NULL;
    char pan[16] = "";
    const char *own = json_string_value(json_object_get(seller, "provider_tax_number"));
    if (own && *own)
        snprintf(pan, sizeof pan, "%s", own);
    else if (strlen(gst) == 15)
        snprintf(pan, sizeof pan, "%.10s", gst + 2); /* a GSTIN holds the PAN */
    /* a marketplace (MSN) invoices under its own GSTIN, an inventory
     * seller (ISN) under the provider's */
    const char *np = s_np_type(bpp);
    const char *own_gst = json_string_value(json_object_get(seller, "np_tax_number"));
    json_t *list = json_array();
    json_array_append_new(list, s_kv("np_type", np));
    json_array_append_new(list,
                          s_kv("tax_number", strcmp(np, "MSN") == 0 && own_gst ? own_gst : gst));
    if (pan[0])
        json_array_append_new(list, s_kv("provider_tax_number", pan));
    return json_pack("{s:s,s:o}", "code", "bpp_terms", "list", list);
}

json_t *terms_documents(json_t *provider, const char *bpp_uri, const char *order_id)
{
    if (!order_id || !*order_id)
        return NULL;
    const char *tpl =
        json_string_value(json_object_get(json_object_get(provider, "seller"), "invoice_url"));
    char url[1024];
    const char *at = tpl ? strstr(tpl, "{order_id}") : NULL;
    if (at)
        snprintf(url, sizeof url, "%.*s%s%s", (int)(at - tpl), tpl, order_id, at + 10);
    else if (tpl && *tpl)
        snprintf(url, sizeof url, "%s", tpl);
    else {
        size_t n = bpp_uri ? strlen(bpp_uri) : 0;
        while (n && bpp_uri[n - 1] == '/')
            n--;
        snprintf(url, sizeof url, "%.*s/invoices/%s", (int)n, bpp_uri ? bpp_uri : "", order_id);
    }
    return json_pack("[{s:s,s:s}]", "url", url, "label", "Invoice");
}
