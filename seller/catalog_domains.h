/*
 * catalog_domains.h - what ONDC retail asks of a catalog per domain
 * (ONDC:RET10 .. ONDC:RET19): the category ids an item may name, the
 * attributes ("attribute" tag codes) an item of a category must carry,
 * the statutory block a grocery category needs, and the kind of
 * descriptor.code (EAN, HSN, GTIN). Static data; nothing to free.
 */
#ifndef ONDC_CATALOG_DOMAINS_H
#define ONDC_CATALOG_DOMAINS_H

#include <stddef.h>

typedef enum {
    CATALOG_STAT_NONE = 0,
    CATALOG_STAT_PREPACKAGED_FOOD,    /* @ondc/org/statutory_reqs_prepackaged_food */
    CATALOG_STAT_PACKAGED_COMMODITIES /* @ondc/org/statutory_reqs_packaged_commodities */
} catalog_stat_t;

typedef enum {
    CATALOG_CODE_NONE = 0, /* descriptor.code not required */
    CATALOG_CODE_EAN,      /* "1:" + 8 or 13 digits */
    CATALOG_CODE_HSN,      /* "4:" + 4, 6, 8 or 10 digits */
    CATALOG_CODE_GTIN,     /* "3:" + 8, 12, 13 or 14 digits */
    CATALOG_CODE_ANY       /* "1:" .. "5:" + a value */
} catalog_code_t;

typedef struct {
    const char *id;    /* the category_id, as ONDC spells it */
    const char *attrs; /* mandatory attribute codes, '|' between, or NULL */
    catalog_stat_t stat;
} catalog_category_t;

typedef struct {
    const char *domain;
    catalog_code_t code;
    const catalog_category_t *categories; /* NULL: any category id */
    size_t ncategories;
} catalog_domain_t;

/* catalog_domain - the rules of DOMAIN ("ONDC:RET12"), or NULL when it is
 * not a retail 1.2.x domain (nic2004:52110). */
const catalog_domain_t *catalog_domain(const char *domain);

/* catalog_domain_category - category ID of D, or NULL when D does not list it. */
const catalog_category_t *catalog_domain_category(const catalog_domain_t *d, const char *id);

#endif
