/* The activity service's statement table, prepared once per connection: the
 * rows are sql.def's, the SQL fragments they share are defined here. */
#include <stdio.h>
#include <string.h>

#include "activity.h"
#include "codes.h"

#define FROM_ACTIVITIES " FROM activity.activities a JOIN org.orgs o ON o.id = a.org_id"

/* The list's filters (GET /activities), written in variants (db.h,
 * db_variants): $1 status, $2/$3 region range, $4 org, $5 category, $6 theme,
 * $7 title word, $8/$9 the starts_at range [from, to], both inclusive. Each
 * request's shape (list_shape) picks one fragment per filter below, so the
 * text states only the filters it has, and for the status and the region
 * the form whose indexes fit; the handful of texts the requests use are each
 * prepared once per connection and run on their generic plan, planned once
 * (common/db_variant.c), but for the shapes list_per_call keeps on plans
 * made for each call's values.
 *
 * Status. Cancelled does not move with the clock: has_status()'s arm
 * (migration 019), written in, is the predicate of its partial indexes
 * (activities_cancelled_starts, migration 014; each region level's, 020).
 * The other five do: each row keeps the status it was written in and the
 * window [listed_since, listed_until) in which that status holds (migration
 * 021), so the rows whose window holds now() are in their listed status
 * exactly, read from (region, listed_status, starts_at) indexes in page
 * order (LISTED); the few whose window has passed since the last refresh
 * are tested with has_status() (REFRESH_DUE). The two sets are disjoint and
 * together every row: the list is their UNION ALL, the page taking its ids
 * in order from the first and all of the second (a handful). Another value
 * (none passes the query's field table) keeps status_at() = $1, which no
 * row meets. */
#define HAS_STATUS(status)                                                                                     \
    " AND activity.has_status('" status "', a.cancelled_at, a.starts_at, a.ends_at, a.signup_starts_at,"      \
    " a.signup_ends_at, now())"
#define STATUS_IS " AND " ACTIVITY_STATUS " = $1::text"
#define LISTED(status) " AND a.listed_status = '" status "' AND a.listed_since <= now() AND a.listed_until > now()"
#define REFRESH_DUE(status) " AND (a.listed_since > now() OR a.listed_until <= now())" HAS_STATUS(status)
static const char *const status_where[LIST_STATUS_FORMS] = {
    [LIST_STATUS_NONE] = "",
    [LIST_STATUS_CANCELLED] = HAS_STATUS("cancelled"),
    [LIST_STATUS_OTHER] = STATUS_IS,
};
static const struct {
    const char *listed, *refresh_due;
} status_moving[LIST_STATUS_FORMS] = {
    [LIST_STATUS_ENDED] = {LISTED("ended"), REFRESH_DUE("ended")},
    [LIST_STATUS_ONGOING] = {LISTED("ongoing"), REFRESH_DUE("ongoing")},
    [LIST_STATUS_RECRUITING] = {LISTED("recruiting"), REFRESH_DUE("recruiting")},
    [LIST_STATUS_SIGNUP_CLOSED] = {LISTED("signup_closed"), REFRESH_DUE("signup_closed")},
    [LIST_STATUS_UPCOMING] = {LISTED("upcoming"), REFRESH_DUE("upcoming")},
};

/* The status's code, for the kept counts (list_count): the row of
 * CODES_ACTIVITY_STATUS that list_shape read it from; NULL for none and
 * for another value. */
static const char *status_code(unsigned status)
{
    if (status < LIST_STATUS_CANCELLED || status - LIST_STATUS_CANCELLED >= CODES_ACTIVITY_STATUS.n)
        return NULL;
    return CODES_ACTIVITY_STATUS.entries[status - LIST_STATUS_CANCELLED].code;
}

/* Region: a region and everything under it is the code range $2..$3
 * (ref.region_range). Region codes are six digits (ref.regions), so a
 * province's range is its two-digit prefix and a city's its four-digit
 * prefix, which activities_province_starts / activities_city_starts keep in
 * starts_at order: a page walks them in order instead of sorting the whole
 * region. Each level is said the way whose estimate holds without the
 * values (a generic plan): a prefix or a code compared for equality is
 * estimated from its index's statistics, where a range of unknown bounds is
 * guessed at 0.5% of the table (which sent provinces down the county
 * index). The whole country (000000..999999) is every row. */
