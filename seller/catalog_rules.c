/*
 * catalog_rules.c - ONDC retail's mandatory catalog attributes. See
 * catalog_rules.h; the per-domain data is in catalog_domains.c.
 */
#include "catalog_rules.h"

#include "catalog.h"
#include "catalog_domains.h"
#include "context.h"
#include "customize.h"
#include "money.h"
#include "tags.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* s_fail - ERR for the field at PATH (printf-style), -1 */
/* s_path - a JSON path into OUT; a path too long is cut (it only names
 * the field in an error) */
static void s_path(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void s_path(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, cap, fmt, ap);
    va_end(ap);
}

static int s_str(json_t *v)
{
    return json_is_string(v) && json_string_length(v) > 0;
}

/* s_need_str - O.KEY a non-empty string, else ERR at BASE.KEY */
static int s_need_str(json_t *o, const char *key, const char *base, ondc_err_t *err)
{
    if (s_str(json_object_get(o, key)))
        return 0;
    char path[200];
    s_path(path, sizeof path, "%s.%s", base, key);
    return err_field(err, path, "is required (a non-empty string)");
}

/* s_need_images - O.images a non-empty array of non-empty strings */
static int s_need_images(json_t *o, const char *base, ondc_err_t *err)
{
    json_t *im = json_object_get(o, "images");
    char path[200];
    s_path(path, sizeof path, "%s.images", base);
    if (!json_is_array(im) || json_array_size(im) == 0)
        return err_field(err, path, "is required (an array of image URLs)");
    size_t i;
    json_t *v;
    json_array_foreach(im, i, v) if (!s_str(v)) return err_field(err, path, "must hold URLs (strings)");
    return 0;
}

/* s_descriptor - a descriptor with name, symbol (filled from the first
 * image), short_desc, long_desc and images */
static int s_descriptor(json_t *owner, const char *base, ondc_err_t *err)
{
    char path[200];
    s_path(path, sizeof path, "%s.descriptor", base);
    json_t *d = json_object_get(owner, "descriptor");
    if (!json_is_object(d))
        return err_field(err, path, "is required (an object)");
    if (s_need_str(d, "name", path, err) < 0 || s_need_images(d, path, err) < 0)
        return -1;
    if (!json_object_get(d, "symbol"))
        json_object_set(d, "symbol", json_array_get(json_object_get(d, "images"), 0));
    if (s_need_str(d, "symbol", path, err) < 0 || s_need_str(d, "short_desc", path, err) < 0 ||
        s_need_str(d, "long_desc", path, err) < 0)
        return -1;
    return 0;
}

/* s_time - OWNER.time: {label, timestamp}; filled with LABEL and NOW */
static int s_time(json_t *owner, const char *label, int64_t now_ms, const char *base,
                  ondc_err_t *err)
{
    char path[200], ts[40];
    s_path(path, sizeof path, "%s.time", base);
    json_t *t = json_object_get(owner, "time");
    if (!t) {
        t = json_object();
        json_object_set_new(owner, "time", t);
    }
    if (!json_is_object(t))
        return err_field(err, path, "must be an object");
    if (!json_object_get(t, "label"))
        json_object_set_new(t, "label", json_string(label));
    const char *l = json_string_value(json_object_get(t, "label"));
    if (!l || (strcmp(l, "enable") != 0 && strcmp(l, "disable") != 0)) {
        s_path(path, sizeof path, "%s.time.label", base);
        return err_field(err, path, "must be enable or disable");
    }
    if (!json_object_get(t, "timestamp")) {
        context_format_time(now_ms, ts, sizeof ts);
        json_object_set_new(t, "timestamp", json_string(ts));
    }
    int64_t when = context_parse_time(json_string_value(json_object_get(t, "timestamp")));
    if (when < 0 || when > now_ms + 60000) {
        s_path(path, sizeof path, "%s.time.timestamp", base);
        return err_field(err, path, "must be an RFC 3339 UTC time, not in the future");
    }
    return 0;
}

/* s_gps6 - the "lat,lng" at O.KEY written with six decimals */
static int s_gps6(json_t *o, const char *key, const char *base, ondc_err_t *err)
{
    char path[200], buf[64];
    s_path(path, sizeof path, "%s.%s", base, key);
    double lat, lng;
    if (catalog_parse_gps(json_string_value(json_object_get(o, key)), &lat, &lng) < 0)
        return err_field(err, path, "is required (\"latitude,longitude\")");
    snprintf(buf, sizeof buf, "%.6f,%.6f", lat, lng);
    json_object_set_new(o, key, json_string(buf));
    return 0;
}

