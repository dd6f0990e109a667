#include "activity_view.h"

#include <stdlib.h>

#include "datetime.h"
#include "db.h"
#include "log.h"

/* ACTIVITY_COLUMNS' names, in the order the object prints them. */
#define ACTIVITY_NCOLUMNS 24
static const char *const column_names[ACTIVITY_NCOLUMNS] = {
    "id", "org_id", "org_name", "title", "description", "service_category", "themes", "region", "address",
    "starts_at", "ends_at", "signup_starts_at", "signup_ends_at", "capacity", "signed_up", "status",
    "service_hours", "contact_name", "contact_phone", "requirements", "members_only", "cancel_reason",
    "created_at", "updated_at"};
enum {
    C_ID, C_ORG_ID, C_ORG_NAME, C_TITLE, C_DESCRIPTION, C_CATEGORY, C_THEMES, C_REGION, C_ADDRESS, C_STARTS,
    C_ENDS, C_SIGNUP_STARTS, C_SIGNUP_ENDS, C_CAPACITY, C_SIGNED_UP, C_STATUS, C_HOURS, C_CONTACT_NAME,
    C_CONTACT_PHONE, C_REQUIREMENTS, C_MEMBERS_ONLY, C_CANCEL_REASON, C_CREATED, C_UPDATED
};

/* ACTIVITY_COLUMNS' numbers in a result, found once for all its rows. */
typedef struct {
    int col[ACTIVITY_NCOLUMNS];
} activity_columns;

static bool columns_of(const PGresult *res, activity_columns *c)
{
    return db_columns(res, column_names, ACTIVITY_NCOLUMNS, c->col, "an activity");
}

static const char *text(const PGresult *res, int row, const activity_columns *c, int i)
{
    return db_value(res, row, c->col[i]);
}

static long long integer(const PGresult *res, int row, const activity_columns *c, int i)
{
    const char *v = text(res, row, c, i);
    return v ? strtoll(v, NULL, 10) : 0;
}

/* A member whose value is the column's text as a string (NULL: null). */
static void member(json_out *o, const PGresult *res, int row, const activity_columns *c, int i)
{
    jo_key(o, column_names[i]);
    jo_string(o, text(res, row, c, i));
}

/* A member whose value is a time column written as RFC 3339 (NULL: null);
 * text of another shape (a session not in DateStyle ISO) fails o. */
static void time_member(json_out *o, const PGresult *res, int row, const activity_columns *c, int i, bool whole)
{
    const char *pg = text(res, row, c, i);
    char rfc3339[DT_RFC3339_MAX];
    jo_key(o, column_names[i]);
    if (!pg) {
        jo_null(o);
    } else if (rfc3339_from_pg(pg, whole, rfc3339)) {
        jo_string(o, rfc3339);
    } else {
        log_error("activity view: %s is not a timestamptz in DateStyle ISO", column_names[i]);
        o->failed = true;
    }
}

static void write_activity(json_out *o, const PGresult *res, int row, const activity_columns *c)
{
    jo_open(o, '{');
    jo_key(o, "id");
    jo_int(o, integer(res, row, c, C_ID));
    jo_key(o, "org");
    jo_open(o, '{');
    jo_key(o, "id");
    jo_int(o, integer(res, row, c, C_ORG_ID));
    jo_key(o, "name");
    jo_string(o, text(res, row, c, C_ORG_NAME));
    jo_close(o, '}');
    for (int i = C_TITLE; i <= C_CATEGORY; i++)
        member(o, res, row, c, i);
    jo_key(o, "themes");
    jo_raw(o, text(res, row, c, C_THEMES), "[]");
    jo_key(o, "region");
    jo_region_display(o, text(res, row, c, C_REGION));
    member(o, res, row, c, C_ADDRESS);
    for (int i = C_STARTS; i <= C_SIGNUP_ENDS; i++)
        time_member(o, res, row, c, i, false);
    for (int i = C_CAPACITY; i <= C_SIGNED_UP; i++) {
        jo_key(o, column_names[i]);
        jo_int(o, integer(res, row, c, i));
    }
    member(o, res, row, c, C_STATUS);
    jo_key(o, "service_hours");
    jo_real_text(o, text(res, row, c, C_HOURS));
    for (int i = C_CONTACT_NAME; i <= C_REQUIREMENTS; i++)
        member(o, res, row, c, i);
    jo_key(o, "members_only");
    const char *members_only = text(res, row, c, C_MEMBERS_ONLY);
    jo_bool(o, members_only && members_only[0] == 't');
    member(o, res, row, c, C_CANCEL_REASON);
    time_member(o, res, row, c, C_CREATED, true);
    time_member(o, res, row, c, C_UPDATED, true);
    jo_close(o, '}');
}

void activity_row_write(json_out *o, const PGresult *res, int row)
{
    activity_columns c;
    if (columns_of(res, &c))
        write_activity(o, res, row, &c);
    else
        o->failed = true;
}

void activity_rows_write(json_out *o, const PGresult *res)
{
    activity_columns c;
    if (!columns_of(res, &c)) {
        o->failed = true;
        return;
    }
    for (int row = 0; row < PQntuples(res); row++)
        if (!PQgetisnull(res, row, c.col[C_ID]))
            write_activity(o, res, row, &c);
}

json_t *activity_json(const PGresult *res, int row)
{
    json_out o;
    json_out_init(&o);
    activity_row_write(&o, res, row);
    return json_out_tree(&o);
}
