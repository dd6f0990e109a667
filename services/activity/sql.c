/* Every statement the activity service runs, prepared once per connection. */
#include "activity.h"

#define FROM_ACTIVITIES " FROM activity.activities a JOIN org.orgs o ON o.id = a.org_id"

/* The list's filters. $1 status: the exact test is activity.status_at()
 * (ACTIVITY_STATUS), the one definition the detail view also uses; the time
 * bounds after it are what that definition implies for each status, so the
 * planner can answer from the starts_at/ends_at indexes (these statements
 * are planned per call, so a NULL filter folds away).
 * (ended implies starts_at < now(); recruiting is an open sign-up window,
 * served by activities_signup_window). $2/$3 region range, $4 org, $5 category, $6 theme, $7 title, $8/$9 the
 * starts_at range [from, to], both inclusive. */
#define LIST_WHERE                                                                                             \
    " WHERE ($1::text IS NULL OR " ACTIVITY_STATUS " = $1)"                                                    \
    "   AND ($1::text IS NULL OR $1 <> 'cancelled' OR a.cancelled_at IS NOT NULL)"                             \
    "   AND ($1::text IS NULL OR $1 <> 'ended' OR (a.ends_at <= now() AND a.starts_at < now()))"              \
    "   AND ($1::text IS NULL OR $1 <> 'ongoing' OR (a.starts_at <= now() AND a.ends_at > now()))"             \
    "   AND ($1::text IS NULL OR $1 NOT IN ('recruiting', 'signup_closed', 'upcoming') OR a.starts_at > now())" \
    "   AND ($1::text IS NULL OR $1 <> 'recruiting' OR tstzrange(a.signup_starts_at, a.signup_ends_at) @> now())" \
    "   AND ($2::text IS NULL OR a.region_code BETWEEN $2 AND $3)"                                             \
    "   AND ($4::bigint IS NULL OR a.org_id = $4)"                                                             \
    "   AND ($5::text IS NULL OR a.service_category = $5)"                                                     \
    "   AND ($6::text IS NULL OR a.themes @> ARRAY[$6::text])"                                                 \
    "   AND ($7::text IS NULL OR a.title LIKE ref.contains_pattern($7))"                                       \
    "   AND ($8::timestamptz IS NULL OR a.starts_at >= $8)"                                                    \
    "   AND ($9::timestamptz IS NULL OR a.starts_at <= $9)"

#define ARRAY_OF(n) "ARRAY(SELECT json_array_elements_text($" #n "::json))"

