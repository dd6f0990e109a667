/* Prints the SQL of one prepared statement of a service, by its name, from
 * the service's own services/<svc>/sql.c (linked in): bench/pgscripts.py
 * builds the pgbench scripts from it, so that pgbench runs exactly the
 * statements the endpoint runs. Built once per service with
 * -DSVC_HEADER='"<svc>.h"' -DSVC_SQL=<svc>_sql.
 * common/'s own statements (common_sql.c: region, volunteer_of_user) are
 * found too, as the service runs them.
 *   sqldump NAME          prints the statement; exit 1 if there is none
 *   sqldump NAME P1 P2... a statement written in variants (db.h): the text
 *                         the service runs for these parameter values (NULL:
 *                         absent), as its shape function picks it, after
 *                         behind a comment "planned per call" when the service plans it so
 *   sqldump               lists the names */
#include <stdio.h>
#include <string.h>

#include SVC_HEADER

static int print_variant(const db_stmt *s, int nparams, char **values)
{
    const char *params[64] = {0};
    char sql[8192];
    if (nparams < s->variants->nfilters || nparams > 64) {
        fprintf(stderr, "sqldump: %s needs its %d filter parameters\n", s->name, s->variants->nfilters);
        return 2;
    }
    for (int i = 0; i < nparams; i++)
        params[i] = strcmp(values[i], "NULL") ? values[i] : NULL;
    if (!db_variant_sql(s, s->variants->shape(params), sql, sizeof sql))
        return 2;
    /* a shape the service plans per call says so (bench/plans_matrix.py plans it so) */
    if (s->variants->per_call && s->variants->per_call(s->variants->shape(params)))
        fputs("/* planned per call */ ", stdout);
    fputs(sql, stdout);
    return 0;
}

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
            if (s->variants)
                return print_variant(s, argc - 2, argv + 2);
            fputs(s->sql, stdout);
            return 0;
        }
    }
    return argc < 2 ? 0 : 1;
}