static int s_hhmm(const char *s)
{
    return s && strlen(s) == 4 && s[0] >= '0' && s[0] <= '2' && s[1] >= '0' && s[1] <= '9' &&
           s[2] >= '0' && s[2] <= '5' && s[3] >= '0' && s[3] <= '9' && atoi(s) <= 2359;
}

static int s_digits(const char *s, size_t min, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n < min || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* s_days - "1,2,3" (days 1-7, each once) into a bit set; -1 if malformed */
static int s_days(const char *s)
{
    int set = 0;
    if (!s || !*s)
        return -1;
    for (const char *p = s; *p;) {
        if (*p < '1' || *p > '7' || (set & (1 << (*p - '0'))))
            return -1;
        set |= 1 << (*p - '0');
        p++;
        if (*p == ',')
            p++;
        else if (*p)
            return -1;
    }
    return set;
}

static int s_location(json_t *loc, int64_t now_ms, const char *base, ondc_err_t *err)
{
    char path[200];
    if (s_gps6(loc, "gps", base, err) < 0)
        return -1;
    json_t *addr = json_object_get(loc, "address");
    s_path(path, sizeof path, "%s.address", base);
    if (!json_is_object(addr))
        return err_field(err, path, "is required (locality, street, city, area_code, state)");
    static const char *parts[] = {"locality", "street", "city", "area_code", "state"};
    for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++)
        if (s_need_str(addr, parts[k], path, err) < 0)
            return -1;
    if (!s_digits(json_string_value(json_object_get(addr, "area_code")), 6, 6)) {
        s_path(path, sizeof path, "%s.address.area_code", base);
        return err_field(err, path, "must be a six-digit pincode");
    }
    json_t *circle = json_object_get(loc, "circle");
    s_path(path, sizeof path, "%s.circle", base);
    if (!json_is_object(circle))
        return err_field(err, path, "is required (gps and radius in km)");
    if (!json_object_get(circle, "gps"))
        json_object_set(circle, "gps", json_object_get(loc, "gps"));
    if (s_gps6(circle, "gps", path, err) < 0)
        return -1;
    json_t *radius = json_object_get(circle, "radius");
    s_path(path, sizeof path, "%s.circle.radius", base);
    const char *unit = json_string_value(json_object_get(radius, "unit"));
    if (!unit || strcmp(unit, "km") != 0 ||
        !s_digits(json_string_value(json_object_get(radius, "value")), 1, 4))
        return err_field(err, path, "must be {\"unit\":\"km\",\"value\":\"5\"} (a whole number)");
    json_t *t = json_object_get(loc, "time");
    s_path(path, sizeof path, "%s.time", base);
    if (!json_is_object(t))
        return err_field(err, path, "is required (days and range start/end)");
    if (!json_object_get(t, "label"))
        json_object_set_new(t, "label", json_string("enable"));
    if (s_time(loc, "enable", now_ms, base, err) < 0)
        return -1;
    if (s_days(json_string_value(json_object_get(t, "days"))) < 0) {
        s_path(path, sizeof path, "%s.time.days", base);
        return err_field(err, path, "is required (\"1,2,3,4,5,6,7\", 1 is Monday)");
    }
    json_t *sch = json_object_get(t, "schedule");
    if (!sch) {
        sch = json_object();
        json_object_set_new(t, "schedule", sch);
    }
    if (!json_is_object(sch)) {
        s_path(path, sizeof path, "%s.time.schedule", base);
        return err_field(err, path, "must be an object");
    }
    if (!json_object_get(sch, "holidays"))
        json_object_set_new(sch, "holidays", json_array());
    json_t *range = json_object_get(t, "range");
    s_path(path, sizeof path, "%s.time.range", base);
    const char *st = json_string_value(json_object_get(range, "start"));
    const char *en = json_string_value(json_object_get(range, "end"));
    if (!s_hhmm(st) || !s_hhmm(en) || atoi(en) <= atoi(st))
        return err_field(err, path, "is required: start and end as \"HHMM\", end after start");
    return 0;
}

static int s_phone(const char *s)
{
    if (s && s[0] == '0')
        s++;
    return s_digits(s, 10, 11);
}

static int s_email(const char *s)
{
    const char *at = s ? strchr(s, '@') : NULL;
    return at && at > s && strchr(at, '.') && !strchr(s, ' ') && at[strlen(at) - 1] != '.';
}

