/*
 * catalog_variants.h - variants: items grouped by parent_item_id.
 *
 * A provider's variant group is one of its categories with a "type" tag
 * of type variant_group and an "attr" tag naming what its variants differ
 * in: item.quantity.unitized.measure (a pack size) or
 * item.tags.attribute.{code} (a colour, a size, a plating). Each variant
 * is an item of its own (its own id, price, stock: searchable and
 * orderable as any item) whose parent_item_id names the group. ONDC's
 * RET10/RET12 catalogs show the group in the provider's categories[] and
 * parent_item_id on every variant.
 *
 * Import refuses, naming the field, a parent_item_id that names no
 * variant_group of the provider, a variant without the group's attribute,
 * and two variants of one group alike in it.
 */
#ifndef ONDC_CATALOG_VARIANTS_H
#define ONDC_CATALOG_VARIANTS_H

#include "err.h"

#include <jansson.h>

/* catalog_variants_check - the variants of provider PROV (BASE its path,
 * "bpp/providers[0]"); 0, or -1 with ERR naming the field. */
int catalog_variants_check(json_t *prov, const char *base, ondc_err_t *err);

/* catalog_variant_value - the value ITEM has for variant group GROUP's
 * attribute (the unit and value of its measure, "kilogram 1", or the
 * attribute tag's value) into OUT; NULL if it has none. */
const char *catalog_variant_value(json_t *group, json_t *item, char *out, size_t cap);

#endif
