/*
 * Customer lifetime value (see clv.h): the seed's closed formulas and the
 * BG/NBD x Gamma-Gamma discounted sum.
 */
#include "analytics/clv.h"

#include <math.h>

double clv_seed_simple(double avg_lifetime, double consumption_per_period, double acquisition_cost)
{
    return avg_lifetime * consumption_per_period - acquisition_cost;
}

double clv_discounted_profits(const double *revenue, size_t n, double margin_rate,
                              double discount_rate, double retention, double acquisition_cost)
{
    if (!(discount_rate > -1))
        return NAN;
    double sum = 0, survive = 1, factor = 1;
    for (size_t t = 0; t < n; t++) {
        factor /= 1 + discount_rate;
        sum += margin_rate * revenue[t] * survive * factor;
        survive *= retention;
    }
    return sum - acquisition_cost;
}

void clv_options_default(struct clv_options *o)
{
    o->months = 12;
    o->monthly_discount = 0.01;
    o->margin = 1;
    o->units_per_month = 4.345;
}

double clv_customer(const struct bgnbd_params *bg, const struct gg_params *gg,
                    const struct clv_summary *s, const struct clv_options *o)
{
    if (s->x < 0)
        return NAN;
    double spend = gg_expected_spend(gg, s->x, s->zbar);
    double value = 0, prev = 0, factor = 1;
    for (int k = 1; k <= o->months; k++) {
        double cum = bgnbd_conditional_expected(bg, k * o->units_per_month, s->x, s->t_x, s->T);
        factor /= 1 + o->monthly_discount;
        value += o->margin * spend * (cum - prev) * factor;
        prev = cum;
    }
    return value;
}

int clv_predict(double *out, const struct clv_summary *s, size_t n, const struct bgnbd_params *bg,
                const struct gg_params *gg, const struct clv_options *o, struct err *e)
{
    struct clv_options def;
    if (!o) {
        clv_options_default(&def);
        o = &def;
    }
    if (o->months < 1)
        return err_set(e, ERR_INVALID, "months", "horizon must be at least one month");
    if (!(o->units_per_month > 0))
        return err_set(e, ERR_INVALID, "units_per_month", "must be positive");
    if (!(o->monthly_discount > -1))
        return err_set(e, ERR_INVALID, "monthly_discount", "must be above -100 %%");
    for (size_t i = 0; i < n; i++)
        out[i] = clv_customer(bg, gg, &s[i], o);
    return 0;
}
