/* The import service's statement table, prepared once per connection: the
 * rows are sql.def's, the SQL fragments they share are defined here. */
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

#define STMT(id, ...) [id] = {__VA_ARGS__},
const db_stmt import_sql[SQL__MAX] = {
#include "sql.def"
};
#undef STMT
