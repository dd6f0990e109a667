/* Every statement the volunteer service runs, prepared once per connection. */
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

const db_stmt volunteer_sql[SQL__MAX] = {
    [SQL_MY_ACTIVITIES_COUNT] = {"my_activities_count", "SELECT count(*) AS total" FROM_MY_SIGNUPS MY_SIGNUPS_WHERE},
    [SQL_MY_ACTIVITIES_PAGE] = {"my_activities_page",
        "SELECT " ACTIVITY_COLUMNS ", s.status AS signup_status, ref.rfc3339(s.created_at) AS signup_created_at,"
        "       r.hours AS recorded_hours" FROM_MY_SIGNUPS
        " LEFT JOIN activity.service_records r ON r.activity_id = s.activity_id AND r.volunteer_id = s.volunteer_id"
        MY_SIGNUPS_WHERE " ORDER BY a.starts_at DESC, a.id DESC LIMIT $4 OFFSET $5"},

    /* Hours by activity, with the exact total (numeric, not float). */
    [SQL_MY_SERVICE_RECORDS] = {"my_service_records",
        "SELECT a.id, a.title, a.org_id, o.name AS org_name, to_char(a.starts_at, 'YYYY-MM-DD') AS date, r.hours,"
        "       sum(r.hours) OVER () AS total_hours"
        " FROM volunteer.volunteers v JOIN activity.service_records r ON r.volunteer_id = v.id"
        " JOIN activity.activities a ON a.id = r.activity_id JOIN org.orgs o ON o.id = a.org_id"
        " WHERE v.user_id = $1 ORDER BY a.starts_at DESC, a.id DESC"},

    [SQL_MY_ORGS] = {"my_orgs",
        "SELECT o.id AS org_id, o.name, m.status, ref.rfc3339(m.joined_at) AS joined_at,"
        "       ref.rfc3339(m.applied_at) AS applied_at"
        " FROM volunteer.volunteers v JOIN org.members m ON m.volunteer_id = v.id JOIN org.orgs o ON o.id = m.org_id"
        " WHERE v.user_id = $1 ORDER BY m.applied_at DESC, o.id"},

    [SQL_REGIONS_TOP] = {"regions_top",
        "SELECT code, name, level, dev_zone FROM ref.regions WHERE parent_code IS NULL ORDER BY code"},

    [SQL_REGIONS_CHILDREN] = {"regions_children",
        "SELECT code, name, level, dev_zone FROM ref.regions WHERE parent_code = $1 ORDER BY code"},

    [SQL_VOLUNTEER_INSERT] = {"volunteer_insert",
        "INSERT INTO volunteer.volunteers (user_id, real_name, id_sealed, id_index, id_masked, gender, birth_date,"
        "   political_status, ethnicity, employer, title, education, occupation, region_code,"
        "   service_categories, service_fields, grassroots_role, skills, availability)"
        " VALUES ($1, $2, decode($3, 'hex'), decode($4, 'hex'), $5, $6, $7::date, $8, $9, $10, $11, $12, $13, $14,"
        "   " ARRAY_OF(15) ", " ARRAY_OF(16) ", $17, $18, $19)"
        " RETURNING id"},

    /* NULL leaves a field as it is; skills and availability may be cleared,
     * so each has a "was sent" flag. */
    [SQL_VOLUNTEER_UPDATE] = {"volunteer_update",
        "UPDATE volunteer.volunteers SET real_name = coalesce($2, real_name),"
        "   political_status = coalesce($3, political_status), ethnicity = coalesce($4, ethnicity),"
        "   employer = coalesce($5, employer), title = coalesce($6, title), education = coalesce($7, education),"
        "   occupation = coalesce($8, occupation), region_code = coalesce($9, region_code),"
        "   service_categories = CASE WHEN $10::json IS NULL THEN service_categories ELSE " ARRAY_OF(10) " END,"
        "   service_fields = CASE WHEN $11::json IS NULL THEN service_fields ELSE " ARRAY_OF(11) " END,"
        "   grassroots_role = coalesce($12, grassroots_role),"
        "   skills = CASE WHEN $13::bool THEN $14 ELSE skills END,"
        "   availability = CASE WHEN $15::bool THEN $16 ELSE availability END,"
        "   updated_at = now()"
        " WHERE user_id = $1 RETURNING id"},

    [SQL_VOLUNTEER_BY_USER] = {"volunteer_by_user",
        "SELECT " VOLUNTEER_COLUMNS FROM_VOLUNTEERS " WHERE v.user_id = $1"},

    /* $2 is the caller: is it the volunteer, an admin of one of its orgs
     * (or their ancestors), or a platform admin whose region covers it? */
    [SQL_VOLUNTEER_BY_ID] = {"volunteer_by_id",
        "SELECT " VOLUNTEER_COLUMNS ", v.user_id = $2 AS is_self, org.admin_of_volunteer($2, v.id) AS org_admin,"
        "   EXISTS (SELECT 1 FROM auth.platform_admins a CROSS JOIN LATERAL ref.region_range(a.region_code) s"
        "           WHERE a.user_id = $2 AND v.region_code BETWEEN s.lo AND s.hi) AS admin_in_scope"
        FROM_VOLUNTEERS " WHERE v.id = $1"},

    [SQL_ADMIN_SCOPE] = {"admin_scope",
        "SELECT s.lo, s.hi FROM auth.platform_admins a CROSS JOIN LATERAL ref.region_range(a.region_code) s"
        " WHERE a.user_id = $1 ORDER BY s.lo, s.hi DESC"},

    /* $1/$2: disjoint code ranges (each an index range scan), $3 name
     * search, $4 service category. */
    [SQL_VOLUNTEER_COUNT] = {"volunteer_count",
        "SELECT count(*) AS total FROM unnest($1::text[], $2::text[]) AS s(lo, hi)"
        " JOIN volunteer.volunteers v ON v.region_code BETWEEN s.lo AND s.hi"
        " WHERE ($3::text IS NULL OR v.real_name LIKE ref.contains_pattern($3))"
        "   AND ($4::text IS NULL OR v.service_categories @> ARRAY[$4::text])"},

    [SQL_VOLUNTEER_PAGE] = {"volunteer_page",
        "SELECT " VOLUNTEER_COLUMNS " FROM unnest($1::text[], $2::text[]) AS s(lo, hi)"
        " JOIN volunteer.volunteers v ON v.region_code BETWEEN s.lo AND s.hi"
        " JOIN auth.users u ON u.id = v.user_id"
        " WHERE ($3::text IS NULL OR v.real_name LIKE ref.contains_pattern($3))"
        "   AND ($4::text IS NULL OR v.service_categories @> ARRAY[$4::text])"
        " ORDER BY v.id DESC LIMIT $5 OFFSET $6"},
};
