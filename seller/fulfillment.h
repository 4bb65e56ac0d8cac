/*
 * fulfillment.h - the delivery fulfillment of an order as retail 1.2.0
 * shows it from on_confirm on: pick-up and delivery windows, the
 * timestamps of pick-up and delivery, the routing and tracking tags, and
 * the return-to-origin (RTO) fulfillment of a delivery cancelled after
 * pick-up.
 *
 * Windows: the pick-up window opens when the order is confirmed, or when
 * the store next opens if it is closed then (the location's time.days,
 * ISO weekdays 1-7, and time.range "HHMM" start/end, India time), and
 * lasts the items' time to ship; the delivery window follows it for the
 * delivery time, so that both together are the TAT quoted on on_select.
 * They are set once, at confirm, and never move; the timestamps are added
 * beside them. The routing type is the provider's seller.routing ("P2P",
 * hyperlocal, by default; "P2H2P" through a hub); the tracking tag says
 * what the fulfillment's tracking flag said on on_select. No config key.
 */
#ifndef ONDC_FULFILLMENT_H
#define ONDC_FULFILLMENT_H

#include <jansson.h>
#include <stdint.h>

/* fulfillment_open_at - the first moment at or after NOW_MS (ms since the
 * epoch) when LOCATION (a catalog location) is open; NOW_MS when its
 * hours are not given. */
int64_t fulfillment_open_at(json_t *location, int64_t now_ms);

/* fulfillment_windows - set F's start.time.range (pick-up: SHIP_S seconds
 * from when LOCATION opens at or after NOW_MS) and end.time.range
 * (delivery: the DELIVER_S seconds after it), keeping what else start and
 * end hold. */
void fulfillment_windows(json_t *f, json_t *location, int64_t now_ms, long ship_s, long deliver_s);

/* fulfillment_tags - F's tags: routing (type ROUTING, "P2P" when NULL or
 * neither P2P nor P2H2P) and tracking (url_enabled as F's tracking flag,
 * gps_enabled "no"); groups already there are kept. */
void fulfillment_tags(json_t *f, const char *routing);

/* fulfillment_stamp - set F's WHERE ("start" or "end") time.timestamp to
 * TS, keeping the window beside it. */
void fulfillment_stamp(json_t *f, const char *where, const char *ts);

/* fulfillment_rto - the RTO fulfillment of delivery fulfillment F: id
 * "RTO-{F's id}", state RTO-Initiated, from F's drop-off (start, with
 * TS as its timestamp) back to F's store (end). Caller owns. */
json_t *fulfillment_rto(json_t *f, const char *ts);

#endif
