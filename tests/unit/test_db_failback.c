/* Read pools' fail-back (common/db.c): which conninfo asks for a standby,
 * and when a worker left on the primary tries its standby again. The
 * reconnect itself is in tests/scale (a real standby stopped and started). */
#include <string.h>

#include "check.h"
#include "db.h"

static void test_prefers_standby(void)
{
    static const struct {
        const char *name, *conninfo;
        bool yes;
    } cases[] = {
        {"key=value prefer-standby asks for a standby",
         "host=/run/a,/run/b port=5433,5432 dbname=stvs target_session_attrs=prefer-standby", true},
        {"a URI's prefer-standby asks for a standby",
         "postgresql://stvs_org@db-ro:5432,db-rw:5432/stvs?target_session_attrs=prefer-standby", true},
        {"spaces and quotes around the value still ask", "dbname=stvs target_session_attrs = 'prefer-standby'", true},
        {"no target_session_attrs is the primary pool", "host=/run/pg dbname=stvs user=stvs_org", false},
        {"read-write never fails back", "host=a,b dbname=stvs target_session_attrs=read-write", false},
        {"standby only has nothing to fail back from", "host=a,b dbname=stvs target_session_attrs=standby", false},
        {"a conninfo that does not parse asks for nothing", "dbname='stvs target_session_attrs=prefer-standby", false},
        {"NULL asks for nothing", NULL, false},
    };
    for (size_t i = 0; i < NELEM(cases); i++)
        CHECK(cases[i].name, db_prefers_standby(cases[i].conninfo) == cases[i].yes);
}

static void test_failback_due(void)
{
    db_t db;
    db_init(&db, "host=a,b dbname=stvs target_session_attrs=prefer-standby", "test", NULL, 0, 0);
    db.request_boundary = true;
    db.failback_at = 100;
    CHECK("a read-pool worker on a primary tries its standby when the time has come",
          db_failback_due(&db, "off", 100));
    CHECK("not before the time (at most every STVS_DB_FAILBACK_SECONDS)", !db_failback_due(&db, "off", 99));
    CHECK("not when it is on a standby already", !db_failback_due(&db, "on", 500));
    CHECK("not on a server that does not report in_hot_standby (before PostgreSQL 14)",
          !db_failback_due(&db, NULL, 500));
    db.in_tx = true;
    CHECK("never mid-transaction", !db_failback_due(&db, "off", 500));
    db.in_tx = false;
    db.request_boundary = false;
    CHECK("never between two statements of one request", !db_failback_due(&db, "off", 500));
    db_rollback(&db); /* app.c's call after every request */
    CHECK("a request's end is a boundary again", db_failback_due(&db, "off", 500));

    db_t primary;
    db_init(&primary, "host=a dbname=stvs", "test", NULL, 0, 0);
    primary.request_boundary = true;
    CHECK("a primary pool's worker never moves", !db_failback_due(&primary, "off", 500));
}

int main(void)
{
    test_prefers_standby();
    test_failback_due();
    CHECK("the default is 30 s", db_failback_seconds == 30);
    return CHECK_DONE();
}
