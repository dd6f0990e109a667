/* A volunteer as every service shows it (API.md, Volunteers). The SQL
 * columns and the JSON built from them live here together, so the org and
 * activity services show volunteers exactly as the volunteer service does.
 * Use VOLUNTEER_COLUMNS with "volunteer.volunteers v JOIN auth.users u ON
 * u.id = v.user_id". */
#ifndef STVS_VOLUNTEER_VIEW_H
#define STVS_VOLUNTEER_VIEW_H
#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "json_out.h"
#include "region.h"

#define VOLUNTEER_COLUMNS                                                                                     \
    "v.id, v.real_name, u.phone, v.id_masked, v.gender, v.political_status, v.ethnicity, v.employer,"         \
    " v.title, v.education, v.occupation, " REGION_DISPLAY("v.region_code") " AS region,"                     \
    " to_json(v.service_categories) AS service_categories, to_json(v.service_fields) AS service_fields,"      \
    " v.grassroots_role, v.skills, v.availability, activity.hours_of(v.id) AS service_hours,"                 \
    " ref.rfc3339(v.created_at) AS created_at, ref.rfc3339(v.updated_at) AS updated_at,"                      \
    " v.source, v.claim_status"

/* The phone is shown in full only when full_phone (the volunteer itself,
 * admins of its orgs); masked otherwise. The ID number is always masked.
 * volunteer_write writes it as one JSON value (json_out.h; o fails when a
 * column is missing), volunteer_json gives the same object as a jansson
 * tree (NULL when out of memory). */
void volunteer_write(json_out *o, const PGresult *res, int row, bool full_phone);
json_t *volunteer_json(const PGresult *res, int row, bool full_phone);

/* The caller's volunteer id, or 0 after answering 403 volunteer_required
 * (why says what needs a volunteer) or 503. Runs common's own statement
 * SQL_COMMON_VOLUNTEER_OF_USER: the service opts in with COMMON_SQL_VOLUNTEER. */
struct req;
long long volunteer_id_or_reply(struct req *r, const char *why);
/* The same, for acting as a volunteer (signing up, applying, editing): an
 * imported record not yet claimed (在线关联) answers 409 claim_required. */
long long claimed_volunteer_id_or_reply(struct req *r, const char *why);
/* That 409 claim_required, for a handler that learnt it in its own statement. */
void reply_claim_required(struct req *r);

#endif