static const char *const region_where[LIST_REGION_FORMS] = {
    [LIST_REGION_NONE] = "",
    [LIST_REGION_COUNTRY] = "",
    [LIST_REGION_PROVINCE] = " AND left(a.region_code, 2) = left($2::text, 2)",
    [LIST_REGION_CITY] = " AND left(a.region_code, 4) = left($2::text, 4)",
    [LIST_REGION_CODE] = " AND a.region_code = $2::text",
    [LIST_REGION_RANGE] = " AND a.region_code BETWEEN $2::text AND $3::text",
};

/* The code whose kept counts (activity.listed_counts, migration 022) are
 * a region form's rows: activity.rollup's country, province, city and
 * county. A range that is none of these has none. */
static const char *const region_counted[LIST_REGION_FORMS] = {
    [LIST_REGION_NONE] = "'000000'",
    [LIST_REGION_COUNTRY] = "'000000'",
    [LIST_REGION_PROVINCE] = "left($2::text, 2) || '0000'",
    [LIST_REGION_CITY] = "left($2::text, 4) || '00'",
    [LIST_REGION_CODE] = "$2::text", /* a county: ranges end in 00 but for one (ref.region_range) */
};

/* Title word: a word of two characters (most Chinese words) is looked up in
 * activities_listed_title_bigrams, since trigrams need three; strpos() is
 * the same test, cheap on a row (the pairs are a function call each), and,
 * unlike a LIKE, not one the planner crosses with the trigram index, which
 * finds every title for two characters (800 ms at 2M activities). Other
 * lengths use the trigram index. */
static const char *const q_where[LIST_Q_FORMS] = {
    [LIST_Q_NONE] = "",
    [LIST_Q_TWO_CHARS] = " AND strpos(a.title, $7::text) > 0 AND ref.bigrams(a.title) @> ARRAY[$7::text]",
    [LIST_Q_OTHER] = " AND a.title LIKE ref.contains_pattern($7::text)",
};

/* The filters that are simply present or absent. */
static const struct {
    unsigned bit;
    int param; /* index into the parameters */
    const char *sql;
} present_where[] = {
    {LIST_ORG, 3, " AND a.org_id = $4::bigint"},
    {LIST_CATEGORY, 4, " AND a.service_category = $5::text"},
    {LIST_THEME, 5, " AND a.themes @> ARRAY[$6::text]"},
    {LIST_FROM, 7, " AND a.starts_at >= $8::timestamptz"},
    {LIST_TO, 8, " AND a.starts_at <= $9::timestamptz"},
};
#define NPRESENT (sizeof present_where / sizeof *present_where)

/* Whether code (six characters) is prefix followed by fill up to six. */
static bool is_prefix(const char *code, const char *prefix, size_t n, char fill)
{
    if (strncmp(code, prefix, n))
        return false;
    for (size_t i = n; i < 6; i++)
        if (code[i] != fill)
            return false;
    return true;
}

static unsigned region_form(const char *lo, const char *hi)
{
    if (!lo || !hi)
        return LIST_REGION_NONE;
    if (strlen(lo) != 6 || strlen(hi) != 6)
        return LIST_REGION_RANGE;
    if (!strcmp(lo, hi))
        return LIST_REGION_CODE; /* a county, or a city without counties */
    if (is_prefix(lo, "", 0, '0') && is_prefix(hi, "", 0, '9'))
        return LIST_REGION_COUNTRY;
    if (is_prefix(lo, lo, 2, '0') && is_prefix(hi, lo, 2, '9'))
        return LIST_REGION_PROVINCE;
    if (is_prefix(lo, lo, 4, '0') && is_prefix(hi, lo, 4, '9'))
        return LIST_REGION_CITY;
    return LIST_REGION_RANGE;
}

