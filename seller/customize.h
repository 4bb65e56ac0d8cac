/*
 * customize.h - customizations (ONDC retail RET11, food and beverage).
 *
 * The catalog shape of ONDC's RET11 examples: a provider's categories hold
 * custom groups ("type" tag custom_group, a "config" tag with min, max,
 * input and seq: how many of the group's options the buyer picks) and
 * custom menus ("type" tag custom_menu, a "timing" tag with day_from,
 * day_to, time_from, time_to, a "display" tag with rank). An item ("type"
 * tag item) opens its groups with "custom_group" tags; a customization is
 * an item of its own ("type" tag customization) with a "parent" tag naming
 * the group it belongs to (and whether it is the default) and "child" tags
 * naming the groups choosing it opens. A customization has its own price
 * and its own stock. An item lists the menus it is shown in with
 * category_ids "{menu}:{rank}".
 *
 * In select/init/confirm the buyer app sends one instance of a customized
 * item as the item and its chosen customizations sharing a parent_item_id
 * (an id of the buyer app's, "P0"), each customization with a "parent" tag
 * naming its group. The quote has a row per item and per customization,
 * each with item.parent_item_id and item.tags as the order has them.
 *
 * An item with custom groups carries in its price the "tags" of ONDC's
 * RET11 catalog, made by the node (whatever the file says), in this order:
 *   range {lower, upper}: the least and the most the item costs with a
 *     valid choice: its price plus, for each group it opens, the min
 *     cheapest (the max dearest) options, each with what the groups it
 *     opens add in turn;
 *   default_selection {value, maximum_value}: the item with its default
 *     options (parent tag default "yes"), and theirs below them: their
 *     prices, and their MRPs (maximum_value, else the price).
 * A disabled customization is left out. A group that two options chosen
 * together open is counted for each of them.
 *
 * Import refuses, naming the field: a group whose min is above its max,
 * an item or a customization naming a group the provider does not have,
 * a customization cycle (a group reachable again from its own options),
 * a menu without a valid timing, a category_ids entry naming no menu.
 */
#ifndef ONDC_CUSTOMIZE_H
#define ONDC_CUSTOMIZE_H

#include "err.h"
#include "store.h"

#include <jansson.h>

/* customize_check - the custom groups, menus and customizations of
 * provider PROV (BASE its path); 0, or -1 with ERR naming the field. */
int customize_check(json_t *prov, const char *base, ondc_err_t *err);

/* customize_is_option - whether catalog ITEM is a customization. */
int customize_is_option(json_t *item);

/* customize_group_of - the group a customization belongs to (its "parent"
 * tag's id); NULL for an item. Borrowed from ITEM. */
const char *customize_group_of(json_t *item);

typedef int(customize_group_fn)(const char *group, void *arg);

/* customize_each_group - call FN with each group catalog ITEM opens: an
 * item's custom_group ids, a customization's child ids. */
int customize_each_group(json_t *item, customize_group_fn *fn, void *arg);

/* customize_check_order - the customized items of ORDER (message.order of
 * select/init/confirm) against the catalog of provider PID: each
 * instance (parent_item_id) has one item, every customization belongs to
 * a group the instance has opened, each opened group has from min to max
 * options chosen, a customization's count is its item's. 0, or -1 with
 * ERR (30000, the path of the item at fault). */
int customize_check_order(store_t *s, MDB_txn *txn, const char *pid, json_t *provider,
                          json_t *order, ondc_err_t *err);

/* customize_price_tags - set the price tags above on each customizable
 * item of provider PROV (its categories and items, in place); the number
 * of items whose price changed. */
int customize_price_tags(json_t *prov);

/* customize_refresh - the same over the stored items of provider PID,
 * each item whose price tags change written again (catalog_put_item):
 * after a price, MRP or enabled change, or an upsert. 0 or -1. */
int customize_refresh(store_t *s, MDB_txn *txn, const char *pid);

/* customize_row_item - the "item" object parts that a quote row of
 * request item REQ carries: {parent_item_id, tags} as the order has them
 * (type and parent tags only); NULL when REQ has neither. Caller owns. */
json_t *customize_row_item(json_t *req);

#endif
