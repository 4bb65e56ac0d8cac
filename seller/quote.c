/*
 * quote.c - order pricing. See quote.h.
 */
#include "quote.h"

#include "catalog.h"
#include "clock.h"
#include "customize.h"
#include "money.h"
#include "offers.h"

#include <stdlib.h>

#include <stdio.h>
#include <string.h>

const char *quote_id_str(json_t *v, char *buf, size_t cap)
{
    if (json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) < cap) {
        memcpy(buf, json_string_value(v), json_string_length(v) + 1);
        return buf;
    }
    if (json_is_integer(v)) {
        snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
        return buf;
    }
    return NULL;
}

/* s_obj - an object of N string keys and values taken over (NULL if any is
 * NULL or memory runs out); json_pack was a visible share of the quote */
static json_t *s_obj(int n, const char *const *keys, json_t *const *vals)
{
    json_t *o = json_object();
    int ok = o != NULL;
    for (int i = 0; i < n; i++) {
        if (ok && vals[i] && json_object_set_new_nocheck(o, keys[i], vals[i]) == 0)
            continue;
        ok = 0;
        if (vals[i])
            json_decref(vals[i]);
    }
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *s_row(const char *item_id, const char *title, const char *type, int64_t paise)
{
    static const char *const keys[] = {"@ondc/org/item_id", "title", "@ondc/org/title_type",
                                       "price"};
    json_t *vals[] = {json_string(item_id), json_string(title), json_string(type),
                      money_json(paise)};
    return s_obj(4, keys, vals);
}

static json_t *s_count_json(int64_t n)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%lld", (long long)n);
    static const char *const keys[] = {"count"};
    json_t *vals[] = {json_string(buf)};
    return s_obj(1, keys, vals);
}

int quote_retail12(const char *core_version)
{
    return core_version && strncmp(core_version, "1.2.", 4) == 0;
}

void quote_strip_item_quantity(json_t *quote)
{
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(quote, "breakup"), i, row) {
        json_object_del(json_object_get(row, "item"), "quantity");
    }
}

void quote_release(quote_t *q)
{
    json_decref(q->quote);
    json_decref(q->provider);
    q->quote = q->provider = NULL;
}