static int s_fulfillment(json_t *f, const char *base, ondc_err_t *err)
{
    char path[200];
    if (s_need_str(f, "id", base, err) < 0)
        return -1;
    const char *type = json_string_value(json_object_get(f, "type"));
    s_path(path, sizeof path, "%s.type", base);
    if (!type || (strcmp(type, "Delivery") != 0 && strcmp(type, "Self-Pickup") != 0 &&
                  strcmp(type, "Buyer-Delivery") != 0))
        return err_field(err, path, "must be Delivery, Self-Pickup or Buyer-Delivery");
    json_t *c = json_object_get(f, "contact");
    s_path(path, sizeof path, "%s.contact.phone", base);
    if (!s_phone(json_string_value(json_object_get(c, "phone"))))
        return err_field(err, path, "is required (10 or 11 digits)");
    s_path(path, sizeof path, "%s.contact.email", base);
    if (!s_email(json_string_value(json_object_get(c, "email"))))
        return err_field(err, path, "is required (an email address)");
    return 0;
}

static int s_cat_id_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > 12)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return 1;
}

static int s_category(json_t *c, const char *base, ondc_err_t *err)
{
    char path[200];
    s_path(path, sizeof path, "%s.id", base);
    if (!s_cat_id_ok(json_string_value(json_object_get(c, "id"))))
        return err_field(err, path, "must be 1-12 letters, digits or '-' (\"VG-DAL\")");
    s_path(path, sizeof path, "%s.descriptor.name", base);
    if (!s_str(json_object_get(json_object_get(c, "descriptor"), "name")))
        return err_field(err, path, "is required");
    const char *type = tags_lookup(json_object_get(c, "tags"), "type", "type");
    s_path(path, sizeof path, "%s.tags", base);
    if (!type || (strcmp(type, "variant_group") != 0 && strcmp(type, "custom_menu") != 0 &&
                  strcmp(type, "custom_group") != 0))
        return err_field(err, path,
                         "needs a \"type\" tag whose type is variant_group, custom_menu or custom_group");
    const char *attr = tags_lookup(json_object_get(c, "tags"), "attr", "name");
    if (strcmp(type, "variant_group") == 0 &&
        (!attr || (strcmp(attr, "item.quantity.unitized.measure") != 0 &&
                   strncmp(attr, "item.tags.attribute.", 20) != 0)))
        return err_field(err, path,
                         "a variant_group needs an \"attr\" tag naming item.quantity.unitized.measure "
                         "or item.tags.attribute.{code}");
    return 0;
}

static json_t *s_find_id(json_t *arr, const char *id)
{
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e)
    {
        const char *v = json_string_value(json_object_get(e, "id"));
        if (v && id && strcmp(v, id) == 0)
            return e;
    }
    return NULL;
}

/* s_code - ITEM's descriptor.code as domain D asks */
static int s_code(json_t *item, const catalog_domain_t *d, const char *base, ondc_err_t *err)
{
    char path[200];
    s_path(path, sizeof path, "%s.descriptor.code", base);
    const char *code = json_string_value(json_object_get(json_object_get(item, "descriptor"), "code"));
    if (d->code == CATALOG_CODE_NONE && !code)
        return 0;
    if (!code || strlen(code) < 3 || code[1] != ':')
        return err_field(err, path, "is required (\"1:<EAN>\", \"3:<GTIN>\", \"4:<HSN>\")");
    const char *v = code + 2;
    switch (d->code) {
    case CATALOG_CODE_EAN:
        if (code[0] != '1' || !(s_digits(v, 8, 8) || s_digits(v, 13, 13)))
            return err_field(err, path, "must be \"1:\" and an EAN of 8 or 13 digits");
        break;
    case CATALOG_CODE_HSN:
        if (code[0] != '4' || !(s_digits(v, 4, 4) || s_digits(v, 6, 6) || s_digits(v, 8, 8) ||
                                s_digits(v, 10, 10)))
            return err_field(err, path, "must be \"4:\" and an HSN of 4, 6, 8 or 10 digits");
        break;
    case CATALOG_CODE_GTIN:
        if (code[0] != '3' || !(s_digits(v, 8, 8) || s_digits(v, 12, 14)))
            return err_field(err, path, "must be \"3:\" and a GTIN of 8, 12, 13 or 14 digits");
        break;
    default:
        if (code[0] < '1' || code[0] > '5')
            return err_field(err, path, "must start with 1: (EAN), 2: (ISBN), 3: (GTIN), 4: (HSN) or 5:");
    }
    return 0;
}

