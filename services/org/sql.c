/* The org service's statement table, prepared once per connection: the
 * rows are sql.def's, the SQL fragments they share are defined here. */
#include "org.h"

#define ORG_COLUMNS                                                                                            \
    "o.id, o.name, o.level, o.parent_id, p.name AS parent_name, o.status, o.reject_reason,"                   \
    " o.registered_with_civil_affairs, o.supervisor_type, o.supervisor_name, o.founded_on::text AS founded_on," \
    " to_json(o.service_categories) AS service_categories, " REGION_DISPLAY("o.region_code") " AS region,"     \
    " o.leader_name, o.leader_title, o.description, o.member_count,"                                          \
    " org.activity_count(o.id) AS activity_count, ref.rfc3339(o.created_at) AS created_at,"                   \
    " to_json(o.former_names) AS former_names, o.version"
#define FROM_ORGS " FROM org.orgs o LEFT JOIN org.orgs p ON p.id = o.parent_id"

/* The public list's filters: $1/$2 region range, $3 name, $4 level, $5 parent. */
#define ORGS_WHERE                                                                                             \
    " WHERE o.status = 'approved' AND ($1::text IS NULL OR o.region_code BETWEEN $1 AND $2)"                  \
    "   AND ($3::text IS NULL OR o.name LIKE ref.contains_pattern($3))"                                        \
    "   AND ($4::text IS NULL OR o.level = $4) AND ($5::bigint IS NULL OR o.parent_id = $5)"

/* An approval queue: the public list's filters, orgs in status $6 that
 * caller $7 may decide, by the rule of can_approve (orgs.c) on
 * org.rights(): not its own admin, and an ancestor's admin or a platform
 * admin in scope. */
#define ORGS_QUEUE_WHERE                                                                                       \
    " WHERE o.status = $6 AND ($1::text IS NULL OR o.region_code BETWEEN $1 AND $2)"                          \
    "   AND ($3::text IS NULL OR o.name LIKE ref.contains_pattern($3))"                                        \
    "   AND ($4::text IS NULL OR o.level = $4) AND ($5::bigint IS NULL OR o.parent_id = $5)"                   \
    "   AND EXISTS (SELECT 1 FROM org.rights($7, o.id) r"                                                      \
    "               WHERE NOT r.own_admin AND (r.ancestor_admin OR r.platform_admin))"

/* A parent's children: approved ones for everyone, all of them for
 * callers with rights on the parent ($2). */
#define CHILDREN_WHERE " WHERE o.parent_id = $1 AND (o.status = 'approved' OR $2::bool)"

#define FROM_MEMBERS                                                                                           \
    " FROM org.members m JOIN volunteer.volunteers v ON v.id = m.volunteer_id"                                \
    " JOIN auth.users u ON u.id = v.user_id"
#define MEMBERS_WHERE                                                                                          \
    " WHERE m.org_id = $1 AND ($2::text IS NULL OR m.status = $2) AND ($2::text IS NOT NULL OR m.status <> 'rejected')" \
    "   AND ($3::text IS NULL OR v.real_name LIKE ref.contains_pattern($3))"

#define ARRAY_OF(n) "ARRAY(SELECT json_array_elements_text($" #n "::json))"
#define MEMBERSHIP_COLUMNS                                                                                     \
    "m.org_id, o.name AS org_name, m.volunteer_id, m.status, ref.rfc3339(m.applied_at) AS applied_at,"        \
    " ref.rfc3339(m.joined_at) AS joined_at"

/* Link requests (v1.1): a row as the API shows it. */
#define LINK_COLUMNS                                                                                           \
    "l.id, l.org_id, l.user_id, l.note, l.status, l.reason, ref.rfc3339(l.created_at) AS created_at,"        \
    " ref.rfc3339(l.decided_at) AS decided_at,"                                                               \
    " (SELECT v.real_name FROM volunteer.volunteers v WHERE v.user_id = l.user_id) AS real_name"

/* A name another org has, as it is or after normalising (org.name_key,
 * 009_org_v11.sql): registering or renaming. */
static const db_refusal name_taken[] = {
    {DB_UNIQUE, "orgs_name_unique", ERR_ALREADY_EXISTS, "an organization with this name exists", NULL},
    {DB_UNIQUE, "orgs_name_key_unique", ERR_ALREADY_EXISTS, "an organization with this name exists", NULL},
    {0},
};

#define STMT(id, ...) [id] = {__VA_ARGS__},
const db_stmt org_sql[SQL__MAX] = {
#include "sql.def"
};
#undef STMT
