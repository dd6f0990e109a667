/* Every statement the import service runs, prepared once per connection. */
#include "import.h"

/* An import as the API shows it, joined with its org and parent. */
#define IMPORT_COLUMNS                                                                                         \
    "i.id, i.kind, i.org_id, o.name AS org_name, i.parent_id, p.name AS parent_name, i.level, i.file_name,"   \
    " encode(i.sha256, 'hex') AS sha256, i.status, i.rows_total, i.rows_done, i.n_new, i.n_link,"             \
    " i.n_unchanged, i.n_invalid, i.n_warnings, i.created_by, ref.rfc3339(i.created_at) AS created_at,"       \
    " ref.rfc3339(i.validated_at) AS validated_at, ref.rfc3339(i.committed_at) AS committed_at, i.error"
#define FROM_IMPORTS                                                                                           \
    " FROM import.imports i LEFT JOIN org.orgs o ON o.id = i.org_id LEFT JOIN org.orgs p ON p.id = i.parent_id"
/* Who sees an import: its uploader, and whoever could have uploaded it now
 * (admins of the org or an ancestor, platform admins whose region covers it). */
#define VISIBLE_TO(uid)                                                                                        \
    "(i.created_by = " uid " OR EXISTS (SELECT 1 FROM org.rights(" uid ", coalesce(i.org_id, i.parent_id)) x" \
    "  WHERE x.own_admin OR x.ancestor_admin OR x.platform_admin))"

