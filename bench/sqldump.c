/* Prints the SQL of one prepared statement of a service, by its name, from
 * the service's own services/<svc>/sql.c (linked in): bench/pgscripts.py
 * builds the pgbench scripts from it, so that pgbench runs exactly the
 * statements the endpoint runs. Built once per service with
 * -DSVC_HEADER='"<svc>.h"' -DSVC_SQL=<svc>_sql.
 * common/'s own statements (common_sql.c: region, volunteer_of_user) are
 * found too, as the service runs them.
 *   sqldump NAME   prints the statement; exit 1 if there is none
 *   sqldump        lists the names */
#include <stdio.h>
#include <string.h>

#include SVC_HEADER

int main(int argc, char **argv)
{
    const int ncommon = SQL_COMMON__END - DB_COMMON_STMT;
    for (int i = 0; i < SQL__MAX + ncommon; i++) {
        const db_stmt *s = i < SQL__MAX ? &SVC_SQL[i] : &common_sql[i - SQL__MAX];
        if (!s->name)
            continue;
        if (argc < 2)
            printf("%s\n", s->name);
        else if (!strcmp(s->name, argv[1])) {
            fputs(s->sql, stdout);
            return 0;
        }
    }
    return argc < 2 ? 0 : 1;
}
