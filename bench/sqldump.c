/* Prints the SQL of one prepared statement of a service, by its name, from
 * the service's own services/<svc>/sql.c (linked in): bench/pgscripts.py
 * builds the pgbench scripts from it, so that pgbench runs exactly the
 * statements the endpoint runs. Built once per service with
 * -DSVC_HEADER='"<svc>.h"' -DSVC_SQL=<svc>_sql.
 *   sqldump NAME   prints the statement; exit 1 if there is none
 *   sqldump        lists the names */
#include <stdio.h>
#include <string.h>

#include SVC_HEADER

int main(int argc, char **argv)
{
    for (int i = 0; i < SQL__MAX; i++) {
        const db_stmt *s = &SVC_SQL[i];
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
