/* Contact data validation (see validate.h). */
#include "util/validate.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

int email_normalize(const char *in, char out[255])
{
    size_t n = in ? strlen(in) : 0;
    if (n < 3 || n > 254)
        return -1;
    const char *at = strrchr(in, '@');
    if (!at || at == in || strchr(in, '@') != at)
        return -1;
    const char *dom = at + 1;
    size_t dl = strlen(dom);
    if (dl < 3 || !strchr(dom, '.') || dom[0] == '.' || dom[dl - 1] == '.' || strstr(dom, ".."))
        return -1;
    if ((size_t)(at - in) > 64 || in[0] == '.' || at[-1] == '.')
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c <= ' ' || c == 0x7f || c == '(' || c == ')' || c == ',' || c == ';' || c == ':' ||
            c == '<' || c == '>' || c == '[' || c == ']' || c == '\\' || c == '"')
            return -1;
        if (&in[i] > at && !(isalnum(c) || c == '-' || c == '.' || c >= 0x80))
            return -1;
        out[i] = (char)tolower(c);
    }
    out[n] = 0;
    return 0;
}

/* calling code and whether the national trunk prefix 0 is dropped */
static const struct {
    const char *iso;
    const char *cc;
    int trunk0;
} dialing[] = {
    {"FR", "33", 1},  {"GB", "44", 1},  {"DE", "49", 1},  {"BE", "32", 1},  {"CH", "41", 1},
    {"ES", "34", 0},  {"IT", "39", 0},  {"NL", "31", 1},  {"PT", "351", 0}, {"IE", "353", 1},
    {"LU", "352", 0}, {"AT", "43", 1},  {"US", "1", 0},   {"CA", "1", 0},   {"MA", "212", 1},
    {"DZ", "213", 1}, {"TN", "216", 0}, {"SN", "221", 0}, {"CI", "225", 0}, {"GA", "241", 0},
    {"SE", "46", 1},  {"NO", "47", 0},  {"DK", "45", 0},  {"FI", "358", 1}, {"PL", "48", 0},
    {"AU", "61", 1},  {"JP", "81", 1},  {"GP", "590", 1}, {"MQ", "596", 1}, {"RE", "262", 1},
};

int phone_normalize(const char *in, const char *country, char out[17])
{
    char d[32];
    size_t n = 0;
    int plus = 0;
    if (!in)
        return -1;
    for (const char *p = in; *p; p++) {
        if (*p >= '0' && *p <= '9') {
            if (n >= sizeof(d) - 1)
                return -1;
            d[n++] = *p;
        } else if (*p == '+' && n == 0 && !plus) {
            plus = 1;
        } else if (!(*p == ' ' || *p == '.' || *p == '-' || *p == '(' || *p == ')' || *p == '/')) {
            return -1;
        }
    }
    d[n] = 0;
    const char *digits = d;
    char buf[32];
    if (!plus && n > 2 && d[0] == '0' && d[1] == '0') {
        digits = d + 2; /* 00 international prefix */
    } else if (!plus) {
        const char *iso = country && *country ? country : "FR";
        const char *cc = NULL;
        int trunk0 = 0;
        for (size_t i = 0; i < sizeof(dialing) / sizeof(dialing[0]); i++)
            if (strcmp(dialing[i].iso, iso) == 0) {
                cc = dialing[i].cc;
                trunk0 = dialing[i].trunk0;
            }
        if (!cc)
            return -1;
        const char *nat = d;
        if (trunk0) {
            if (d[0] != '0')
                return -1;
            nat = d + 1;
        }
        if (strcmp(iso, "FR") == 0 && strlen(nat) != 9)
            return -1;
        snprintf(buf, sizeof(buf), "%s%s", cc, nat);
        digits = buf;
    }
    size_t dl = strlen(digits);
    if (dl < 8 || dl > 15 || digits[0] == '0')
        return -1;
    /* French numbers: +33 then exactly 9 digits */
    if (strncmp(digits, "33", 2) == 0 && dl != 11)
        return -1;
    snprintf(out, 17, "+%.15s", digits);
    return 0;
}

static const char countries[] =
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR "
    "BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ "
    "EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW "
    "GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY "
    "KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV "
    "MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY "
    "QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG "
    "TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM "
    "ZW";

int country_valid(const char *code)
{
    if (!code || strlen(code) != 2 || !isupper((unsigned char)code[0]) ||
        !isupper((unsigned char)code[1]))
        return 0;
    /* entries are "XX " with the last one ending the string */
    for (const char *p = countries; p[0] && p[1]; p += p[2] ? 3 : 2)
        if (p[0] == code[0] && p[1] == code[1])
            return 1;
    return 0;
}

static int all_digits(const char *s, size_t n)
{
    if (strlen(s) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

static int gb_postcode(const char *s)
{
    /* outward code (2-4) + space? + inward code (digit letter letter) */
    char c[16];
    size_t n = 0;
    for (; *s && n < sizeof(c) - 1; s++)
        if (*s != ' ')
            c[n++] = (char)toupper((unsigned char)*s);
    c[n] = 0;
    if (n < 5 || n > 7 || !isalpha((unsigned char)c[0]))
        return 0;
    const char *in = c + n - 3;
    if (!isdigit((unsigned char)in[0]) || !isalpha((unsigned char)in[1]) ||
        !isalpha((unsigned char)in[2]))
        return 0;
    for (const char *p = c; p < in; p++)
        if (!isalnum((unsigned char)*p))
            return 0;
    return 1;
}

int postal_valid(const char *country, const char *postal)
{
    if (!postal || !*postal)
        return 0;
    const char *cc = country && *country ? country : "FR";
    if (!strcmp(cc, "FR") || !strcmp(cc, "DE") || !strcmp(cc, "ES") || !strcmp(cc, "IT") ||
        !strcmp(cc, "MC") || !strcmp(cc, "GP") || !strcmp(cc, "MQ") || !strcmp(cc, "RE"))
        return all_digits(postal, 5);
    if (!strcmp(cc, "BE") || !strcmp(cc, "CH") || !strcmp(cc, "AT") || !strcmp(cc, "DK") ||
        !strcmp(cc, "LU") || !strcmp(cc, "NO"))
        return all_digits(postal, 4);
    if (!strcmp(cc, "US"))
        return all_digits(postal, 5) ||
               (strlen(postal) == 10 && postal[5] == '-' && isdigit((unsigned char)postal[9]));
    if (!strcmp(cc, "GB"))
        return gb_postcode(postal);
    size_t n = strlen(postal);
    if (n < 2 || n > 10)
        return 0;
    for (const char *p = postal; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != ' ' && *p != '-')
            return 0;
    return 1;
}
