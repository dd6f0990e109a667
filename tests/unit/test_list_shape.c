/* The activity list's shapes (services/activity/sql.c, list_shape): which
 * text of the list's statements a request's parameters get. One row per
 * case; then that every shape's text states exactly its filters. */
#include "check.h"
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "activity.h"

#define S(status, region, q, rest) ((status) | (region) << LIST_REGION_SHIFT | (q) << LIST_Q_SHIFT | (rest))

static void test_shape_of_parameters(void)
{
    static const struct {
        const char *name;
        const char *p[9]; /* status, lo, hi, org, category, theme, q, from, to */
        unsigned shape;
    } rows[] = {
        {"no filter is the empty shape", {0}, S(LIST_STATUS_NONE, LIST_REGION_NONE, LIST_Q_NONE, 0)},
        {"each status has its own form", {"cancelled"}, S(LIST_STATUS_CANCELLED, 0, 0, 0)},
        {"ended", {"ended"}, S(LIST_STATUS_ENDED, 0, 0, 0)},
        {"ongoing", {"ongoing"}, S(LIST_STATUS_ONGOING, 0, 0, 0)},
        {"recruiting", {"recruiting"}, S(LIST_STATUS_RECRUITING, 0, 0, 0)},
        {"signup_closed", {"signup_closed"}, S(LIST_STATUS_SIGNUP_CLOSED, 0, 0, 0)},
        {"upcoming", {"upcoming"}, S(LIST_STATUS_UPCOMING, 0, 0, 0)},
        {"an unknown status keeps the exact test alone", {"Ended"}, S(LIST_STATUS_OTHER, 0, 0, 0)},
        {"a province's range is the province form", {NULL, "410000", "419999"}, S(0, LIST_REGION_PROVINCE, 0, 0)},
        {"a city's range is the city form", {NULL, "410100", "410199"}, S(0, LIST_REGION_CITY, 0, 0)},
        {"a county's range is its code", {NULL, "410102", "410102"}, S(0, LIST_REGION_CODE, 0, 0)},
        {"a range not a province's nor a city's stays a range", {NULL, "410100", "419999"},
         S(0, LIST_REGION_RANGE, 0, 0)},
        {"two provinces are a range", {NULL, "410000", "429999"}, S(0, LIST_REGION_RANGE, 0, 0)},
        {"000000..999999 is the whole country", {NULL, "000000", "999999"}, S(0, LIST_REGION_COUNTRY, 0, 0)},
        {"a range of other lengths stays a plain range", {NULL, "41", "42"}, S(0, LIST_REGION_RANGE, 0, 0)},
        {"two Chinese characters are a two-character word", {[6] = "科普"}, S(0, 0, LIST_Q_TWO_CHARS, 0)},
        {"two ASCII letters too", {[6] = "ab"}, S(0, 0, LIST_Q_TWO_CHARS, 0)},
        {"one character is another length", {[6] = "科"}, S(0, 0, LIST_Q_OTHER, 0)},
        {"four characters are another length", {[6] = "科普讲座"}, S(0, 0, LIST_Q_OTHER, 0)},
        {"a character and a letter are two", {[6] = "科a"}, S(0, 0, LIST_Q_TWO_CHARS, 0)},
        {"org, category, theme, from and to are bits",
         {NULL, NULL, NULL, "7", "lecture", "science_day", NULL, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"},
         S(0, 0, 0, LIST_ORG | LIST_CATEGORY | LIST_THEME | LIST_FROM | LIST_TO)},
        {"from alone", {[7] = "2026-01-01T00:00:00Z"}, S(0, 0, 0, LIST_FROM)},
        {"to alone", {[8] = "2026-01-01T00:00:00Z"}, S(0, 0, 0, LIST_TO)},
        {"everything together",
         {"recruiting", "410100", "410199", "7", NULL, "science_day", "科普", NULL, "2026-01-01T00:00:00Z"},
         S(LIST_STATUS_RECRUITING, LIST_REGION_CITY, LIST_Q_TWO_CHARS, LIST_ORG | LIST_THEME | LIST_TO)},
    };
    for (size_t i = 0; i < NELEM(rows); i++) {
        unsigned got = list_shape(rows[i].p);
        if (got != rows[i].shape)
            fprintf(stderr, "  %s: shape %x, expected %x\n", rows[i].name, got, rows[i].shape);
        CHECK(rows[i].name, got == rows[i].shape);
    }
}

/* Whether sql names parameter $n ($1 is not $10). */
static bool has_param(const char *sql, const char *param)
{
    size_t len = strlen(param);
    for (const char *p = strstr(sql, param); p; p = strstr(p + 1, param))
        if (p[len] < '0' || p[len] > '9')
            return true;
    return false;
}

/* Each status's own test, has_status() with its name written in (sql.c),
 * in the order of CODES_ACTIVITY_STATUS (list_shape). */
static const char *const status_test[] = {
    "has_status('cancelled',", "has_status('ended',", "has_status('ongoing',", "has_status('recruiting',",
    "has_status('signup_closed',", "has_status('upcoming',"};

/* Every shape's text names the parameter of each filter it has and of no
 * other, so an absent filter is never tested and a present one always, and
 * tells the planner its page has at most PAGE_SIZE_MAX ids; a
 * status is tested by its own arm of has_status() (the parameter $1 only
 * for a value outside the code table, which no row has). */
static void test_every_shape_states_its_filters(void)
{
    static const struct {
        unsigned bit;
        const char *param;
    } bits[] = {{LIST_ORG, "$4"}, {LIST_CATEGORY, "$5"}, {LIST_THEME, "$6"}, {LIST_FROM, "$8"}, {LIST_TO, "$9"}};
    const db_stmt *st = &activity_sql[SQL_LIST_PAGE_DESC];
    char sql[12288];
    int shapes = 0, wrong = 0;
    for (unsigned status = 0; status < LIST_STATUS_FORMS; status++)
        for (unsigned region = 0; region < LIST_REGION_FORMS; region++)
            for (unsigned q = 0; q < LIST_Q_FORMS; q++)
                for (unsigned rest = 0; rest < 32; rest++) {
                    unsigned present = 0;
                    for (size_t b = 0; b < NELEM(bits); b++)
                        present |= rest >> b & 1 ? bits[b].bit : 0;
                    unsigned shape = S(status, region, q, present);
                    shapes++;
                    if (!db_variant_sql(st, shape, sql, sizeof sql)) {
                        wrong++;
                        continue;
                    }
                    bool ok = has_param(sql, "$1") == (status == LIST_STATUS_OTHER) &&
                              (status < LIST_STATUS_CANCELLED || status >= LIST_STATUS_OTHER ||
                               strstr(sql, status_test[status - LIST_STATUS_CANCELLED])) &&
                              has_param(sql, "$2") == (region >= LIST_REGION_PROVINCE) &&
                              has_param(sql, "$3") == (region == LIST_REGION_RANGE) &&
                              has_param(sql, "$7") == (q != LIST_Q_NONE) &&
                              (strstr(sql, "bigrams") != NULL) == (q == LIST_Q_TWO_CHARS) &&
                              has_param(sql, "$10") && has_param(sql, "$11") && !strstr(sql, "%s") &&
                              strstr(sql, ") page LIMIT 100)"); /* PAGE_IDS_AT_MOST */
                    for (size_t b = 0; b < NELEM(bits); b++)
                        ok = ok && has_param(sql, bits[b].param) == ((present & bits[b].bit) != 0);
                    if (!ok && wrong++ < 3)
                        fprintf(stderr, "  shape %x: %s\n", shape, sql);
                }
    CHECK("every shape's text tests exactly its filters", wrong == 0);
    CHECK("every combination of forms was built", shapes == 8 * 6 * 3 * 32);
    unsigned bad = S(LIST_STATUS_FORMS, 0, 0, 0) + (LIST_REGION_FORMS << LIST_REGION_SHIFT);
    CHECK("a shape outside the forms has no text", !db_variant_sql(st, bad, sql, sizeof sql));
}

/* Occurrences of needle in hay. */
static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* A status that moves with the clock reads two disjoint sets (migration
 * 021): the rows listed in it whose window holds now(), from the status
 * indexes, in page order and at most offset + limit of them for the page,
 * and the rows due a refresh, tested with has_status(); each with every
 * other filter, in the count and in the page. Cancelled, no status and an
 * unknown value read the table once, as before. */
static void test_a_moving_status_reads_its_listed_rows_and_those_due_a_refresh(void)
{
    static const struct {
        unsigned status;
        const char *listed;
    } forms[] = {{LIST_STATUS_ENDED, "a.listed_status = 'ended'"},
                 {LIST_STATUS_ONGOING, "a.listed_status = 'ongoing'"},
                 {LIST_STATUS_RECRUITING, "a.listed_status = 'recruiting'"},
                 {LIST_STATUS_SIGNUP_CLOSED, "a.listed_status = 'signup_closed'"},
                 {LIST_STATUS_UPCOMING, "a.listed_status = 'upcoming'"}};
    static const char due[] = "(a.listed_since > now() OR a.listed_until <= now())";
    static const char holds[] = "a.listed_since <= now() AND a.listed_until > now()";
    char sql[12288];
    int wrong = 0;
    for (int dir = 0; dir < 2; dir++) {
        const db_stmt *st = &activity_sql[dir ? SQL_LIST_PAGE_DESC : SQL_LIST_PAGE_ASC];
        const char *order = dir ? "ORDER BY a.starts_at DESC, a.id DESC LIMIT $10::bigint + $11::bigint)"
                                : "ORDER BY a.starts_at, a.id LIMIT $10::bigint + $11::bigint)";
        for (size_t f = 0; f < NELEM(forms); f++)
            for (unsigned region = 0; region < LIST_REGION_FORMS; region++)
                for (unsigned q = 0; q < LIST_Q_FORMS; q++) {
                    unsigned shape = S(forms[f].status, region, q, LIST_ORG);
                    const char *test = status_test[forms[f].status - LIST_STATUS_CANCELLED];
                    /* count and page: two arms each, every filter in all four */
                    bool ok = db_variant_sql(st, shape, sql, sizeof sql) && count_of(sql, forms[f].listed) == 2 &&
                              count_of(sql, holds) == 2 && count_of(sql, due) == 2 && count_of(sql, test) == 2 &&
                              count_of(sql, "UNION ALL") == 2 && count_of(sql, order) == 1 &&
                              count_of(sql, "a.org_id = $4::bigint") == 4 &&
                              (region < LIST_REGION_PROVINCE || count_of(sql, "$2::text") == 4);
                    if (!ok && wrong++ < 3)
                        fprintf(stderr, "  moving status %x: %s\n", shape, sql);
                }
        static const unsigned still[] = {LIST_STATUS_NONE, LIST_STATUS_CANCELLED, LIST_STATUS_OTHER};
        for (size_t i = 0; i < NELEM(still); i++) {
            /* with org_id: a status and a city alone count from the kept counts (below) */
            bool ok = db_variant_sql(st, S(still[i], LIST_REGION_CITY, 0, LIST_ORG), sql, sizeof sql) &&
                      !strstr(sql, "listed_") && !strstr(sql, "UNION");
            if (!ok && wrong++ < 3)
                fprintf(stderr, "  read once: %s\n", sql);
        }
    }
    CHECK("a moving status reads its listed rows and those due a refresh, each with every filter", wrong == 0);
}

/* The country, a province, a city or a county, with a status or without,
 * and no other filter is counted from activity.listed_counts (migration
 * 022), by the code of its level, with the rows due a refresh; every other
 * shape counts the rows it matches. */
static void test_a_region_alone_is_counted_from_the_kept_counts(void)
{
    static const char *const key[LIST_REGION_FORMS] = {
        [LIST_REGION_NONE] = "k.region_code = '000000'",
        [LIST_REGION_COUNTRY] = "k.region_code = '000000'",
        [LIST_REGION_PROVINCE] = "k.region_code = left($2::text, 2) || '0000'",
        [LIST_REGION_CITY] = "k.region_code = left($2::text, 4) || '00'",
        [LIST_REGION_CODE] = "k.region_code = $2::text",
    };
    static const char *const names[] = {"cancelled", "ended", "ongoing", "recruiting", "signup_closed", "upcoming"};
    static const unsigned others[] = {LIST_ORG, LIST_CATEGORY, LIST_THEME, LIST_FROM, LIST_TO,
                                      LIST_Q_TWO_CHARS << LIST_Q_SHIFT, LIST_Q_OTHER << LIST_Q_SHIFT};
    char sql[12288], want[64];
    int wrong = 0, kept = 0;
    for (int dir = 0; dir < 2; dir++) {
        const db_stmt *st = &activity_sql[dir ? SQL_LIST_PAGE_DESC : SQL_LIST_PAGE_ASC];
        for (unsigned status = 0; status < LIST_STATUS_FORMS; status++)
            for (unsigned region = 0; region < LIST_REGION_FORMS; region++) {
                bool counted = status != LIST_STATUS_OTHER && key[region];
                bool ok = db_variant_sql(st, S(status, region, 0, 0), sql, sizeof sql) &&
                          (count_of(sql, "FROM activity.listed_counts k") == 1) == counted;
                if (counted && status == LIST_STATUS_NONE) /* every status, and the rows nobody listed */
                    ok = ok && !strstr(sql, "k.listed_status") && count_of(sql, "a.listed_status = 'unlisted'") == 1;
                if (counted && status != LIST_STATUS_NONE) {
                    snprintf(want, sizeof want, "k.listed_status = '%s'", names[status - LIST_STATUS_CANCELLED]);
                    ok = ok && count_of(sql, want) == 1 && !strstr(sql, "'unlisted'");
                }
                if (counted) {
                    ok = ok && count_of(sql, key[region]) == 1 &&
                         count_of(sql, "d.listed_since > now() OR d.listed_until <= now()") == 1 &&
                         !strstr(sql, "LIMIT 10001) capped");
                    kept += ok;
                }
                for (size_t i = 0; counted && i < NELEM(others); i++)
                    ok = ok && db_variant_sql(st, S(status, region, 0, others[i]), sql, sizeof sql) &&
                         !strstr(sql, "listed_counts") && count_of(sql, "LIMIT 10001) capped") == 1;
                if (!ok && wrong++ < 3)
                    fprintf(stderr, "  kept count %x: %s\n", S(status, region, 0, 0), sql);
            }
    }
    CHECK("a region alone, with a status or without, is counted from the kept counts, by its level's code",
          wrong == 0);
    CHECK("no status and six statuses in five region forms, both orders", kept == 2 * 7 * 5);
}

int main(void)
{
    test_shape_of_parameters();
    test_every_shape_states_its_filters();
    test_a_moving_status_reads_its_listed_rows_and_those_due_a_refresh();
    test_a_region_alone_is_counted_from_the_kept_counts();
    return CHECK_DONE();
}