/* s_statutory - the statutory block category C needs */
static int s_statutory(json_t *item, const catalog_category_t *c, const char *base,
                       ondc_err_t *err)
{
    static const char *food[] = {"nutritional_info", "additives_info", "brand_owner_FSSAI_license_no",
                                 "other_FSSAI_license_no", "importer_FSSAI_license_no", NULL};
    static const char *comm[] = {"manufacturer_or_packer_name", "manufacturer_or_packer_address",
                                 "common_or_generic_name_of_commodity",
                                 "month_year_of_manufacture_packing_import", NULL};
    const char *key, **fields;
    if (!c || c->stat == CATALOG_STAT_NONE)
        return 0;
    if (c->stat == CATALOG_STAT_PREPACKAGED_FOOD) {
        key = "@ondc/org/statutory_reqs_prepackaged_food";
        fields = food;
    } else {
        key = "@ondc/org/statutory_reqs_packaged_commodities";
        fields = comm;
    }
    char path[200];
    s_path(path, sizeof path, "%s.%s", base, key);
    json_t *o = json_object_get(item, key);
    if (!json_is_object(o))
        return err_field(err, path, "is required for category %s", c->id);
    for (size_t k = 0; fields[k]; k++)
        if (s_need_str(o, fields[k], path, err) < 0)
            return -1;
    return 0;
}

/* s_item_tags - origin, the category's attributes, veg_nonveg (RET11) */
static int s_item_tags(json_t *item, const char *domain, const catalog_category_t *c,
                       const char *base, ondc_err_t *err)
{
    char path[200];
    json_t *tags = json_object_get(item, "tags");
    s_path(path, sizeof path, "%s.tags", base);
    if (!json_is_array(tags))
        return err_field(err, path, "is required (an \"origin\" tag at least)");
    const char *country = tags_lookup(tags, "origin", "country");
    if (!country || strlen(country) != 3 || country[0] < 'A' || country[0] > 'Z' ||
        country[1] < 'A' || country[1] > 'Z' || country[2] < 'A' || country[2] > 'Z')
        return err_field(err, path,
                         "needs an \"origin\" tag with the country of origin (\"IND\", ISO 3166 alpha-3)");
    if (strcmp(domain, "ONDC:RET11") == 0 && !tags_find(tags, "veg_nonveg"))
        return err_field(err, path, "needs a \"veg_nonveg\" tag (veg, non_veg or egg)");
    if (!c || !c->attrs)
        return 0;
    json_t *attr = tags_list(tags_find(tags, "attribute"));
    const char *p = c->attrs;
    while (*p) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        char code[64];
        snprintf(code, sizeof code, "%.*s", (int)(n < sizeof code ? n : sizeof code - 1), p);
        const char *v = tags_value(attr, code);
        if (!v || !*v)
            return err_field(err, path, "needs an \"attribute\" tag with \"%s\" (category %s)", code,
                             c->id);
        p += n;
        if (*p == '|')
            p++;
    }
    return 0;
}

static int s_flag(json_t *item, const char *key, const char *base, ondc_err_t *err)
{
    char path[200];
    s_path(path, sizeof path, "%s.%s", base, key);
    return json_is_boolean(json_object_get(item, key)) ? 0 : err_field(err, path, "is required (true or false)");
}

static int s_duration(json_t *item, const char *key, const char *base, ondc_err_t *err)
{
    char path[200];
    s_path(path, sizeof path, "%s.%s", base, key);
    json_t *v = json_object_get(item, key);
    return json_is_string(v) && context_parse_duration(json_string_value(v)) >= 0
               ? 0
               : err_field(err, path, "is required (an ISO 8601 duration, \"P7D\", \"PT45M\")");
}

static int s_unit_ok(const char *u)
{
    static const char *units[] = {"unit", "dozen", "gram", "kilogram", "tonne", "litre", "millilitre"};
    for (size_t i = 0; u && i < sizeof units / sizeof units[0]; i++)
        if (strcmp(u, units[i]) == 0)
            return 1;
    return 0;
}

/* s_option - a customization (customize.h): a price with its MRP, a
 * category and a time, as ONDC's RET11 examples have them; the rest of an
 * item's attributes are its item's */
static int s_option(json_t *item, int64_t now_ms, const char *base, ondc_err_t *err)
{
    char path[200];
    json_t *price = json_object_get(item, "price");
    if (!json_object_get(price, "maximum_value"))
        json_object_set(price, "maximum_value", json_object_get(price, "value"));
    s_path(path, sizeof path, "%s.category_id", base);
    if (!s_str(json_object_get(item, "category_id")))
        return err_field(err, path, "is required");
    return s_time(item, json_is_false(json_object_get(item, "enabled")) ? "disable" : "enable",
                  now_ms, base, err);
}

