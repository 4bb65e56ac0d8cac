/*
 * money.c - exact decimal amounts in paise. See money.h.
 */
#include "money.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MONEY_MAX_RUPEES 10000000000000LL

int money_parse(const char *s, int64_t *paise)
{
    if (!s)
        return -1;
    int neg = 0;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    if (!isdigit((unsigned char)*s))
        return -1;
    int64_t rupees = 0;
    while (isdigit((unsigned char)*s)) {
        rupees = rupees * 10 + (*s++ - '0');
        if (rupees >= MONEY_MAX_RUPEES)
            return -1;
    }
    int64_t frac = 0;
    if (*s == '.') {
        s++;
        int n = 0;
        while (isdigit((unsigned char)*s)) {
            if (n >= 2) {
                if (*s != '0') /* more than two places that are not zero */
                    return -1;
            } else {
                frac = frac * 10 + (*s - '0');
            }
            n++;
            s++;
        }
        if (n == 0)
            return -1;
        if (n == 1)
            frac *= 10;
    }
    if (*s)
        return -1;
    *paise = (rupees * 100 + frac) * (neg ? -1 : 1);
    return 0;
}

int money_parse_json(json_t *v, int64_t *paise)
{
    if (json_is_string(v))
        return money_parse(json_string_value(v), paise);
    if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);
        if (n >= MONEY_MAX_RUPEES || n <= -MONEY_MAX_RUPEES)
            return -1;
        *paise = (int64_t)n * 100;
        return 0;
    }
    if (json_is_real(v)) {
        /* the shortest text that reads back as the same double, then the
         * exact decimal parser: 99.5 is 9950, 0.125 and 1.0000001 refused */
        double d = json_real_value(v);
        char buf[64];
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(buf, sizeof buf, "%.*g", prec, d);
            if (strtod(buf, NULL) == d)
                break;
        }
        if (strchr(buf, 'e') || strchr(buf, 'n') || strchr(buf, 'i'))
            return -1; /* exponent form: out of range or not finite */
        return money_parse(buf, paise);
    }
    return -1;
}

void money_format(int64_t paise, char *out, size_t outlen)
{
    /* by hand: one on_init formats a dozen amounts, and snprintf was a
     * visible share of building it */
    char tmp[32], *p = tmp + sizeof tmp;
    int neg = paise < 0;
    uint64_t a = neg ? (uint64_t)0 - (uint64_t)paise : (uint64_t)paise;
    *--p = (char)('0' + a % 10);
    *--p = (char)('0' + a / 10 % 10);
    *--p = '.';
    a /= 100;
    do {
        *--p = (char)('0' + a % 10);
        a /= 10;
    } while (a);
    if (neg)
        *--p = '-';
    size_t n = (size_t)(tmp + sizeof tmp - p);
    if (!outlen)
        return;
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

json_t *money_json(int64_t paise)
{
    char buf[32];
    money_format(paise, buf, sizeof buf);
    json_t *o = json_object();
    if (!o)
        return NULL;
    if (json_object_set_new_nocheck(o, "currency", json_stringn_nocheck("INR", 3)) != 0 ||
        json_object_set_new_nocheck(o, "value", json_stringn_nocheck(buf, strlen(buf))) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int64_t money_percent(int64_t paise, int64_t basis_points)
{
    int64_t x = paise * basis_points;
    return x >= 0 ? (x + 5000) / 10000 : -((-x + 5000) / 10000);
}
