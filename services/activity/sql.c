/* The activity service's statement table, prepared once per connection: the
 * rows are sql.def's, the SQL fragments they share are defined here. */
#include "activity.h"

#define FROM_ACTIVITIES " FROM activity.activities a JOIN org.orgs o ON o.id = a.org_id"

/* The list's filters. $1 status: the exact test is activity.status_at()
 * (ACTIVITY_STATUS), the one definition the detail view also uses; the time
 * bounds after it are what that definition implies for each status, so the
 * planner can answer from the starts_at/ends_at indexes (these statements
 * are planned per call, so a NULL filter folds away).
 * (ended implies starts_at < now(); recruiting is an open sign-up window,
 * served by activities_signup_window; ongoing and signup_closed are the
 * windows [starts_at, ends_at) and [signup_ends_at, starts_at) holding now,
 * served by activities_running and activities_closed_window (ongoing also
 * says starts_at <= now(), which a page walking starts_at down needs to
 * start at now rather than at the farthest planned activity); cancelled by
 * activities_cancelled_starts, migration 014). A province's or a city's range
 * is also said as its code prefix (the same rows: region codes are six
 * digits), which activities_province_starts / activities_city_starts keep in
 * starts_at order, so a page walks them in order instead of sorting the whole
 * region. $2/$3 region range, $4 org, $5 category, $6 theme, $7 title, $8/$9 the
 * starts_at range [from, to], both inclusive. A title word of two characters
 * (most Chinese words) is looked up in activities_title_bigrams, since
 * trigrams need three; the guard folds away for other lengths, which keep
 * the trigram index. */
#define LIST_WHERE                                                                                             \
    " WHERE ($1::text IS NULL OR " ACTIVITY_STATUS " = $1)"                                                    \
    "   AND ($1::text IS NULL OR $1 <> 'cancelled' OR a.cancelled_at IS NOT NULL)"                             \
    "   AND ($1::text IS NULL OR $1 <> 'ended' OR (a.ends_at <= now() AND a.starts_at < now()))"              \
    "   AND ($1::text IS NULL OR $1 <> 'ongoing'"                                                               \
    "        OR (tstzrange(a.starts_at, a.ends_at) @> now() AND a.starts_at <= now()))"                          \
    "   AND ($1::text IS NULL OR $1 NOT IN ('recruiting', 'signup_closed', 'upcoming') OR a.starts_at > now())" \
    "   AND ($1::text IS NULL OR $1 <> 'recruiting' OR tstzrange(a.signup_starts_at, a.signup_ends_at) @> now())" \
    "   AND ($1::text IS NULL OR $1 <> 'signup_closed'"                                                         \
    "        OR tstzrange(a.signup_ends_at, greatest(a.signup_ends_at, a.starts_at)) @> now())"                   \
    "   AND ($2::text IS NULL OR a.region_code BETWEEN $2 AND $3)"                                             \
    "   AND ($2::text IS NULL OR $3 <> left($2, 2) || '9999' OR left(a.region_code, 2) = left($2, 2))"          \
    "   AND ($2::text IS NULL OR $3 <> left($2, 4) || '99' OR left(a.region_code, 4) = left($2, 4))"            \
    "   AND ($4::bigint IS NULL OR a.org_id = $4)"                                                             \
    "   AND ($5::text IS NULL OR a.service_category = $5)"                                                     \
    "   AND ($6::text IS NULL OR a.themes @> ARRAY[$6::text])"                                                 \
    "   AND ($7::text IS NULL OR a.title LIKE ref.contains_pattern($7)"                                        \
    "        AND (char_length($7) <> 2 OR ref.bigrams(a.title) @> ARRAY[$7::text]))"                            \
    "   AND ($8::timestamptz IS NULL OR a.starts_at >= $8)"                                                    \
    "   AND ($9::timestamptz IS NULL OR a.starts_at <= $9)"

/* Why a sign-up is refused ($1 activity, $2 volunteer), in the order the
 * contract decides it: SQL_SIGNUP and SQL_SIGNUP_REFUSED. */
#define SIGNUP_REASONS                                                                                          \
    " a.cancelled_at IS NOT NULL OR now() >= a.ends_at OR now() < a.signup_starts_at"                          \
    "   OR now() >= a.signup_ends_at AS closed,"                                                              \
    " EXISTS (SELECT 1 FROM activity.signups s WHERE s.activity_id = a.id AND s.volunteer_id = $2) AS signed,"   \
    " a.members_only AND NOT EXISTS (SELECT 1 FROM org.members m WHERE m.org_id = a.org_id"                   \
    "                                AND m.volunteer_id = $2 AND m.status = 'active') AS not_member,"          \
    " a.signed_up >= a.capacity AS full"
#define ARRAY_OF(n) "ARRAY(SELECT json_array_elements_text($" #n "::json))"

#define STMT(id, ...) [id] = {__VA_ARGS__},
const db_stmt activity_sql[SQL__MAX] = {
#include "sql.def"
};
#undef STMT
