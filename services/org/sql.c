/* Every statement the org service runs, prepared once per connection. */
#include "org.h"

#define ORG_COLUMNS                                                                                            \
    "o.id, o.name, o.level, o.parent_id, p.name AS parent_name, o.status, o.reject_reason,"                   \
    " o.registered_with_civil_affairs, o.supervisor_type, o.supervisor_name, o.founded_on::text AS founded_on," \
    " to_json(o.service_categories) AS service_categories, ref.region_json(o.region_code) AS region,"         \
    " o.leader_name, o.leader_title, o.description, o.member_count,"                                          \
    " org.activity_count(o.id) AS activity_count, ref.rfc3339(o.created_at) AS created_at,"                   \
    " to_json(o.former_names) AS former_names, o.version"
#define FROM_ORGS " FROM org.orgs o LEFT JOIN org.orgs p ON p.id = o.parent_id"

/* The public list's filters: $1/$2 region range, $3 name, $4 level, $5 parent. */
#define ORGS_WHERE                                                                                             \
    " WHERE o.status = 'approved' AND ($1::text IS NULL OR o.region_code BETWEEN $1 AND $2)"                  \
    "   AND ($3::text IS NULL OR o.name LIKE ref.contains_pattern($3))"                                        \
    "   AND ($4::text IS NULL OR o.level = $4) AND ($5::bigint IS NULL OR o.parent_id = $5)"

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