static int s_item(json_t *item, json_t *prov, const char *domain, const catalog_domain_t *d,
                  int64_t now_ms, const char *base, ondc_err_t *err)
{
    char path[200];
    if (customize_is_option(item))
        return s_option(item, now_ms, base, err);
    if (s_descriptor(item, base, err) < 0 || s_code(item, d, base, err) < 0)
        return -1;
    if (s_time(item, json_is_false(json_object_get(item, "enabled")) ? "disable" : "enable", now_ms,
               base, err) < 0)
        return -1;
    json_t *measure = json_object_get(json_object_get(json_object_get(item, "quantity"), "unitized"),
                                      "measure");
    s_path(path, sizeof path, "%s.quantity.unitized.measure", base);
    int64_t mv;
    if (!s_unit_ok(json_string_value(json_object_get(measure, "unit"))) ||
        money_parse_json(json_object_get(measure, "value"), &mv) < 0 || mv <= 0)
        return err_field(err, path,
                         "is required: unit (unit, dozen, gram, kilogram, tonne, litre, millilitre) "
                         "and a value above 0 (\"500\")");
    json_t *price = json_object_get(item, "price");
    if (!json_object_get(price, "maximum_value"))
        json_object_set(price, "maximum_value", json_object_get(price, "value"));
    int64_t pv, pm;
    s_path(path, sizeof path, "%s.price.maximum_value", base);
    if (money_parse_json(json_object_get(price, "value"), &pv) < 0 ||
        money_parse_json(json_object_get(price, "maximum_value"), &pm) < 0 || pm < pv)
        return err_field(err, path, "must be an amount (the MRP) not below price.value");
    const char *cat = json_string_value(json_object_get(item, "category_id"));
    s_path(path, sizeof path, "%s.category_id", base);
    if (!cat)
        return err_field(err, path, "is required (an ONDC category of %s)", domain);
    const catalog_category_t *c = catalog_domain_category(d, cat);
    if (d->categories && !c)
        return err_field(err, path, "\"%s\" is not one of ONDC's categories for %s", cat, domain);
    json_t *locs = json_object_get(prov, "locations"), *fuls = json_object_get(prov, "fulfillments");
    if (!json_object_get(item, "location_id") && json_array_size(locs) == 1)
        json_object_set(item, "location_id", json_object_get(json_array_get(locs, 0), "id"));
    if (!json_object_get(item, "fulfillment_id") && json_array_size(fuls) == 1)
        json_object_set(item, "fulfillment_id", json_object_get(json_array_get(fuls, 0), "id"));
    if (s_need_str(item, "location_id", base, err) < 0 ||
        s_need_str(item, "fulfillment_id", base, err) < 0)
        return -1;
    s_path(path, sizeof path, "%s.fulfillment_id", base);
    if (!s_find_id(fuls, json_string_value(json_object_get(item, "fulfillment_id"))))
        return err_field(err, path, "must name one of the provider's fulfillments");
    static const char *flags[] = {"@ondc/org/returnable", "@ondc/org/cancellable",
                                  "@ondc/org/seller_pickup_return", "@ondc/org/available_on_cod"};
    for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++)
        if (s_flag(item, flags[k], base, err) < 0)
            return -1;
    if (s_duration(item, "@ondc/org/return_window", base, err) < 0 ||
        s_duration(item, "@ondc/org/time_to_ship", base, err) < 0)
        return -1;
    const char *care_key = "@ondc/org/contact_details_consumer_care";
    if (!json_object_get(item, care_key)) {
        json_t *contact = json_object_get(json_array_get(fuls, 0), "contact");
        char care[400];
        snprintf(care, sizeof care, "%s,%s,%s",
                 json_string_value(json_object_get(json_object_get(prov, "descriptor"), "name")),
                 json_string_value(json_object_get(contact, "email")),
                 json_string_value(json_object_get(contact, "phone")));
        json_object_set_new(item, care_key, json_string(care));
    }
    const char *care = json_string_value(json_object_get(item, care_key));
    const char *c1 = care ? strchr(care, ',') : NULL, *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
    char email[200];
    if (c1 && c2)
        snprintf(email, sizeof email, "%.*s", (int)(c2 - c1 - 1), c1 + 1);
    s_path(path, sizeof path, "%s.%s", base, care_key);
    if (!c1 || !c2 || c1 == care || !s_email(email) || !s_phone(c2 + 1))
        return err_field(err, path, "must be \"name,email,phone\"");
    if (s_item_tags(item, domain, c, base, err) < 0 || s_statutory(item, c, base, err) < 0)
        return -1;
    json_t *parent = json_object_get(item, "parent_item_id");
    if (parent) {
        json_t *vg = s_find_id(json_object_get(prov, "categories"), json_string_value(parent));
        const char *type = tags_lookup(json_object_get(vg, "tags"), "type", "type");
        s_path(path, sizeof path, "%s.parent_item_id", base);
        if (!vg || !type || strcmp(type, "variant_group") != 0)
            return err_field(err, path, "must name one of the provider's variant_group categories");
    }
    return 0;
}

