/* The statements common/'s own helpers run (db.h), prepared on the
 * connections of the services that opt in (service_t.common_sql): one row
 * each, but region_displays (the whole table, ~3,400 rows). The
 * names share the namespace of prepared statements with the services' own:
 * a clash fails at start-up. */
#include "db.h"

const db_stmt common_sql[SQL_COMMON__END - DB_COMMON_STMT] = {
    [SQL_COMMON_REGION - DB_COMMON_STMT] = {"region",
        "SELECT g.code, g.level, g.also_county, r.lo, r.hi"
        " FROM ref.regions g CROSS JOIN LATERAL ref.region_range(g.code) r WHERE g.code = $1"},
    [SQL_COMMON_VOLUNTEER_OF_USER - DB_COMMON_STMT] = {"volunteer_of_user",
        "SELECT id, claim_status FROM volunteer.volunteers WHERE user_id = $1"}, /* claim_status: 在线关联 */
    [SQL_COMMON_REGION_DISPLAYS - DB_COMMON_STMT] = {"region_displays", "SELECT code, display FROM ref.regions"},
};