int quote_build(store_t *s, MDB_txn *txn, json_t *order, const char *core_version, quote_t *q,
                ondc_err_t *err)
{
    memset(q, 0, sizeof *q);
    if (!json_is_object(order))
        return err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST, "message.order",
                       "message.order is required");
    if (!quote_id_str(json_object_get(json_object_get(order, "provider"), "id"), q->provider_id,
                      sizeof q->provider_id))
        return err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST,
                       "message.order.provider.id", "provider id is required");
    q->provider = catalog_provider_ro(s, txn, q->provider_id);
    if (!q->provider)
        return err_set(err, ERR_TYPE_DOMAIN, 400, ERR_PROVIDER_NOT_FOUND,
                       "message.order.provider.id", "provider %s not found", q->provider_id);
    json_t *items = json_object_get(order, "items");
    if (!json_is_array(items) || json_array_size(items) == 0) {
        quote_release(q);
        return err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST, "message.order.items",
                       "at least one item is required");
    }
    int retail12 = quote_retail12(core_version);
    json_t *charges = json_object_get(json_object_get(q->provider, "seller"), "charges");
    int64_t delivery = 0, packing = 0, tax_bp = 0, discount = 0;
    money_parse_json(json_object_get(charges, "delivery"), &delivery);
    money_parse_json(json_object_get(charges, "packing"), &packing);
    money_parse_json(json_object_get(charges, "discount"), &discount);
    int64_t tax_pct;
    if (money_parse_json(json_object_get(charges, "tax_percent"), &tax_pct) == 0)
        tax_bp = tax_pct; /* percent with two places == basis points */

    /* the fulfillment this order uses: the first item's, else the first
     * fulfillment's, else "1" */
    char fid[64] = "1";
    json_t *first = json_array_get(items, 0);
    if (!quote_id_str(json_object_get(first, "fulfillment_id"), fid, sizeof fid))
        if (!quote_id_str(json_object_get(json_array_get(json_object_get(order, "fulfillments"), 0),
                                          "id"),
                          fid, sizeof fid))
            snprintf(fid, sizeof fid, "1");
    snprintf(q->fulfillment_id, sizeof q->fulfillment_id, "%s", fid);

    if (retail12 &&
        customize_check_order(s, txn, q->provider_id, q->provider, order, err) < 0) {
        quote_release(q);
        return -1;
    }
    json_t *breakup = json_array();
    json_t *taxes = json_array();
    json_t *taken = json_object(); /* item id -> units quoted so far */
    size_t nitems = json_array_size(items);
    /* the cart as the offers read it; the strings live in LINEBUF */
    offers_line_t *lines = calloc(nitems, sizeof *lines);
    char(*linebuf)[3][160] = calloc(nitems, sizeof *linebuf);
    int64_t total = 0;
    q->cod_ok = 1;
    size_t i;
    json_t *it;
    if (!lines || !linebuf) {
        err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "out of memory");
        goto fail;
    }
    json_array_foreach(items, i, it)
    {
        char iid[160], path[96];
        snprintf(path, sizeof path, "message.order.items[%zu].id", i);
        if (!quote_id_str(json_object_get(it, "id"), iid, sizeof iid)) {
            err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST, path, "item id is required");
            goto fail;
        }
        json_t *item = catalog_item_ro(s, txn, q->provider_id, iid);
        if (!item || json_is_false(json_object_get(item, "enabled"))) {
            json_decref(item);
            err_set(err, ERR_TYPE_DOMAIN, 400, ERR_ITEM_NOT_FOUND, path, "item %s not found", iid);
            goto fail;
        }
        snprintf(path, sizeof path, "message.order.items[%zu].quantity.count", i);
        int64_t count = catalog_count(json_object_get(json_object_get(it, "quantity"), "count"));
        if (count < 1 || count > 1000000) {
            json_decref(item);
            err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST, path,
                    "quantity.count must be a whole number from 1");
            goto fail;
        }
        int64_t stock = 0, unit = 0, max = catalog_item_max(item);
        catalog_stock(s, txn, q->provider_id, iid, &stock);
        catalog_item_price(item, &unit);
        /* an item on several rows (two instances of a customized item)
         * shares its stock */
        json_t *before = json_object_get(taken, iid);
        stock -= before ? json_integer_value(before) : 0;
        int64_t n = count;
        if (max >= 0 && n > max) {
            if (!q->soft)
                err_set(err, ERR_TYPE_DOMAIN, 400, ERR_MAX_QTY_EXCEEDED, path,
                        "item %s: at most %lld per order", iid, (long long)max);
            q->soft = 1;
            n = max;
        }
        if (n > stock) {
            if (!q->soft || strcmp(err->code, ERR_QTY_UNAVAILABLE) != 0)
                err_set(err, ERR_TYPE_DOMAIN, 400, ERR_QTY_UNAVAILABLE, path,
                        "item %s: %lld available", iid, (long long)(stock > 0 ? stock : 0));
            q->soft = 1;
            n = stock > 0 ? stock : 0;
        }
        if (!json_is_true(json_object_get(item, "@ondc/org/available_on_cod")))
            q->cod_ok = 0;
        const char *name = json_string_value(json_object_get(json_object_get(item, "descriptor"), "name"));
        int64_t line = unit * n;
        json_t *row = s_row(iid, name ? name : iid, "item", line);
        json_t *qty = json_object();
        if (retail12) {
            /* retail 1.2.x: the count an integer; the stock not disclosed,
             * "99" in stock, "0" out */
            json_object_set_new(row, "@ondc/org/item_quantity",
                                json_pack("{s:I}", "count", (json_int_t)n));
            json_object_set_new(qty, "available", s_count_json(stock > 0 ? 99 : 0));
            json_object_set_new(qty, "maximum", s_count_json(stock > 0 ? 99 : 0));
        } else {
            json_object_set_new(row, "@ondc/org/item_quantity", s_count_json(n));
            json_object_set_new(qty, "available", s_count_json(stock > 0 ? stock : 0));
            if (stock <= 0)
                json_object_set_new(qty, "maximum", s_count_json(0)); /* out of stock: 0 and 0 */
            else if (max >= 0)
                json_object_set_new(qty, "maximum", s_count_json(max));
        }
        json_t *ri = retail12 ? customize_row_item(it) : NULL;
        json_t *rowitem = ri ? json_deep_copy(ri) : json_object();
        json_object_set_new(rowitem, "price", money_json(unit));
        json_object_set_new(rowitem, "quantity", qty);
        json_object_set_new(row, "item", rowitem);
        json_array_append_new(breakup, row);
        total += line;
        json_object_set_new(taken, iid, json_integer((before ? json_integer_value(before) : 0) + n));
        if (tax_bp) {
            int64_t tax = money_percent(line, tax_bp);
            json_t *trow = s_row(iid, "Tax", "tax", tax);
            if (ri)
                json_object_set(trow, "item", ri);
            json_array_append_new(taxes, trow);
            total += tax;
        }
        json_decref(ri);
        const char *cat = json_string_value(json_object_get(item, "category_id"));
        const char *loc = json_string_value(json_object_get(item, "location_id"));
        snprintf(linebuf[i][0], 160, "%s", iid);
        snprintf(linebuf[i][1], 160, "%s", cat ? cat : "");
        snprintf(linebuf[i][2], 160, "%s", loc ? loc : "");
        lines[i] = (offers_line_t){linebuf[i][0], linebuf[i][1], linebuf[i][2], n, unit, line};
        json_decref(item);
    }
    const char *charge_id = strcmp(core_version ? core_version : "", "1.0.0") == 0 ? "" : fid;
    if (delivery) {
        json_array_append_new(breakup, s_row(charge_id, "Delivery charges", "delivery", delivery));
        total += delivery;
    }
    if (packing) {
        json_array_append_new(breakup, s_row(charge_id, "Packing charges", "packing", packing));
        total += packing;
    }
    json_array_extend(breakup, taxes);
    json_decref(taxes);
    taxes = NULL;
    if (discount) {
        json_array_append_new(breakup, s_row(charge_id, "Discount", "discount", -discount));
        total -= discount;
    }
    if (core_version && strcmp(core_version, "1.2.5") == 0) {
        offers_ctx_t oc = {s,     txn,   q->provider_id, q->provider, order, lines, nitems,
                           delivery, fid, clock_wall_ms()};
        if (offers_apply(&oc, breakup, &total, err) < 0)
            goto fail;
    }
    json_decref(taken);
    free(lines);
    free(linebuf);
    q->total = total;
    q->quote = json_pack("{s:o,s:o,s:s}", "price", money_json(total), "breakup", breakup, "ttl",
                         "P1D");
    return 0;
fail:
    json_decref(breakup);
    json_decref(taxes);
    json_decref(taken);
    free(lines);
    free(linebuf);
    quote_release(q);
    return -1;
}