/* s_timing - the provider's "timing" tags: one of type All per location,
 * from its days and range, when the provider gives none */
static int s_timing(json_t *prov, const char *base, ondc_err_t *err)
{
    char path[200];
    json_t *tags = json_object_get(prov, "tags");
    if (!tags) {
        tags = json_array();
        json_object_set_new(prov, "tags", tags);
    }
    s_path(path, sizeof path, "%s.tags", base);
    if (!json_is_array(tags))
        return err_field(err, path, "must be an array");
    size_t pos = 0;
    json_t *tg;
    int any = 0;
    while ((tg = tags_next(tags, "timing", &pos)) != NULL) {
        any = 1;
        json_t *l = tags_list(tg);
        const char *type = tags_value(l, "type"), *loc = tags_value(l, "location");
        const char *tf = tags_value(l, "time_from"), *tt = tags_value(l, "time_to");
        const char *df = tags_value(l, "day_from"), *dt = tags_value(l, "day_to");
        if (!type || (loc && !s_find_id(json_object_get(prov, "locations"), loc)) ||
            !s_hhmm(tf) || !s_hhmm(tt) || atoi(tt) <= atoi(tf) || !df || !dt ||
            s_days(df) < 0 || s_days(dt) < 0 || atoi(dt) < atoi(df))
            return err_field(err, path,
                             "a \"timing\" tag needs type (All, Order, Delivery, Self-Pickup), "
                             "location, day_from <= day_to (1-7), time_from < time_to (\"HHMM\")");
    }
    if (any)
        return 0;
    size_t i;
    json_t *loc;
    json_array_foreach(json_object_get(prov, "locations"), i, loc)
    {
        json_t *t = json_object_get(loc, "time");
        int days = s_days(json_string_value(json_object_get(t, "days")));
        int lo = 0, hi = 0;
        for (int dd = 1; dd <= 7; dd++)
            if (days & (1 << dd)) {
                if (!lo)
                    lo = dd;
                hi = dd;
            }
        for (int dd = lo; dd <= hi; dd++)
            if (!(days & (1 << dd)))
                return err_field(err, path,
                                 "give a \"timing\" tag: locations[%zu].time.days are not one run "
                                 "of days",
                                 i);
        char dfs[12], dts[12];
        snprintf(dfs, sizeof dfs, "%d", lo);
        snprintf(dts, sizeof dts, "%d", hi);
        json_t *range = json_object_get(t, "range");
        json_array_append_new(
            tags, json_pack("{s:s,s:[{s:s,s:s},{s:s,s:O},{s:s,s:s},{s:s,s:s},{s:s,s:O},{s:s,s:O}]}",
                            "code", "timing", "list", "code", "type", "value", "All", "code",
                            "location", "value", json_object_get(loc, "id"), "code", "day_from",
                            "value", dfs, "code", "day_to", "value", dts, "code", "time_from",
                            "value", json_object_get(range, "start"), "code", "time_to", "value",
                            json_object_get(range, "end")));
    }
    return 0;
}

/* s_serviceability - a serviceability tag for each location and each
 * category its items name; missing ones from the location's circle */