unsigned list_shape(const char *const *params)
{
    unsigned status = LIST_STATUS_NONE;
    if (params[0]) { /* LIST_STATUS_CANCELLED on are in CODES_ACTIVITY_STATUS's order */
        int row = code_table_index(&CODES_ACTIVITY_STATUS, params[0]);
        status = row < 0 ? LIST_STATUS_OTHER : LIST_STATUS_CANCELLED + (unsigned)row;
    }
    /* characters as PostgreSQL counts them (the query's field table refused invalid UTF-8) */
    unsigned q = !params[6] ? LIST_Q_NONE : utf8_chars(params[6]) == 2 ? LIST_Q_TWO_CHARS : LIST_Q_OTHER;
    unsigned shape = status | region_form(params[1], params[2]) << LIST_REGION_SHIFT | q << LIST_Q_SHIFT;
    for (size_t i = 0; i < NPRESENT; i++)
        if (params[present_where[i].param])
            shape |= present_where[i].bit;
    return shape;
}

/* The filters but the status, each " AND ...", after n bytes of buf. */
static int other_filters(unsigned shape, char *buf, size_t size, int n)
{
    if (n < 0 || (size_t)n >= size)
        return -1;
    n += snprintf(buf + n, size - (size_t)n, "%s%s", region_where[LIST_REGION(shape)], q_where[LIST_Q(shape)]);
    for (size_t i = 0; i < NPRESENT && n > 0 && (size_t)n < size; i++)
        if (shape & present_where[i].bit)
            n += snprintf(buf + n, size - (size_t)n, "%s", present_where[i].sql);
    return n;
}

/* The rows the list reads, as a FROM item named a: part 0 for the count
 * (every match, in any order), part 1 for the page's ids (id and starts_at,
 * in the order `order` says). A status that moves with the clock is two
 * disjoint sets (above): for the page, the listed ones' first
 * offset + limit in order, and every one due a refresh. */
static bool list_from(unsigned shape, int part, const char *order, char *buf, size_t size)
{
    if (LIST_STATUS(shape) >= LIST_STATUS_FORMS || LIST_REGION(shape) >= LIST_REGION_FORMS ||
        LIST_Q(shape) >= LIST_Q_FORMS || part < 0 || part > 1)
        return false;
    unsigned status = LIST_STATUS(shape);
    int n;
    if (!status_moving[status].listed) {
        n = other_filters(shape, buf, size,
                          snprintf(buf, size, "activity.activities a WHERE true%s", status_where[status]));
        return n > 0 && (size_t)n < size;
    }
    const char *columns = part ? "a.id, a.starts_at" : "a.id";
    n = snprintf(buf, size, "(%sSELECT %s FROM activity.activities a WHERE true%s", part ? "(" : "", columns,
                 status_moving[status].listed);
    n = other_filters(shape, buf, size, n);
    if (n > 0 && (size_t)n < size && part)
        n += snprintf(buf + n, size - (size_t)n, " ORDER BY %s LIMIT $10::bigint + $11::bigint)", order);
    if (n > 0 && (size_t)n < size)
        n += snprintf(buf + n, size - (size_t)n, " UNION ALL %sSELECT %s FROM activity.activities a WHERE true%s",
                      part ? "(" : "", columns, status_moving[status].refresh_due);
    n = other_filters(shape, buf, size, n);
    if (n > 0 && (size_t)n < size)
        n += snprintf(buf + n, size - (size_t)n, "%s) a", part ? ")" : "");
    return n > 0 && (size_t)n < size;
}

#define EVERY_FILTER (LIST_ORG | LIST_CATEGORY | LIST_THEME | LIST_FROM | LIST_TO)

/* The country, a province, a city or a county, with a status or without,
 * and nothing else: the count is the kept one (activity.listed_counts,
 * migration 022) corrected by the rows due a refresh, the few the page
 * tests one by one too (read on their own, OFFSET 0, so that no plan
 * crosses them with a region's index): for a status, less those listed in
 * it and plus those in it now; without one, plus those nobody listed (a
 * load with the triggers off). Exact, and a handful of rows read however
 * many match, where counting the matches read up to 10,001 index entries. */
#define KEPT_COUNT                                                                                             \
    "SELECT least(coalesce((SELECT sum(k.n) FROM activity.listed_counts k WHERE k.region_code = %s%s), 0)"     \
    " + (SELECT %s FROM (SELECT d.region_code, d.listed_status, d.cancelled_at, d.starts_at, d.ends_at,"       \
    " d.signup_starts_at, d.signup_ends_at FROM activity.activities d"                                         \
    " WHERE d.listed_since > now() OR d.listed_until <= now() OFFSET 0) a WHERE true%s), " PAGE_COUNT_LIMIT    \
    ")::bigint AS total"
