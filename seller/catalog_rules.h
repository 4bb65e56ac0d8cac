/*
 * catalog_rules.h - ONDC retail's mandatory catalog attributes, checked
 * (and, where they follow from the rest of the catalog, filled in) before
 * a catalog is written.
 *
 * Each provider belongs to one domain: its "seller"."domain", else the
 * catalog's top-level "domain", else ONDC:RET10 (grocery); the domain is
 * written back into "seller" so search can tell providers apart. A
 * provider of nic2004:52110 (core 1.0.0) gets the basic checks only. For
 * ONDC:RET10 .. ONDC:RET19 (catalog_domains.h has the per-domain data):
 *
 * Required, refused with the field named when missing or malformed:
 *   bpp/descriptor name, short_desc, long_desc, images (a full catalog);
 *   provider descriptor name, short_desc, long_desc, images; at least one
 *   location with address (locality, street, city, area_code, state),
 *   gps, circle.radius (km, whole number) and time (days, range start and
 *   end as "HHMM"); fulfillments with id, type (Delivery, Self-Pickup,
 *   Buyer-Delivery) and contact phone (10-11 digits) and email; categories
 *   (ids of 1-12 letters, digits or '-'; type variant_group, custom_menu
 *   or custom_group); items with descriptor short_desc, long_desc, images,
 *   code (1:EAN, 3:GTIN, 4:HSN as the domain asks), quantity.unitized
 *   measure (unit and value), category_id from ONDC's list for the domain,
 *   the @ondc/org flags returnable, cancellable, seller_pickup_return,
 *   available_on_cod and durations return_window, time_to_ship, an
 *   "origin" tag (country, ISO 3166 alpha-3), the "attribute" tag codes
 *   the category needs, a "veg_nonveg" tag (RET11), the statutory block
 *   of a grocery category (prepackaged food / packaged commodities), and a
 *   parent_item_id that names a variant_group category.
 *
 * Filled when absent: bpp/fulfillments (one per fulfillment type the
 * providers offer) and their ids; descriptor symbols (the first image);
 * provider and item "time" (label enable, or disable for an item with
 * "enabled": false; timestamp NOW_MS); provider ttl (P1D); location
 * time.label, time.timestamp, time.schedule.holidays and circle.gps;
 * gps written with six decimals; price.maximum_value (the price); an
 * item's location_id / fulfillment_id when the provider has only one;
 * @ondc/org/contact_details_consumer_care ("name,email,phone" from the
 * provider's first fulfillment contact); the provider's "timing" tag (type
 * All, from each location's days and range); a "serviceability" tag for
 * each location and item category that has none (the location's circle
 * radius, type 10).
 *
 * ROOT is changed in place. No config keys.
 */
#ifndef ONDC_CATALOG_RULES_H
#define ONDC_CATALOG_RULES_H

#include "err.h"

#include <jansson.h>
#include <stdint.h>

/* the domain of a provider whose catalog names none */
#define CATALOG_DEFAULT_DOMAIN "ONDC:RET10"

/* catalog_rules_apply - check and complete ROOT (see above); FULL: ROOT is
 * the whole catalog (a replace), not an upsert of some providers. 0, or -1
 * with ERR (30000, path "bpp/providers[0].items[2].descriptor.code"). */
int catalog_rules_apply(json_t *root, int full, int64_t now_ms, ondc_err_t *err);

/* catalog_provider_domain - the domain recorded on stored provider PROV
 * ("seller"."domain"); CATALOG_DEFAULT_DOMAIN when none. Borrowed. */
const char *catalog_provider_domain(json_t *prov);

#endif