static int s_serviceability(json_t *prov, const char *base, ondc_err_t *err)
{
    char path[200];
    json_t *tags = json_object_get(prov, "tags");
    s_path(path, sizeof path, "%s.tags", base);
    json_t *cats = json_object(); /* categories the items name: a set */
    size_t i, pos;
    json_t *it, *tg, *loc;
    json_array_foreach(json_object_get(prov, "items"), i, it)
    {
        const char *c = json_string_value(json_object_get(it, "category_id"));
        if (c)
            json_object_set_new(cats, c, json_true());
    }
    pos = 0;
    while ((tg = tags_next(tags, "serviceability", &pos)) != NULL) {
        json_t *l = tags_list(tg);
        const char *lid = tags_value(l, "location"), *cat = tags_value(l, "category");
        const char *type = tags_value(l, "type"), *val = tags_value(l, "val");
        const char *unit = tags_value(l, "unit");
        loc = s_find_id(json_object_get(prov, "locations"), lid);
        int ok = loc && cat && type && val && unit && json_array_size(l) == 5;
        if (ok && strcmp(type, "10") == 0)
            ok = strcmp(unit, "km") == 0 &&
                 strcmp(val, json_string_value(json_object_get(
                                 json_object_get(json_object_get(loc, "circle"), "radius"), "value")) ?: "") == 0;
        else if (ok && strcmp(type, "11") == 0)
            ok = strcmp(unit, "pincode") == 0;
        else if (ok && strcmp(type, "12") == 0)
            ok = strcmp(unit, "country") == 0 && strcmp(val, "IND") == 0;
        else if (ok)
            ok = strcmp(type, "13") == 0;
        if (!ok) {
            json_decref(cats);
            return err_field(err, path,
                             "a \"serviceability\" tag needs exactly location (one of the "
                             "provider's), category, type and val, unit: 10 (val = the location's "
                             "circle radius, unit km), 11 (pincodes), 12 (IND, country), 13");
        }
    }
    json_array_foreach(json_object_get(prov, "locations"), i, loc)
    {
        const char *lid = json_string_value(json_object_get(loc, "id"));
        const char *cat;
        json_t *v;
        json_object_foreach(cats, cat, v)
        {
            int have = 0;
            pos = 0;
            while (!have && (tg = tags_next(tags, "serviceability", &pos)) != NULL) {
                const char *tl = tags_value(tags_list(tg), "location");
                const char *tc = tags_value(tags_list(tg), "category");
                have = tl && tc && strcmp(tl, lid) == 0 && strcmp(tc, cat) == 0;
            }
            if (have)
                continue;
            json_array_append_new(
                tags,
                json_pack("{s:s,s:[{s:s,s:s},{s:s,s:s},{s:s,s:s},{s:s,s:O},{s:s,s:s}]}", "code",
                          "serviceability", "list", "code", "location", "value", lid, "code",
                          "category", "value", cat, "code", "type", "value", "10", "code", "val",
                          "value",
                          json_object_get(json_object_get(json_object_get(loc, "circle"), "radius"),
                                          "value"),
                          "code", "unit", "value", "km"));
        }
    }
    json_decref(cats);
    return 0;
}

const char *catalog_provider_domain(json_t *prov)
{
    const char *d = json_string_value(json_object_get(json_object_get(prov, "seller"), "domain"));
    return d ? d : CATALOG_DEFAULT_DOMAIN;
}

static int s_provider(json_t *p, json_t *root, int64_t now_ms, const char *base, ondc_err_t *err)
{
    char path[200];
    json_t *seller = json_object_get(p, "seller");
    if (!seller) {
        seller = json_object();
        json_object_set_new(p, "seller", seller);
    }
    json_t *dom = json_object_get(seller, "domain");
    if (!dom)
        dom = json_object_get(root, "domain");
    /* a copy: setting seller.domain below frees the string it came from */
    char domain[32];
    const char *dv = dom ? json_string_value(dom) : CATALOG_DEFAULT_DOMAIN;
    s_path(path, sizeof path, "%s.seller.domain", base);
    if (!dv || strlen(dv) >= sizeof domain)
        return err_field(err, path, "must be nic2004:52110 or a retail domain ONDC:RET10 .. ONDC:RET19");
    snprintf(domain, sizeof domain, "%s", dv);
    const catalog_domain_t *d = catalog_domain(domain);
    if (!d && strcmp(domain, "nic2004:52110") != 0)
        return err_field(err, path, "must be nic2004:52110 or a retail domain ONDC:RET10 .. ONDC:RET19");
    json_object_set_new(seller, "domain", json_string(domain));
    if (!d)
        return 0; /* core 1.0.0: the basic checks only */
    if (s_descriptor(p, base, err) < 0 || s_time(p, "enable", now_ms, base, err) < 0)
        return -1;
    if (!json_object_get(p, "ttl"))
        json_object_set_new(p, "ttl", json_string("P1D"));
    s_path(path, sizeof path, "%s.ttl", base);
    if (!json_is_string(json_object_get(p, "ttl")) ||
        context_parse_duration(json_string_value(json_object_get(p, "ttl"))) < 0)
        return err_field(err, path, "must be an ISO 8601 duration (\"P1D\")");
    size_t i;
    json_t *e;
    s_path(path, sizeof path, "%s.locations", base);
    if (json_array_size(json_object_get(p, "locations")) == 0)
        return err_field(err, path, "at least one store location is required");
    json_array_foreach(json_object_get(p, "locations"), i, e)
    {
        char b[160];
        s_path(b, sizeof b, "%s.locations[%zu]", base, i);
        if (s_location(e, now_ms, b, err) < 0)
            return -1;
    }
    s_path(path, sizeof path, "%s.fulfillments", base);
    if (json_array_size(json_object_get(p, "fulfillments")) == 0)
        return err_field(err, path, "at least one fulfillment (id, type, contact) is required");
    json_array_foreach(json_object_get(p, "fulfillments"), i, e)
    {
        char b[160];
        s_path(b, sizeof b, "%s.fulfillments[%zu]", base, i);
        if (s_fulfillment(e, b, err) < 0)
            return -1;
    }
    s_path(path, sizeof path, "%s.categories", base);
    json_t *cats = json_object_get(p, "categories");
    if (!json_is_array(cats) || json_array_size(cats) == 0)
        return err_field(err, path,
                         "at least one category is required (a variant_group: ONDC retail asks "
                         "every seller app to support variants)");
    json_array_foreach(cats, i, e)
    {
        char b[160];
        s_path(b, sizeof b, "%s.categories[%zu]", base, i);
        if (s_category(e, b, err) < 0)
            return -1;
        for (size_t k = 0; k < i; k++)
            if (json_equal(json_object_get(json_array_get(cats, k), "id"), json_object_get(e, "id")))
                return err_field(err, b, "duplicate category id");
    }
    json_array_foreach(json_object_get(p, "items"), i, e)
    {
        char b[160];
        s_path(b, sizeof b, "%s.items[%zu]", base, i);
        if (s_item(e, p, domain, d, now_ms, b, err) < 0)
            return -1;
    }
    if (s_timing(p, base, err) < 0 || s_serviceability(p, base, err) < 0)
        return -1;
    return 0;
}