#define KEPT_STATUS " AND k.listed_status = '%s'"
#define DUE_IN_STATUS                                                                                          \
    "count(*) FILTER (WHERE activity.has_status('%s', a.cancelled_at, a.starts_at, a.ends_at,"                 \
    " a.signup_starts_at, a.signup_ends_at, now())) - count(*) FILTER (WHERE a.listed_status = '%s')"
#define DUE_UNLISTED "count(*) FILTER (WHERE a.listed_status = 'unlisted')"

static bool count_is_kept(unsigned shape)
{
    unsigned status = LIST_STATUS(shape), region = LIST_REGION(shape);
    return region < LIST_REGION_FORMS && region_counted[region] &&
           (status == LIST_STATUS_NONE || status_code(status)) && LIST_Q(shape) == LIST_Q_NONE &&
           !(shape & EVERY_FILTER);
}

/* The list's count (part 0 of its text): the kept one, or the matches
 * counted up to the cap + 1. */
static bool list_count(unsigned shape, char *buf, size_t size)
{
    int n;
    if (count_is_kept(shape)) {
        const char *name = status_code(LIST_STATUS(shape));
        char status_is[64] = "", due[512] = DUE_UNLISTED;
        if (name && (snprintf(status_is, sizeof status_is, KEPT_STATUS, name) >= (int)sizeof status_is ||
                     snprintf(due, sizeof due, DUE_IN_STATUS, name, name) >= (int)sizeof due))
            return false;
        n = snprintf(buf, size, KEPT_COUNT, region_counted[LIST_REGION(shape)], status_is, due,
                     region_where[LIST_REGION(shape)]);
        return n > 0 && (size_t)n < size;
    }
    char from[DB_VARIANT_PART_MAX];
    if (!list_from(shape, 0, "", from, sizeof from))
        return false;
    n = snprintf(buf, size, CAPPED_COUNT(" FROM %s"), from);
    return n > 0 && (size_t)n < size;
}

static bool list_part_asc(unsigned shape, int part, char *buf, size_t size)
{
    return part ? list_from(shape, part, "a.starts_at, a.id", buf, size) : list_count(shape, buf, size);
}

static bool list_part_desc(unsigned shape, int part, char *buf, size_t size)
{
    return part ? list_from(shape, part, "a.starts_at DESC, a.id DESC", buf, size) : list_count(shape, buf, size);
}

/* Every shape runs on one generic plan per connection (db_variant.c), but
 * for those whose generic plan would be wrong, planned per call instead:
 * - a title word or a time window: a generic plan sees neither. It cannot
 *   tell a word of two characters in ten thousand titles from one in none,
 *   nor a day from a year (bench/plans_matrix.py at 200k activities: q=科普
 *   24 ms planned per call, 600 ms on a generic plan; status=signup_closed
 *   over ±7 days walked starts_at and threw away 4,790 rows where its custom
 *   plan took the window index and threw away 26);
 * - nothing that narrows the list (no filter, or the whole country): a
 *   generic plan does not know that LIMIT is 20, and reads the whole table
 *   (205 ms) where the custom plan walks starts_at for 20 rows (0.6 ms).
 * Their texts are still shorter to plan than one text for every shape. */
static bool list_per_call(unsigned shape)
{
    unsigned region = LIST_REGION(shape);
    bool narrows = LIST_STATUS(shape) != LIST_STATUS_NONE ||
                   (region != LIST_REGION_NONE && region != LIST_REGION_COUNTRY) ||
                   (shape & (LIST_ORG | LIST_CATEGORY | LIST_THEME));
    return LIST_Q(shape) != LIST_Q_NONE || (shape & (LIST_FROM | LIST_TO)) || !narrows;
}

/* Type OIDs (pg_type): text, bigint, timestamptz. */
enum { TEXT_OID = 25, INT8_OID = 20, TIMESTAMPTZ_OID = 1184 };
static const unsigned list_types[] = {TEXT_OID, TEXT_OID, TEXT_OID, INT8_OID, TEXT_OID, TEXT_OID, TEXT_OID,
                                      TIMESTAMPTZ_OID, TIMESTAMPTZ_OID, /* LIMIT, OFFSET */ INT8_OID, INT8_OID};