const db_stmt org_sql[SQL__MAX] = {
    /* $2 is the caller (0 when anonymous). */
    [SQL_ORG_ACCESS] = {"org_access",
        "SELECT o.id, o.status, o.level, o.region_code, r.own_admin, r.ancestor_admin, r.platform_admin"
        " FROM org.orgs o CROSS JOIN LATERAL org.rights($2, o.id) r WHERE o.id = $1"},

    [SQL_ORG_GET] = {"org_get", "SELECT " ORG_COLUMNS FROM_ORGS " WHERE o.id = $1"},

    [SQL_ORG_INSERT] = {"org_insert",
        "WITH o AS ("
        "  INSERT INTO org.orgs (name, level, parent_id, registered_with_civil_affairs, supervisor_type,"
        "     supervisor_name, founded_on, service_categories, region_code, leader_name, leader_title,"
        "     leader_employer, leader_phone, description, created_by)"
        "  VALUES ($1, $2, $3, $4, $5, $6, $7::date, " ARRAY_OF(8) ", $9, $10, $11, $12, $13, $14, $15)"
        "  RETURNING id)"
        " INSERT INTO org.admins (org_id, user_id) SELECT id, $15 FROM o RETURNING org_id AS id"},

    /* One UPDATE of the fields sent: NULL leaves a field as it is (so
     * concurrent edits of different fields never undo each other); the leader
     * and description may be cleared, so they carry "was sent" flags. A new
     * name of an approved org keeps the old one among former_names. */
    [SQL_ORG_UPDATE] = {"org_update",
        "UPDATE org.orgs SET name = coalesce($2, name), level = coalesce($3, level),"
        "   former_names = CASE WHEN status = 'approved' AND $2 IS NOT NULL AND $2 <> name"
        "                       THEN array_append(former_names, name) ELSE former_names END,"
        "   registered_with_civil_affairs = coalesce($4, registered_with_civil_affairs),"
        "   supervisor_type = coalesce($5, supervisor_type), supervisor_name = coalesce($6, supervisor_name),"
        "   founded_on = coalesce($7::date, founded_on),"
        "   service_categories = CASE WHEN $8::json IS NULL THEN service_categories ELSE " ARRAY_OF(8) " END,"
        "   region_code = coalesce($9, region_code),"
        "   leader_name = CASE WHEN $10::bool THEN $11 ELSE leader_name END,"
        "   leader_title = CASE WHEN $10::bool THEN $12 ELSE leader_title END,"
        "   leader_employer = CASE WHEN $10::bool THEN $13 ELSE leader_employer END,"
        "   leader_phone = CASE WHEN $10::bool THEN $14 ELSE leader_phone END,"
        "   description = CASE WHEN $15::bool THEN $16 ELSE description END,"
        "   updated_at = now()"
        " WHERE id = $1 RETURNING id"},

    /* Only a pending org is decided. */
    [SQL_ORG_DECIDE] = {"org_decide",
        "UPDATE org.orgs SET status = $2, reject_reason = $3, decided_by = $4, decided_at = now(), updated_at = now()"
        " WHERE id = $1 AND status = 'pending' RETURNING id"},

    /* Every change of an org or its people locks its row (org_locked_or_reply):
     * admin removals serialize (the last-admin rule), and a request whose
     * caller is being removed as an admin waits for the removal and then sees
     * it. */
    [SQL_ORG_LOCK] = {"org_lock", "SELECT id FROM org.orgs WHERE id = $1 FOR UPDATE"},

    /* ...and its ancestors' rows, whose admins' rights reach it; root first,
     * so that every transaction takes these locks in the same order. */
    [SQL_ORG_LOCK_ANCESTORS] = {"org_lock_ancestors",
        "WITH RECURSIVE up (id, parent_id, depth) AS ("
        "  SELECT o.id, o.parent_id, 0 FROM org.orgs o WHERE o.id = $1"
        "  UNION ALL"
        "  SELECT o.id, o.parent_id, up.depth + 1 FROM org.orgs o JOIN up ON o.id = up.parent_id WHERE up.depth < 32)"
        " SELECT o.id FROM org.orgs o JOIN up ON up.id = o.id WHERE up.depth > 0"
        " ORDER BY up.depth DESC FOR SHARE OF o"},

    /* Does a platform admin's scope cover a region (a new region_code)? */
    [SQL_SCOPE_COVERS] = {"scope_covers",
        "SELECT EXISTS (SELECT 1 FROM auth.platform_admins p CROSS JOIN LATERAL ref.region_range(p.region_code) s"
        "               WHERE p.user_id = $1 AND $2 BETWEEN s.lo AND s.hi) AS covers"},

    /* An edit of the level must keep it below the parent's and above the
     * children's. */
    [SQL_LEVEL_NEIGHBOURS] = {"level_neighbours",
        "SELECT p.level AS parent_level,"
        "       to_json(ARRAY(SELECT DISTINCT c.level FROM org.orgs c WHERE c.parent_id = o.id)) AS child_levels"
        " FROM org.orgs o LEFT JOIN org.orgs p ON p.id = o.parent_id WHERE o.id = $1"},

    [SQL_ORGS_COUNT] = {"orgs_count", "SELECT count(*) AS total FROM org.orgs o" ORGS_WHERE},
    [SQL_ORGS_PAGE] = {"orgs_page",
        "SELECT " ORG_COLUMNS FROM_ORGS ORGS_WHERE " ORDER BY o.id DESC LIMIT $6 OFFSET $7"},

    [SQL_CHILDREN_COUNT] = {"children_count", "SELECT count(*) AS total FROM org.orgs o" CHILDREN_WHERE},
    [SQL_CHILDREN_PAGE] = {"children_page",
        "SELECT " ORG_COLUMNS FROM_ORGS CHILDREN_WHERE " ORDER BY o.id LIMIT $3 OFFSET $4"},

    /* Who a phone may be made admin of org $1: an active member, or an
     * admin already (409). Nobody else: no row, whether the phone has an
     * account, a volunteer or neither, so the answer tells nothing of them. */
    [SQL_ADMIN_CANDIDATE] = {"admin_candidate",
        "SELECT u.id AS user_id, EXISTS (SELECT 1 FROM org.admins a WHERE a.org_id = $1 AND a.user_id = u.id) AS is_admin"
        " FROM auth.users u WHERE u.phone = $2"
        "   AND (EXISTS (SELECT 1 FROM volunteer.volunteers v JOIN org.members m ON m.volunteer_id = v.id"
        "                WHERE v.user_id = u.id AND m.org_id = $1 AND m.status = 'active')"
        "        OR EXISTS (SELECT 1 FROM org.admins a WHERE a.org_id = $1 AND a.user_id = u.id))"},

    /* Every admin is active for now; pending grants (org imports) will be
     * listed here with status 'pending'. */
    [SQL_ADMINS_LIST] = {"admins_list",
        "SELECT a.user_id, u.phone, v.real_name, 'active' AS status FROM org.admins a JOIN auth.users u ON u.id = a.user_id"
        " LEFT JOIN volunteer.volunteers v ON v.user_id = a.user_id"
        " WHERE a.org_id = $1 ORDER BY a.created_at, a.user_id"},

    [SQL_ADMIN_ADD] = {"admin_add",
        "INSERT INTO org.admins (org_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING user_id"},

    [SQL_ADMIN_COUNT] = {"admin_count",
        "SELECT count(*) AS admins, bool_or(user_id = $2) AS is_admin FROM org.admins WHERE org_id = $1"},

    [SQL_ADMIN_REMOVE] = {"admin_remove", "DELETE FROM org.admins WHERE org_id = $1 AND user_id = $2"},

    /* Applying again after a rejection starts over; a pending or active
     * membership is left alone (no row back: 409). */
    [SQL_MEMBER_APPLY] = {"member_apply",
        "WITH m AS ("
        "  INSERT INTO org.members (org_id, volunteer_id) VALUES ($1, $2)"
        "  ON CONFLICT (org_id, volunteer_id) DO UPDATE SET status = 'pending', applied_at = now(),"
        "     decided_at = NULL, joined_at = NULL WHERE org.members.status = 'rejected'"
        "  RETURNING *)"
        " SELECT " MEMBERSHIP_COLUMNS " FROM m JOIN org.orgs o ON o.id = m.org_id"},

    [SQL_MEMBER_DECIDE] = {"member_decide",
        "UPDATE org.members SET status = $3, decided_at = now(),"
        "   joined_at = CASE WHEN $3 = 'active' THEN now() END"
        " WHERE org_id = $1 AND volunteer_id = $2 AND status = 'pending' RETURNING volunteer_id"},

    [SQL_MEMBER_GET] = {"member_get",
        "SELECT " MEMBERSHIP_COLUMNS " FROM org.members m JOIN org.orgs o ON o.id = m.org_id"
        " WHERE m.org_id = $1 AND m.volunteer_id = $2"},

    [SQL_MEMBER_REMOVE] = {"member_remove",
        "DELETE FROM org.members WHERE org_id = $1 AND volunteer_id = $2 RETURNING volunteer_id"},

    [SQL_MEMBERS_COUNT] = {"members_count", "SELECT count(*) AS total" FROM_MEMBERS MEMBERS_WHERE},
    [SQL_MEMBERS_PAGE] = {"members_page",
        "SELECT " VOLUNTEER_COLUMNS ", m.status AS membership_status" FROM_MEMBERS MEMBERS_WHERE
        " ORDER BY m.applied_at DESC, m.volunteer_id LIMIT $4 OFFSET $5"},
};
