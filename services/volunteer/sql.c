/* The volunteer service's statement table, prepared once per connection: the
 * rows are sql.def's, the SQL fragments they share are defined here. */
#include "volunteer.h"

#define FROM_VOLUNTEERS " FROM volunteer.volunteers v JOIN auth.users u ON u.id = v.user_id"

/* Fields of a registration or an edit, in parameter order after the id. */
#define ARRAY_OF(n) "ARRAY(SELECT json_array_elements_text($" #n "::json))"

/* The caller's ($1) sign-ups: $2 all | upcoming (not cancelled, not yet
 * ended) | ended, $3 title search. */
#define FROM_MY_SIGNUPS                                                                                        \
    " FROM volunteer.volunteers v JOIN activity.signups s ON s.volunteer_id = v.id"                           \
    " JOIN activity.activities a ON a.id = s.activity_id JOIN org.orgs o ON o.id = a.org_id"
#define MY_SIGNUPS_WHERE                                                                                       \
    " WHERE v.user_id = $1 AND ($2 = 'all' OR ($2 = 'upcoming' AND a.cancelled_at IS NULL AND now() < a.ends_at)" \
    "   OR ($2 = 'ended' AND now() >= a.ends_at))"                                                             \
    "   AND ($3::text IS NULL OR a.title LIKE ref.contains_pattern($3))"

#define STMT(id, ...) [id] = {__VA_ARGS__},
const db_stmt volunteer_sql[SQL__MAX] = {
#include "sql.def"
};
#undef STMT