#define CHECKED(status, region, q) ((status) | (region) << LIST_REGION_SHIFT | (q) << LIST_Q_SHIFT | EVERY_FILTER)
/* Between them, every fragment, and the longest text. */
static const unsigned list_checked[] = {
    CHECKED(LIST_STATUS_NONE, LIST_REGION_NONE, LIST_Q_NONE),
    CHECKED(LIST_STATUS_CANCELLED, LIST_REGION_COUNTRY, LIST_Q_TWO_CHARS),
    CHECKED(LIST_STATUS_ENDED, LIST_REGION_PROVINCE, LIST_Q_OTHER),
    CHECKED(LIST_STATUS_ONGOING, LIST_REGION_CITY, LIST_Q_TWO_CHARS),
    CHECKED(LIST_STATUS_RECRUITING, LIST_REGION_RANGE, LIST_Q_TWO_CHARS),
    CHECKED(LIST_STATUS_SIGNUP_CLOSED, LIST_REGION_PROVINCE, LIST_Q_TWO_CHARS),
    CHECKED(LIST_STATUS_UPCOMING, LIST_REGION_CITY, LIST_Q_OTHER),
    CHECKED(LIST_STATUS_OTHER, LIST_REGION_RANGE, LIST_Q_OTHER),
    CHECKED(LIST_STATUS_ENDED, LIST_REGION_CODE, LIST_Q_NONE),
    /* the kept counts (list_count): a status in a region, and a region alone */
    LIST_STATUS_RECRUITING | LIST_REGION_PROVINCE << LIST_REGION_SHIFT,
    LIST_STATUS_NONE | LIST_REGION_CITY << LIST_REGION_SHIFT,
};

#define LIST_VARIANTS(from)                                                                                    \
    {                                                                                                          \
        .nfilters = 9, .shape = list_shape, .where = from, .per_call = list_per_call, .types = list_types,    \
        .ntypes = sizeof list_types / sizeof *list_types, .checked = list_checked,                            \
        .nchecked = sizeof list_checked / sizeof *list_checked,                                                \
    }
const db_variants list_variants_asc = LIST_VARIANTS(list_part_asc);
const db_variants list_variants_desc = LIST_VARIANTS(list_part_desc);

/* Why a sign-up of activity a by volunteer `vol` is refused, in the order
 * the contract decides it: SQL_SIGNUP, SQL_SIGNUP_CHECK and SQL_SIGNUP_REFUSED. */
#define SIGNUP_REASONS(vol)                                                                                     \
    " a.cancelled_at IS NOT NULL OR now() >= a.ends_at OR now() < a.signup_starts_at"                          \
    "   OR now() >= a.signup_ends_at AS closed,"                                                              \
    " EXISTS (SELECT 1 FROM activity.signups s WHERE s.activity_id = a.id AND s.volunteer_id = " vol ") AS signed," \
    " a.members_only AND NOT EXISTS (SELECT 1 FROM org.members m WHERE m.org_id = a.org_id"                   \
    "                                AND m.volunteer_id = " vol " AND m.status = 'active') AS not_member,"     \
    " a.signed_up >= a.capacity AS full"
/* The caller's volunteer (v, by $2 the user), and the row that says why a
 * sign-up of activity $1 by v is refused: SQL_SIGNUP and SQL_SIGNUP_CHECK. */
#define SIGNUP_VOLUNTEER "WITH v AS (SELECT id, claim_status FROM volunteer.volunteers WHERE user_id = $2)"
#define SIGNUP_REFUSAL_ROW                                                                                      \
    " v.id AS volunteer, v.claim_status = 'unclaimed' AS unclaimed, a.id IS NULL AS missing," SIGNUP_REASONS("v.id") \
    " FROM (SELECT) one LEFT JOIN v ON true LEFT JOIN activity.activities a ON a.id = $1"
#define ARRAY_OF(n) "ARRAY(SELECT json_array_elements_text($" #n "::json))"

#define STMT(id, ...) [id] = {__VA_ARGS__},
const db_stmt activity_sql[SQL__MAX] = {
#include "sql.def"
};
#undef STMT