/* s_bpp - bpp/descriptor and bpp/fulfillments (ids filled: the id of a
 * provider fulfillment of the same type, else the type's position) */
static int s_bpp(json_t *root, int full, ondc_err_t *err)
{
    json_t *d = json_object_get(root, "bpp/descriptor");
    if (d || full) {
        if (!json_is_object(d))
            return err_field(err, "bpp/descriptor", "is required (an object)");
        json_t *wrap = json_pack("{s:O}", "descriptor", d);
        int rc = s_descriptor(wrap, "bpp", err);
        json_decref(wrap);
        if (rc < 0)
            return -1;
    }
    json_t *bf = json_object_get(root, "bpp/fulfillments");
    if (!bf && full) {
        bf = json_array();
        json_object_set_new(root, "bpp/fulfillments", bf);
        size_t i, j;
        json_t *p, *f;
        json_array_foreach(json_object_get(root, "bpp/providers"), i, p)
            json_array_foreach(json_object_get(p, "fulfillments"), j, f)
        {
            json_t *type = json_object_get(f, "type");
            size_t k;
            json_t *have;
            int dup = 0;
            json_array_foreach(bf, k, have) dup |= json_equal(json_object_get(have, "type"), type);
            if (!dup && json_is_string(type))
                json_array_append_new(bf, json_pack("{s:O}", "type", type));
        }
    }
    if (bf && !json_is_array(bf))
        return err_field(err, "bpp/fulfillments", "must be an array");
    size_t i;
    json_t *f;
    json_array_foreach(bf, i, f)
    {
        char b[64];
        s_path(b, sizeof b, "bpp/fulfillments[%zu]", i);
        const char *type = json_string_value(json_object_get(f, "type"));
        if (!type)
            return err_field(err, b, "needs a type");
        if (json_object_get(f, "id"))
            continue;
        size_t pi, fi;
        json_t *p, *pf;
        json_t *id = NULL;
        json_array_foreach(json_object_get(root, "bpp/providers"), pi, p)
            json_array_foreach(json_object_get(p, "fulfillments"), fi, pf) if (!id &&
                                                                               json_equal(
                                                                                   json_object_get(pf, "type"),
                                                                                   json_object_get(f, "type"))) id =
                json_object_get(pf, "id");
        char num[24];
        snprintf(num, sizeof num, "%zu", i + 1);
        json_object_set_new(f, "id", id ? json_incref(id) : json_string(num));
    }
    return 0;
}

int catalog_rules_apply(json_t *root, int full, int64_t now_ms, ondc_err_t *err)
{
    size_t i;
    json_t *p;
    int retail = 0;
    json_t *dom = json_object_get(root, "domain");
    if (dom && !json_is_string(dom))
        return err_field(err, "domain", "must be a domain string (\"ONDC:RET10\")");
    json_array_foreach(json_object_get(root, "bpp/providers"), i, p)
    {
        char base[64];
        snprintf(base, sizeof base, "bpp/providers[%zu]", i);
        if (s_provider(p, root, now_ms, base, err) < 0)
            return -1;
        retail |= catalog_domain(catalog_provider_domain(p)) != NULL;
    }
    return retail ? s_bpp(root, full, err) : 0;
}
