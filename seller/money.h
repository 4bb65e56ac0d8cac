/*
 * money.h - amounts as integer paise; never floating point inside.
 *
 * ONDC sends prices as decimal strings ("99.00", "99", "99.5") and some
 * buyer apps as JSON numbers; both are parsed exactly into paise, and every
 * amount we send is a decimal string with two places.
 */
#ifndef ONDC_MONEY_H
#define ONDC_MONEY_H

#include <jansson.h>
#include <stdint.h>

/* money_parse - decimal text (at most 2 places, optional sign) to paise;
 * 0 ok, -1 malformed or out of range (|x| >= 10^13 rupees). */
int money_parse(const char *s, int64_t *paise);

/* money_parse_json - a JSON string or number to paise; 0 or -1. Reals are
 * read through their shortest decimal form, then parsed as text. */
int money_parse_json(json_t *v, int64_t *paise);

/* money_format - paise to "99.00" in OUT (>= 24 bytes). */
void money_format(int64_t paise, char *out, size_t outlen);

/* money_json - {"currency":"INR","value":"99.00"}; caller owns. */
json_t *money_json(int64_t paise);

/* money_percent - PAISE * BASIS_POINTS / 10000, rounded half up. */
int64_t money_percent(int64_t paise, int64_t basis_points);

#endif
