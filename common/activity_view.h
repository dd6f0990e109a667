/* An activity as every service shows it (API.md, Activities): the SQL
 * columns and the JSON built from them, shared by the activity service and
 * the volunteer service's /volunteers/me/activities. Use ACTIVITY_COLUMNS
 * with "activity.activities a JOIN org.orgs o ON o.id = a.org_id". The times
 * come as PostgreSQL's own text and are written out as RFC 3339 here
 * (rfc3339_from_pg, what activity.rfc3339_exact and ref.rfc3339 print): the
 * four activity times keep their fractions of a second, so a time reads back
 * as the instant that was sent; created_at and updated_at are whole seconds.
 * The region is written from the process's table of region displays
 * (region.h): a handler calls region_displays_ready_or_reply before writing
 * activities. */
#ifndef STVS_ACTIVITY_VIEW_H
#define STVS_ACTIVITY_VIEW_H
#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "json_out.h"
#include "region.h"

/* The status expression: activity.status_at() at the server's clock. */
#define ACTIVITY_STATUS                                                                                       \
    "activity.status_at(a.cancelled_at, a.starts_at, a.ends_at, a.signup_starts_at, a.signup_ends_at, now())"

#define ACTIVITY_COLUMNS                                                                                      \
    "a.id, a.org_id, o.name AS org_name, a.title, a.description, a.service_category,"                         \
    " to_json(a.themes) AS themes, a.region_code AS region, a.address,"                                      \
    " a.starts_at, a.ends_at, a.signup_starts_at, a.signup_ends_at,"                                          \
    " a.capacity, a.signed_up, " ACTIVITY_STATUS " AS status, a.service_hours, a.contact_name,"               \
    " a.contact_phone, a.requirements, a.members_only, a.cancel_reason,"                                      \
    " a.created_at, a.updated_at"

/* The activity of a row, as the API shows it, written as one JSON value;
 * o fails when the result lacks a column (logged). */
void activity_row_write(json_out *o, const PGresult *res, int row);
/* Every row of a COUNTED_PAGE result that has an activity (its id not
 * NULL), each a value of the array o has open. */
void activity_rows_write(json_out *o, const PGresult *res);
/* The same object as a jansson tree (for edits, and to nest it in another
 * answer); NULL when out of memory or a column is missing. */
json_t *activity_json(const PGresult *res, int row);

#endif
