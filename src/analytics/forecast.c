/* Forecast arithmetic (see forecast.h). */
#include "analytics/forecast.h"

#include <stdio.h>
#include <string.h>

int forecast_period_parse(const char *s, int32_t *first, int *months)
{
    int y = 0, n = 0;
    char tail;
    if (!s || strlen(s) < 4)
        return -1;
    for (int i = 0; i < 4; i++)
        if (s[i] < '0' || s[i] > '9')
            return -1;
    y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    if (y < 1970 || y > 9999)
        return -1;
    if (!s[4]) {
        *first = y * 12;
        *months = 12;
        return 0;
    }
    if (s[4] != '-')
        return -1;
    if (s[5] == 'Q' && sscanf(s + 6, "%1d%c", &n, &tail) == 1 && n >= 1 && n <= 4 && !s[7]) {
        *first = y * 12 + (n - 1) * 3;
        *months = 3;
        return 0;
    }
    if (s[5] >= '0' && s[5] <= '9' && s[6] >= '0' && s[6] <= '9' && !s[7]) {
        n = (s[5] - '0') * 10 + (s[6] - '0');
        if (n < 1 || n > 12)
            return -1;
        *first = y * 12 + n - 1;
        *months = 1;
        return 0;
    }
    return -1;
}

char *forecast_month_format(int32_t month, char *buf, size_t len)
{
    snprintf(buf, len, "%04d-%02d", (int)(month / 12), (int)(month % 12) + 1);
    return buf;
}

/* The share of objective o falling in month m (o covers m). */
static int64_t share(const struct fc_objective *o, int32_t m)
{
    int64_t base = o->amount / o->months, rem = o->amount % o->months;
    return base + ((m - o->start_month) < rem ? 1 : 0);
}

int forecast_compute(const struct fc_deal *deals, size_t ndeals, const struct fc_objective *objs,
                     size_t nobjs, int32_t first, int nmonths, struct fc_month *out,
                     struct fc_total *tot)
{
    /* weighted is summed in hundredths per month, divided once */
    int64_t hundredths[120];
    if (nmonths < 1 || nmonths > 120)
        return -1;
    memset(out, 0, (size_t)nmonths * sizeof(*out));
    memset(hundredths, 0, sizeof(hundredths));
    memset(tot, 0, sizeof(*tot));
    for (int i = 0; i < nmonths; i++)
        out[i].month = first + i;
    for (size_t i = 0; i < ndeals; i++) {
        const struct fc_deal *d = &deals[i];
        int32_t k = d->month - first;
        if (k < 0 || k >= nmonths || d->amount < 0)
            continue;
        struct fc_month *m = &out[k];
        if (d->won) {
            if (__builtin_add_overflow(m->won, d->amount, &m->won))
                return -1;
            m->won_deals++;
            continue;
        }
        int64_t w;
        if (__builtin_mul_overflow(d->amount, (int64_t)d->prob, &w) ||
            __builtin_add_overflow(hundredths[k], w, &hundredths[k]) ||
            __builtin_add_overflow(m->pipeline, d->amount, &m->pipeline))
            return -1;
        m->open_deals++;
    }
    for (int k = 0; k < nmonths; k++) {
        struct fc_month *m = &out[k];
        m->weighted = (hundredths[k] + 50) / 100;
        const struct fc_objective *best = NULL;
        for (size_t j = 0; j < nobjs; j++) {
            const struct fc_objective *o = &objs[j];
            if (o->months < 1 || m->month < o->start_month ||
                m->month >= o->start_month + o->months)
                continue;
            if (!best || o->months < best->months)
                best = o;
        }
        if (best) {
            m->objective = share(best, m->month);
            tot->has_objective = 1;
        }
        if (__builtin_add_overflow(tot->won, m->won, &tot->won) ||
            __builtin_add_overflow(tot->pipeline, m->pipeline, &tot->pipeline) ||
            __builtin_add_overflow(tot->weighted, m->weighted, &tot->weighted) ||
            __builtin_add_overflow(tot->objective, m->objective, &tot->objective))
            return -1;
        tot->won_deals += m->won_deals;
        tot->open_deals += m->open_deals;
    }
    if (__builtin_add_overflow(tot->won, tot->weighted, &tot->forecast))
        return -1;
    return 0;
}