const db_stmt import_sql[SQL__MAX] = {
    /* May $2 import into org $1? */
    [SQL_ORG_RIGHTS] = {"org_rights",
        "SELECT o.id, o.name, o.status, o.level, x.own_admin, x.ancestor_admin, x.platform_admin"
        " FROM org.orgs o CROSS JOIN LATERAL org.rights($2, o.id) x WHERE o.id = $1"},

    /* The import, its sealed file and its validation job, or nothing when an
     * open import of the same file and target exists (then SQL_IMPORT_OPEN). */
    [SQL_IMPORT_INSERT] = {"import_insert",
        "WITH i AS (INSERT INTO import.imports (kind, org_id, parent_id, level, target, file_name, content_type,"
        "   sha256, rows_total, created_by)"
        "   VALUES ($1, $2, $3, $4, $5, $6, $7, decode($8, 'hex'), $9, $10)"
        "   ON CONFLICT (kind, target, sha256) WHERE status IN ('validating', 'validated', 'committing') DO NOTHING"
        "   RETURNING id),"
        " f AS (INSERT INTO import.files (import_id, sealed) SELECT id, decode($11, 'hex') FROM i),"
        " j AS (INSERT INTO import.jobs (import_id, action) SELECT id, 'validate' FROM i)"
        " SELECT id FROM i"},
    [SQL_IMPORT_OPEN] = {"import_open",
        "SELECT id FROM import.imports WHERE kind = $1 AND target = $2 AND sha256 = decode($3, 'hex')"
        "   AND status IN ('validating', 'validated', 'committing')"},

    [SQL_IMPORT_GET] = {"import_get",
        "SELECT " IMPORT_COLUMNS ", " VISIBLE_TO("$2") " AS visible, i.headers" FROM_IMPORTS " WHERE i.id = $1"},

    [SQL_IMPORT_COUNT] = {"import_count",
        "SELECT count(*) AS total" FROM_IMPORTS " WHERE ($2::text IS NULL OR i.kind = $2) AND " VISIBLE_TO("$1"),
        .plan_per_call = true},
    [SQL_IMPORT_PAGE] = {"import_page",
        "SELECT " IMPORT_COLUMNS FROM_IMPORTS " WHERE ($2::text IS NULL OR i.kind = $2) AND " VISIBLE_TO("$1")
        " ORDER BY i.id DESC LIMIT $3 OFFSET $4", .plan_per_call = true},

    [SQL_ROWS_COUNT] = {"rows_count",
        "SELECT count(*) AS total FROM import.rows WHERE import_id = $1 AND ($2::text IS NULL OR outcome = $2)"},
    [SQL_ROWS_PAGE] = {"rows_page",
        "SELECT row_no, outcome, name_masked, errors, warnings FROM import.rows"
        " WHERE import_id = $1 AND ($2::text IS NULL OR outcome = $2) ORDER BY row_no LIMIT $3 OFFSET $4"},

    /* validated → committing, with its job; nothing when not validated */
    [SQL_COMMIT_START] = {"commit_start",
        "WITH u AS (UPDATE import.imports SET status = 'committing', rows_done = 0"
        "           WHERE id = $1 AND status = 'validated' RETURNING id),"
        " j AS (INSERT INTO import.jobs (import_id, action) SELECT id, 'commit' FROM u)"
        " SELECT id FROM u"},

    [SQL_ERROR_ROWS] = {"error_rows",
        "SELECT row_no, encode(cells_sealed, 'hex') AS cells, errors FROM import.rows"
        " WHERE import_id = $1 AND outcome = 'invalid' ORDER BY row_no"},

    /* ------------------------------------------------------------ workers */
    /* The oldest job no live session owns. FOR UPDATE SKIP LOCKED lets
     * concurrent takers pass each other; ownership is a session-level
     * advisory lock taken in the same statement (evaluated row by row under
     * the outer LIMIT 1, so at most one is taken), held until the job ends
     * or the session dies. No transaction stays open during a job: an open
     * one would keep every row version the job makes from being pruned. */
    [SQL_JOB_TAKE] = {"job_take",
        "SELECT j.id, j.import_id, j.action FROM"
        " (SELECT id, import_id, action FROM import.jobs ORDER BY id LIMIT 16 FOR UPDATE SKIP LOCKED) j"
        " WHERE pg_try_advisory_lock(" IMPORT_LOCK_CLASS ", j.id::int) LIMIT 1"},
    [SQL_JOB_DONE] = {"job_done", "DELETE FROM import.jobs WHERE id = $1"},
    [SQL_JOB_RELEASE] = {"job_release", "SELECT pg_advisory_unlock(" IMPORT_LOCK_CLASS ", $1::int)"},
    /* GET /metrics: jobs waiting for a worker (not done, and no process holds
     * its advisory lock); a worker deletes its job when done */
    [SQL_JOBS_QUEUED] = {"jobs_queued",
        "SELECT count(*) AS n FROM import.jobs j WHERE NOT EXISTS (SELECT 1 FROM pg_locks l"
        " WHERE l.locktype = 'advisory' AND l.classid = " IMPORT_LOCK_CLASS " AND l.objid = j.id::int::oid"
        "   AND l.objsubid = 2 AND l.granted)"},
    [SQL_JOB_IMPORT] = {"job_import",
        "SELECT i.kind, i.org_id, i.parent_id, i.level, i.created_by, i.content_type, i.status, i.headers,"
        "   i.rows_total, encode(f.sealed, 'hex') AS sealed"
        " FROM import.imports i LEFT JOIN import.files f ON f.import_id = i.id WHERE i.id = $1"},
    [SQL_REGIONS_ALL] = {"regions_all",
        "SELECT code, name, level, coalesce(parent_code, '') AS parent, also_county FROM ref.regions ORDER BY code"},
    [SQL_ROWS_CLEAR] = {"rows_clear", "DELETE FROM import.rows WHERE import_id = $1"},

    /* What the platform knows of a row's phone ($1), ID number ($2) and org ($3). */
    [SQL_ROW_LOOKUP] = {"row_lookup",
        "SELECT (SELECT encode(v.id_index, 'hex') FROM auth.users u JOIN volunteer.volunteers v ON v.user_id = u.id"
        "        WHERE u.phone = $1) AS phone_id_index,"
        "       (SELECT u.phone FROM volunteer.volunteers v JOIN auth.users u ON u.id = v.user_id"
        "        WHERE v.id_index = decode($2, 'hex')) AS id_phone,"
        "       (SELECT m.status FROM volunteer.volunteers v JOIN org.members m ON m.volunteer_id = v.id"
        "        WHERE v.id_index = decode($2, 'hex') AND m.org_id = $3) AS member_status"},

    [SQL_ROW_INSERT] = {"row_insert",
        "INSERT INTO import.rows (import_id, row_no, outcome, name_masked, errors, warnings, cells_sealed, data,"
        "   phone, id_sealed, id_index, id_masked)"
        " VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, decode($7, 'hex'), $8::jsonb, $9, decode($10, 'hex'),"
        "   decode($11, 'hex'), $12)"},

    [SQL_PROGRESS] = {"progress", "UPDATE import.imports SET rows_done = $2 WHERE id = $1"},

    /* $2 validated | committed: the counts from the rows; the upload is
     * dropped once it has become rows. $3 the header map (or NULL: kept). */
    [SQL_FINISH] = {"finish",
        "WITH f AS (DELETE FROM import.files WHERE import_id = $1),"
        " c AS (SELECT count(*) AS total, count(*) FILTER (WHERE outcome = 'new') AS n_new,"
        "              count(*) FILTER (WHERE outcome = 'link') AS n_link,"
        "              count(*) FILTER (WHERE outcome = 'unchanged') AS n_unchanged,"
        "              count(*) FILTER (WHERE outcome = 'invalid') AS n_invalid,"
        "              coalesce(sum(jsonb_array_length(warnings)), 0) AS n_warnings"
        "       FROM import.rows WHERE import_id = $1)"
        " UPDATE import.imports i SET status = $2, rows_total = c.total, rows_done = c.total, n_new = c.n_new,"
        "   n_link = c.n_link, n_unchanged = c.n_unchanged, n_invalid = c.n_invalid, n_warnings = c.n_warnings,"
        "   headers = coalesce($3::jsonb, i.headers), validated_at = coalesce(i.validated_at, now()),"
        "   committed_at = CASE WHEN $2 = 'committed' THEN now() END"
        " FROM c WHERE i.id = $1"},
    [SQL_FAILED] = {"failed",
        "WITH f AS (DELETE FROM import.files WHERE import_id = $1)"
        " UPDATE import.imports SET status = 'failed', error = $2 WHERE id = $1"},

    /* Rows still to write, in sheet order. */
    [SQL_COMMIT_ROWS] = {"commit_rows",
        "SELECT row_no, phone, encode(id_sealed, 'hex') AS id_sealed, encode(id_index, 'hex') AS id_index,"
        "   id_masked, data FROM import.rows"
        " WHERE import_id = $1 AND NOT committed AND outcome IN ('new', 'link', 'unchanged') ORDER BY row_no"},

    /* One row, whole or not at all: the volunteer (or the conflict that
     * stops it), its membership, and the row marked written, in one
     * statement. $12/$13: the column and header a conflict names. */
    [SQL_COMMIT_ROW] = {"commit_row",
        "WITH v AS (SELECT x.outcome, x.volunteer_id FROM volunteer.import_volunteer($3, $4, decode($5, 'hex'),"
        "             decode($6, 'hex'), $7, $8, $9::date, $10::jsonb) x),"
        " m AS (SELECT v.outcome, v.volunteer_id,"
        "              CASE WHEN v.volunteer_id IS NOT NULL THEN org.import_member($11, v.volunteer_id) END AS ms"
        "       FROM v)"
        " UPDATE import.rows r SET committed = true,"
        "   outcome = CASE WHEN m.volunteer_id IS NULL THEN 'invalid' WHEN m.outcome = 'new' THEN 'new'"
        "                  WHEN m.ms = 'unchanged' THEN 'unchanged' ELSE 'link' END,"
        "   errors = CASE WHEN m.volunteer_id IS NULL THEN r.errors || jsonb_build_array(jsonb_build_object("
        "       'column', CASE m.outcome WHEN 'phone_conflict' THEN $12 ELSE $13 END,"
        "       'header', CASE m.outcome WHEN 'phone_conflict' THEN $14 ELSE $15 END,"
        "       'code', m.outcome, 'message', CASE m.outcome"
        "           WHEN 'phone_conflict' THEN '该手机号已属于另一位身份证号不同的志愿者，请核对手机号或身份证号'"
        "           ELSE '该身份证号已由另一手机号的志愿者注册，请核对手机号或身份证号' END))"
        "     ELSE r.errors END"
        " FROM m WHERE r.import_id = $1 AND r.row_no = $2 AND NOT r.committed RETURNING r.outcome"},

    /* A row the database refused on its own at commit: invalid, written (never retried). */
    [SQL_ROW_REFUSED] = {"row_refused",
        "UPDATE import.rows SET committed = true, outcome = 'invalid',"
        "   errors = errors || jsonb_build_array(jsonb_build_object('column', NULL, 'header', '', 'code', $3::text,"
        "     'message', '提交时该行与平台现有数据冲突，未写入；请核对后重新导入'))"
        " WHERE import_id = $1 AND row_no = $2::int AND NOT committed"},

    /* ------------------------------------------------------------ orgs (附件1) */
    /* An org of this name ($1), and whether its admins or grants include the phone $2. */
    [SQL_ORG_LOOKUP] = {"org_lookup",
        "SELECT o.id, EXISTS (SELECT 1 FROM org.admin_grants g WHERE g.org_id = o.id AND g.phone = $2)"
        "   OR EXISTS (SELECT 1 FROM org.admins a JOIN auth.users u ON u.id = a.user_id"
        "              WHERE a.org_id = o.id AND u.phone = $2) AS same_admin"
        " FROM org.orgs o WHERE org.name_key(o.name) = org.name_key($1)"},
    /* Is region $2 within a platform-admin scope of user $1? */
    [SQL_SCOPE_COVERS] = {"scope_covers",
        "SELECT EXISTS (SELECT 1 FROM auth.platform_admins p CROSS JOIN LATERAL ref.region_range(p.region_code) s"
        "               WHERE p.user_id = $1 AND $2 BETWEEN s.lo AND s.hi) AS covers"},
    [SQL_PARENT_LEVEL] = {"parent_level", "SELECT level FROM org.orgs WHERE id = $1"},
    [SQL_IS_PLATFORM_ADMIN] = {"is_platform_admin",
        "SELECT EXISTS (SELECT 1 FROM auth.platform_admins WHERE user_id = $1) AS platform_admin"},
    /* One org row, whole or not at all, as SQL_COMMIT_ROW. $9/$10: the column
     * and header already_exists names. */
    [SQL_COMMIT_ORG_ROW] = {"commit_org_row",
        "WITH o AS (SELECT x.outcome, x.org_id FROM org.import_org($3, $4, $5::bigint, $6::boolean, $7, $8::bigint,"
        "             $11::jsonb) x)"
        " UPDATE import.rows r SET committed = true,"
        "   outcome = CASE o.outcome WHEN 'new' THEN 'new' WHEN 'unchanged' THEN 'unchanged' ELSE 'invalid' END,"
        "   errors = CASE WHEN o.outcome = 'already_exists' THEN r.errors || jsonb_build_array(jsonb_build_object("
        "       'column', $9::text, 'header', $10::text, 'code', 'already_exists',"
        "       'message', '该组织名称已被另一管理员手机号的组织使用，请核对名称或管理员手机号')) ELSE r.errors END"
        " FROM o WHERE r.import_id = $1 AND r.row_no = $2 AND NOT r.committed RETURNING r.outcome"},
};
