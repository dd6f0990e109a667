/* GB 11643 ID numbers, coming of age, masking and ID sealing. */
#include "check.h"
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "idcard.h"
#include "mask.h"


/* Builds a valid number from 17 digits by computing its check character. */
static void with_check(const char *first17, char out[19])
{
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (first17[i] - '0') * w[i];
    memcpy(out, first17, 17);
    out[17] = "10X98765432"[sum % 11];
    out[18] = '\0';
}

static const char *parse(const char *id, ymd today, idcard *out)
{
    const char *msg;
    return idcard_parse(id, today, 18, out, &msg);
}

static void test_parse_table(void)
{
    const ymd today = {2026, 11, 24};
    struct {
        const char *name, *first17, *err;
    } rows[] = {
        {"a valid number parses", "41070219900307123", NULL},
        {"born exactly 18 years ago today is of age", "41070220081124123", NULL},
        {"17 years 364 days is too young", "41070220081125123", "too_young"},
        {"born today is too young", "41070220261124123", "too_young"},
        {"born tomorrow is not a real past date", "41070220261125123", "invalid_date"},
        {"month 13 is not a date", "41070219901301123", "invalid_date"},
        {"30 February is not a date", "41070219900230123", "invalid_date"},
        {"29 February 1900 is not a date (not a leap year)", "41070219000229123", "invalid_date"},
        {"29 February 2000 is a date (leap year)", "41070220000229123", NULL},
        {"year before 1900 is refused", "41070218991231123", "invalid_date"},
        {"day 00 is not a date", "41070219900100123", "invalid_date"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        char id[19];
        idcard out;
        with_check(rows[i].first17, id);
        const char *err = parse(id, today, &out);
        CHECK(rows[i].name, rows[i].err ? err && !strcmp(err, rows[i].err) : err == NULL);
    }
}

static void test_leap_day_birthday(void)
{
    char id[19];
    idcard out;
    with_check("41070220080229123", id);
    CHECK("a 29 February child is not of age on 28 February of a non-leap year",
          parse(id, (ymd){2026, 2, 28}, &out) && !strcmp(parse(id, (ymd){2026, 2, 28}, &out), "too_young"));
    CHECK("a 29 February child comes of age on 1 March of a non-leap year", !parse(id, (ymd){2026, 3, 1}, &out));
}

static void test_format_and_checksum(void)
{
    const ymd today = {2026, 11, 24};
    idcard out;
    char id[19];
    with_check("41070219900307123", id);
    char wrong[19];
    memcpy(wrong, id, 19);
    wrong[17] = wrong[17] == '0' ? '1' : '0';
    const char *err = parse(wrong, today, &out);
    CHECK("a wrong check character is a checksum error", err && !strcmp(err, "checksum"));
    err = parse("4107021990030712", today, &out);
    CHECK("16 characters is invalid_format", err && !strcmp(err, "invalid_format"));
    err = parse("41070219900307123XX", today, &out);
    CHECK("19 characters is invalid_format", err && !strcmp(err, "invalid_format"));
    err = parse("4107021990X307123X", today, &out);
    CHECK("X before the last place is invalid_format", err && !strcmp(err, "invalid_format"));
    err = parse("41070219900307123Y", today, &out);
    CHECK("a check character other than digit or X is invalid_format", err && !strcmp(err, "invalid_format"));

    /* 11010519491231002X is the standard's own example (check character X). */
    CHECK("the GB 11643 example 11010519491231002X is valid", !parse("11010519491231002X", today, &out));
    CHECK("its birth date is read from positions 7-14", out.year == 1949 && out.month == 12 && out.day == 31);
    CHECK("an even 17th digit is female", !out.male);
    CHECK("a lowercase x is accepted", !parse("11010519491231002x", today, &out));
    CHECK("a lowercase x is normalized to X", !strcmp(out.number, "11010519491231002X"));
    with_check("41070219900307123", id);
    CHECK("an odd 17th digit is male", !parse(id, today, &out) && out.male);
}

static void test_masks(void)
{
    char out[32];
    mask_phone("13812345678", out, sizeof out);
    CHECK("a phone keeps its first 3 and last 4 digits", !strcmp(out, "138****5678"));
    mask_phone("123", out, sizeof out);
    CHECK("a phone of another length reveals nothing", !strcmp(out, "****"));
    mask_id_number("41070219900307123X", out, sizeof out);
    CHECK("an ID number keeps its first 4 and last 4 characters", !strcmp(out, "4107**********123X"));
    mask_id_number("4107", out, sizeof out);
    CHECK("a short ID reveals nothing", !strcmp(out, "****"));
}

static bool contains(const unsigned char *hay, size_t n, const char *needle, size_t m)
{
    for (size_t i = 0; i + m <= n; i++)
        if (!memcmp(hay + i, needle, m))
            return true;
    return false;
}

static void test_seal(void)
{
    unsigned char key[32], other[32], sealed[18 + GCM_OVERHEAD], plain[18];
    memset(key, 7, sizeof key);
    memset(other, 8, sizeof other);
    const char *id = "41070219900307123X";
    CHECK("sealing succeeds", crypto_seal(key, id, 18, "volunteer.id_number", sealed) == 0);
    CHECK("the sealed form does not contain the number", !contains(sealed, sizeof sealed, id, 18));
    CHECK("opening returns the number",
          crypto_open(key, sealed, sizeof sealed, "volunteer.id_number", plain) == 18 && !memcmp(plain, id, 18));
    CHECK("another key cannot open it", crypto_open(other, sealed, sizeof sealed, "volunteer.id_number", plain) < 0);
    CHECK("another purpose (aad) cannot open it", crypto_open(key, sealed, sizeof sealed, "other", plain) < 0);
    sealed[20] ^= 1;
    CHECK("a flipped bit is detected", crypto_open(key, sealed, sizeof sealed, "volunteer.id_number", plain) < 0);
    unsigned char a[18 + GCM_OVERHEAD], b[18 + GCM_OVERHEAD];
    crypto_seal(key, id, 18, "volunteer.id_number", a);
    crypto_seal(key, id, 18, "volunteer.id_number", b);
    CHECK("sealing twice gives different ciphertexts (random nonce)", memcmp(a, b, sizeof a) != 0);
}

int main(void)
{
    test_parse_table();
    test_leap_day_birthday();
    test_format_and_checksum();
    test_masks();
    test_seal();
    return CHECK_DONE();
}
