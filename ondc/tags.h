/*
 * tags.h - look-up in Beckn tag groups: the "tags" arrays of providers,
 * items, fulfillments and orders.
 *
 * Two shapes are read alike, as buyer apps and catalogs send both:
 *   Beckn 1.2: [{"descriptor":{"code":G},
 *                "list":[{"descriptor":{"code":C}, "value":V}]}]
 *   older:     [{"code":G, "list":[{"code":C, "value":V}]}]
 * A node's code is its "code" when that is a string, else its descriptor's
 * "code" when that is a string; a node with neither has no code and
 * matches nothing.
 *
 * Invariants: never fails on a malformed document: an argument that is
 * NULL, not an array (TAGS, a list) or not an object (a group, an entry)
 * reads as empty. Values are strings; a value of another JSON type reads
 * as missing (NULL), and the look-up does not go on to a later entry.
 *
 * Ownership: every pointer returned is borrowed from the document, valid
 * until it is changed or freed. Nothing is allocated. No config keys.
 */
#ifndef ONDC_TAGS_H
#define ONDC_TAGS_H

#include <jansson.h>
#include <stddef.h>

/* tags_code - the code of a tag group or list entry NODE (see above); NULL
 * when it has none. */
const char *tags_code(const json_t *node);

/* tags_next - the next element of ARR (a tags array or a group's list), at
 * index *POS or after it, whose code is CODE; *POS moves past it, so that
 * calling again finds the one after. NULL when there is none left. */
json_t *tags_next(json_t *arr, const char *code, size_t *pos);

/* tags_find - the first element of ARR whose code is CODE, or NULL. */
json_t *tags_find(json_t *arr, const char *code);

/* tags_list - GROUP's "list" when it is an array, else NULL. */
json_t *tags_list(const json_t *group);

/* tags_value - the string value of the first entry of LIST whose code is
 * CODE; NULL when there is none or its value is not a string. */
const char *tags_value(json_t *list, const char *code);

/* tags_lookup - the value of entry CODE in group GROUP of TAGS: the groups
 * coded GROUP in order, the first that has an entry CODE answers, as
 * tags_value does. */
const char *tags_lookup(json_t *tags, const char *group, const char *code);

#endif