const db_stmt activity_sql[SQL__MAX] = {
    /* Publishing: $1 org, $2 caller. */
    [SQL_ORG_RIGHTS] = {"org_rights",
        "SELECT o.status, r.own_admin FROM org.orgs o CROSS JOIN LATERAL org.rights($2, o.id) r WHERE o.id = $1"},

    /* An activity's state by the server clock and the caller's ($2) rights. */
    [SQL_ACTIVITY_RIGHTS] = {"activity_rights",
        "SELECT a.id, a.org_id, now() >= a.starts_at AS started, now() >= a.ends_at AS ended,"
        "       a.cancelled_at IS NOT NULL AS cancelled, extract(epoch FROM a.ends_at - a.starts_at) / 3600 AS max_hours,"
        "       r.own_admin, r.ancestor_admin, r.platform_admin"
        " FROM activity.activities a CROSS JOIN LATERAL org.rights($2, a.org_id) r WHERE a.id = $1"},

    /* The activity and its row version (the ETag). */
    [SQL_ACTIVITY_GET] = {"activity_get", "SELECT " ACTIVITY_COLUMNS ", a.version" FROM_ACTIVITIES " WHERE a.id = $1"},

    /* An edit's first statement: the activity as it is, locked until the
     * edit commits, so concurrent edits merge one after the other and none
     * is lost. Under READ COMMITTED the locked row is the newest version. */
    [SQL_ACTIVITY_LOCK] = {"activity_lock",
        "SELECT " ACTIVITY_COLUMNS ", a.version, a.cancelled_at IS NOT NULL AS cancelled"
        FROM_ACTIVITIES " WHERE a.id = $1 FOR UPDATE OF a"},

    /* Cancelling's first statement: lock the row (recording hours holds a
     * share lock, so none is in flight once this returns). */
    [SQL_ACTIVITY_LOCK_STATE] = {"activity_lock_state",
        "SELECT a.cancelled_at IS NOT NULL AS cancelled, now() >= a.ends_at AS ended"
        " FROM activity.activities a WHERE a.id = $1 FOR UPDATE"},

    /* Recording hours and the report: the activity's state, share-locked so
     * that no edit, cancellation or withdrawal changes it until commit. */
    [SQL_ACTIVITY_LOCK_SHARE] = {"activity_lock_share",
        "SELECT now() >= a.starts_at AS started, a.cancelled_at IS NOT NULL AS cancelled,"
        "       extract(epoch FROM a.ends_at - a.starts_at) / 3600 AS max_hours"
        " FROM activity.activities a WHERE a.id = $1 FOR SHARE"},

    /* The most hours recorded for one volunteer of activity $1 (NULL: none).
     * Run after the row lock, so it sees every recording committed. */
    [SQL_RECORDED_MAX] = {"recorded_max",
        "SELECT max(r.hours) AS max_recorded FROM activity.service_records r WHERE r.activity_id = $1"},

    [SQL_ACTIVITY_INSERT] = {"activity_insert",
        "INSERT INTO activity.activities (org_id, title, description, service_category, themes, region_code,"
        "   address, starts_at, ends_at, signup_starts_at, signup_ends_at, capacity, service_hours, contact_name,"
        "   contact_phone, requirements, members_only, created_by)"
        " VALUES ($1, $2, $3, $4, " ARRAY_OF(5) ", $6, $7, $8, $9, coalesce($10::timestamptz, now()), $11, $12,"
        "   $13, $14, $15, $16, $17, $18)"
        " RETURNING id"},

    /* The whole edited activity, merged with the row SQL_ACTIVITY_LOCK
     * locked and checked by the handler; the conditions repeat the checks
     * as a last line of defence. The version moves on by trigger. */
    [SQL_ACTIVITY_UPDATE] = {"activity_update",
        "UPDATE activity.activities SET title = $2, description = $3, service_category = $4,"
        "   themes = " ARRAY_OF(5) ", region_code = $6, address = $7, starts_at = $8, ends_at = $9,"
        "   signup_starts_at = coalesce($10::timestamptz, now()), signup_ends_at = $11, capacity = $12, service_hours = $13,"
        "   contact_name = $14, contact_phone = $15, requirements = $16, members_only = $17, updated_at = now()"
        " WHERE id = $1 AND signed_up <= $12 AND cancelled_at IS NULL RETURNING id"},

    /* After SQL_ACTIVITY_LOCK_STATE, in the same transaction: a new
     * statement, so its snapshot sees every hour recorded before the lock. */
    [SQL_ACTIVITY_CANCEL] = {"activity_cancel",
        "UPDATE activity.activities SET cancelled_at = now(), cancel_reason = $2, updated_at = now()"
        " WHERE id = $1 AND cancelled_at IS NULL AND now() < ends_at"
        "   AND NOT EXISTS (SELECT 1 FROM activity.service_records r WHERE r.activity_id = $1) RETURNING id"},

    [SQL_LIST_COUNT] = {"list_count", "SELECT count(*) AS total FROM activity.activities a" LIST_WHERE, .plan_per_call = true},
    /* The page's ids first, then its 20 full rows: OFFSET skips ids, not
     * built rows (the org join, region JSON and times). */
    [SQL_LIST_PAGE_ASC] = {"list_page_asc",
        "SELECT " ACTIVITY_COLUMNS " FROM (SELECT a.id FROM activity.activities a" LIST_WHERE
        "   ORDER BY a.starts_at, a.id LIMIT $10 OFFSET $11) p"
        " JOIN activity.activities a ON a.id = p.id JOIN org.orgs o ON o.id = a.org_id ORDER BY a.starts_at, a.id",
        .plan_per_call = true},
    [SQL_LIST_PAGE_DESC] = {"list_page_desc",
        "SELECT " ACTIVITY_COLUMNS " FROM (SELECT a.id FROM activity.activities a" LIST_WHERE
        "   ORDER BY a.starts_at DESC, a.id DESC LIMIT $10 OFFSET $11) p"
        " JOIN activity.activities a ON a.id = p.id JOIN org.orgs o ON o.id = a.org_id"
        " ORDER BY a.starts_at DESC, a.id DESC", .plan_per_call = true},

    /* One statement, so one transaction: the conditional increment takes the
     * activity's row lock and re-checks capacity after any concurrent
     * sign-up commits; the primary key refuses a second sign-up of the same
     * volunteer and then the whole statement (the increment too) fails. */
    [SQL_SIGNUP] = {"signup",
        "WITH a AS ("
        "  UPDATE activity.activities a SET signed_up = signed_up + 1"
        "  WHERE a.id = $1 AND a.cancelled_at IS NULL AND a.signed_up < a.capacity"
        "    AND now() >= a.signup_starts_at AND now() < a.signup_ends_at AND now() < a.ends_at"
        "    AND (NOT a.members_only OR EXISTS (SELECT 1 FROM org.members m WHERE m.org_id = a.org_id"
        "                                       AND m.volunteer_id = $2 AND m.status = 'active'))"
        "  RETURNING a.id)"
        " INSERT INTO activity.signups (activity_id, volunteer_id) SELECT id, $2 FROM a"
        " RETURNING activity_id, volunteer_id, status, ref.rfc3339(created_at) AS created_at"},

    /* Why a sign-up was refused, in the order the answer is decided. */
    [SQL_SIGNUP_REFUSED] = {"signup_refused",
        "SELECT a.cancelled_at IS NOT NULL OR now() >= a.ends_at OR now() < a.signup_starts_at"
        "       OR now() >= a.signup_ends_at AS closed,"
        "       EXISTS (SELECT 1 FROM activity.signups s WHERE s.activity_id = a.id AND s.volunteer_id = $2) AS signed,"
        "       a.members_only AND NOT EXISTS (SELECT 1 FROM org.members m WHERE m.org_id = a.org_id"
        "                                      AND m.volunteer_id = $2 AND m.status = 'active') AS not_member,"
        "       a.signed_up >= a.capacity AS full"
        " FROM activity.activities a WHERE a.id = $1"},

    /* Withdrawal before the start, in one statement. It locks the activity
     * row first, as a sign-up does, so the two never deadlock. */
    [SQL_WITHDRAW] = {"withdraw",
        "WITH a AS (SELECT id FROM activity.activities WHERE id = $1 AND now() < starts_at FOR UPDATE),"
        " d AS (DELETE FROM activity.signups s WHERE s.activity_id IN (SELECT id FROM a) AND s.volunteer_id = $2"
        "       RETURNING s.activity_id)"
        " UPDATE activity.activities SET signed_up = signed_up - 1 WHERE id IN (SELECT activity_id FROM d) RETURNING id"},

    [SQL_SIGNUPS_COUNT] = {"signups_count", "SELECT count(*) AS total FROM activity.signups s WHERE s.activity_id = $1"},
    [SQL_SIGNUPS_PAGE] = {"signups_page",
        "SELECT " VOLUNTEER_COLUMNS ", s.status AS signup_status, ref.rfc3339(s.created_at) AS signup_created_at,"
        "       r.hours AS recorded_hours"
        " FROM activity.signups s JOIN volunteer.volunteers v ON v.id = s.volunteer_id"
        " JOIN auth.users u ON u.id = v.user_id"
        " LEFT JOIN activity.service_records r ON r.activity_id = s.activity_id AND r.volunteer_id = s.volunteer_id"
        " WHERE s.activity_id = $1 ORDER BY s.created_at, s.volunteer_id LIMIT $2 OFFSET $3"},

    /* The volunteer ids of $2 that are not signed up for activity $1; the
     * sign-ups of the others are share-locked until the records commit, so
     * no withdrawal removes one under them. */
    [SQL_NOT_SIGNED_UP] = {"not_signed_up",
        "WITH signed AS MATERIALIZED (SELECT s.volunteer_id FROM activity.signups s"
        "   WHERE s.activity_id = $1 AND s.volunteer_id = ANY($2::bigint[]) FOR SHARE)"
        " SELECT v.id FROM unnest($2::bigint[]) AS v(id) WHERE v.id NOT IN (SELECT volunteer_id FROM signed)"},

    /* In volunteer order, so two recordings of the same people never
     * deadlock on each other's rows. */
    [SQL_RECORDS_UPSERT] = {"records_upsert",
        "INSERT INTO activity.service_records (activity_id, volunteer_id, hours, recorded_by)"
        " SELECT $1, r.volunteer_id, r.hours, $3 FROM json_to_recordset($2::json) AS r(volunteer_id bigint, hours numeric)"
        " ORDER BY r.volunteer_id"
        " ON CONFLICT (activity_id, volunteer_id) DO UPDATE SET hours = EXCLUDED.hours,"
        "   recorded_by = EXCLUDED.recorded_by, recorded_at = now()"},

    [SQL_REPORT_PUT] = {"report_put",
        "INSERT INTO activity.reports (activity_id, summary, photo_urls, participants, updated_by)"
        " VALUES ($1, $2, " ARRAY_OF(3) ", $4, $5)"
        " ON CONFLICT (activity_id) DO UPDATE SET summary = EXCLUDED.summary, photo_urls = EXCLUDED.photo_urls,"
        "   participants = EXCLUDED.participants, updated_by = EXCLUDED.updated_by, updated_at = now()"},

    [SQL_REPORT_GET] = {"report_get",
        "SELECT activity_id, summary, to_json(photo_urls) AS photo_urls, participants,"
        "       ref.rfc3339(updated_at) AS updated_at FROM activity.reports WHERE activity_id = $1"},
};
