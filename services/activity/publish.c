/* Publishing (POST), editing (PATCH), cancelling, and finding activities. */
#include <math.h>
#include <string.h>

#include "activity.h"
#include "datetime.h"

bool activity_access_or_reply(req_t *r, long long id, activity_access *a)
{
    memset(a, 0, sizeof *a);
    PGresult *res = db_row_or_reply(r, SQL_ACTIVITY_RIGHTS, 2, (const char *[]){id_str(r, id), id_str(r, r->user_id)},
                                    "no such activity");
    if (!res)
        return false;
    a->id = id;
    a->org_id = db_int(res, 0, "org_id");
    a->started = db_bool(res, 0, "started");
    a->ended = db_bool(res, 0, "ended");
    a->cancelled = db_bool(res, 0, "cancelled");
    a->max_hours = db_num(res, 0, "max_hours");
    a->own_admin = db_bool(res, 0, "own_admin");
    a->ancestor_admin = db_bool(res, 0, "ancestor_admin");
    a->platform_admin = db_bool(res, 0, "platform_admin");
    PQclear(res);
    return true;
}

const char *activity_etag(req_t *r, long long version) { return arena_printf(&r->arena, "\"%lld\"", version); }

/* Written straight out (json_out.h): the detail is the most read answer. */
void reply_activity(req_t *r, long long id, int status)
{
    if (!region_displays_ready_or_reply(r))
        return;
    PGresult *res = db_row_or_reply(r, SQL_ACTIVITY_GET, 1, (const char *[]){id_str(r, id)}, "no such activity");
    if (!res)
        return;
    reply_row_out(r, status, res, 0, activity_row_write);
    const char *etag = activity_etag(r, db_int(res, 0, "version"));
    PQclear(res);
    if (r->status != status) /* the writer failed: 500 answered */
        return;
    if (etag)
        reply_header(r, "ETag", etag);
    else
        reply_error(r, ERR_INTERNAL, NULL);
}

bool activity_lock_share_or_reply(req_t *r, long long id, activity_access *a)
{
    PGresult *res = db_row_or_reply(r, SQL_ACTIVITY_LOCK_SHARE, 1, (const char *[]){id_str(r, id)}, "no such activity");
    if (!res)
        return false;
    a->started = db_bool(res, 0, "started");
    a->cancelled = db_bool(res, 0, "cancelled");
    a->max_hours = db_num(res, 0, "max_hours");
    PQclear(res);
    return true;
}

/* --- the body ------------------------------------------------------------ */

typedef struct {
    opt_int org_id, capacity;
    opt_num service_hours;
    opt_bool members_only;
    const char *title, *description, *service_category, *region_code, *address, *starts_at, *ends_at,
        *signup_starts_at, *signup_ends_at, *contact_name, *contact_phone, *requirements;
    const json_t *themes;
} activity_body;

static const char *check_contact_phone(const char *v, const char **message)
{
    size_t n = strlen(v);
    *message = "must be a phone number (digits, spaces, + - ( ))";
    return n >= 5 && n <= 20 && strspn(v, "0123456789+-() ") == n ? NULL : "invalid_format";
}

#define F(name, type, flags, min, max, check, table) {#name, type, flags, min, max, offsetof(activity_body, name), check, table}
static const field_spec activity_fields[] = {
    F(org_id, F_INT, FIELD_REQUIRED, 1, 999999999999999999, NULL, NULL),
    F(title, F_STRING, FIELD_REQUIRED, 1, 100, NULL, NULL),
    F(description, F_STRING, FIELD_REQUIRED | FIELD_MULTILINE, 1, 5000, NULL, NULL),
    F(service_category, F_STRING, FIELD_REQUIRED, 0, 0, NULL, &CODES_SERVICE_CATEGORY),
    F(themes, F_ARRAY, 0, 0, 11, NULL, &CODES_ACTIVITY_THEME),
    F(region_code, F_STRING, FIELD_REQUIRED, 0, 0, check_region_code, NULL),
    F(address, F_STRING, FIELD_REQUIRED, 1, 200, NULL, NULL),
    F(starts_at, F_STRING, FIELD_REQUIRED, 0, 0, check_datetime, NULL),
    F(ends_at, F_STRING, FIELD_REQUIRED, 0, 0, check_datetime, NULL),
    F(signup_starts_at, F_STRING, FIELD_NULLABLE, 0, 0, check_datetime, NULL),
    F(signup_ends_at, F_STRING, FIELD_REQUIRED, 0, 0, check_datetime, NULL),
    F(capacity, F_INT, FIELD_REQUIRED, 1, 100000, NULL, NULL),
    F(service_hours, F_NUMBER, FIELD_REQUIRED, 0, 0, NULL, NULL),
    F(contact_name, F_STRING, FIELD_REQUIRED, 1, 50, NULL, NULL),
    F(contact_phone, F_STRING, FIELD_REQUIRED, 0, 0, check_contact_phone, NULL),
    F(requirements, F_STRING, FIELD_NULLABLE | FIELD_MULTILINE, 0, 1000, NULL, NULL),
    F(members_only, F_BOOL, 0, 0, 0, NULL, NULL),
};
#undef F
#define NFIELDS (sizeof activity_fields / sizeof *activity_fields)

/* An edit sends any field but org_id; it is checked merged with the rest. */
static field_spec patch_fields[NFIELDS];

void publish_init(void)
{
    static const char *const immutable[] = {"org_id", NULL};
    fields_for_patch(activity_fields, NFIELDS, immutable, patch_fields);
}

/* The rules between fields: ends after it starts, the sign-up window closes
 * by the end, the hours credited fit in the activity. Exact to the
 * microsecond, as the database keeps the times. */
static void check_times(req_t *r, const activity_body *b)
{
    long long starts, ends, su_start = (long long)time(NULL) * 1000000, su_end;
    if (!b->starts_at || !b->ends_at || !b->signup_ends_at || parse_rfc3339_us(b->starts_at, &starts) != DT_OK ||
        parse_rfc3339_us(b->ends_at, &ends) != DT_OK || parse_rfc3339_us(b->signup_ends_at, &su_end) != DT_OK ||
        (b->signup_starts_at && parse_rfc3339_us(b->signup_starts_at, &su_start) != DT_OK))
        return; /* already reported as missing, malformed or out of range */
    if (ends <= starts)
        field_error(r, "ends_at", "invalid_range", "must be after starts_at");
    if (su_end <= su_start)
        field_error(r, "signup_ends_at", "invalid_range", "must be after signup_starts_at (default: now)");
    else if (su_end > ends)
        field_error(r, "signup_ends_at", "invalid_range", "must not be after ends_at");
    if (b->service_hours.set && ends > starts && !hours_fit(b->service_hours.v, duration_hours(starts, ends)))
        field_error(r, "service_hours", "out_of_range",
                    "must be at least 0.01 and at most the activity's duration (kept to 2 decimals)");
}

/* An accepted time as the database is given it: the same instant in UTC. */
static const char *time_param(req_t *r, const char *v)
{
    long long us;
    char utc[DT_UTC_LEN];
    if (!v || parse_rfc3339_us(v, &us) != DT_OK)
        return v;
    format_utc_us(us, utc);
    return arena_strndup(&r->arena, utc, strlen(utc));
}

static bool region_exists(req_t *r, const char *code)
{
    region_info region;
    if (!region_lookup_or_reply(r, code, &region))
        return false;
    if (!region.found)
        field_error(r, "region_code", "invalid_choice", "no such region");
    return true;
}

/* The parameters of SQL_ACTIVITY_INSERT / _UPDATE from $2 on. A value the
 * arena could not make leaves it failed: db_exec then refuses (500). */
static void fill_params(req_t *r, const activity_body *b, const char **p)
{
    p[0] = b->title, p[1] = b->description, p[2] = b->service_category;
    p[3] = b->themes ? json_param(r, b->themes) : "[]", p[4] = b->region_code;
    p[5] = b->address, p[6] = time_param(r, b->starts_at), p[7] = time_param(r, b->ends_at);
    p[8] = time_param(r, b->signup_starts_at), p[9] = time_param(r, b->signup_ends_at);
    p[10] = id_str(r, b->capacity.v), p[11] = arena_printf(&r->arena, "%.2f", hours_stored(b->service_hours.v));
    p[12] = b->contact_name, p[13] = b->contact_phone, p[14] = b->requirements;
    p[15] = b->members_only.set && b->members_only.v ? "true" : "false";
}

/* POST /activities: 201 with Location; 400, 401, 403 (not an admin of
 * org_id), 409 org_not_approved, 413, 415, 422. Past times are allowed. */
void h_activity_create(req_t *r)
{
    activity_body b = {0};
    if (!body_object_or_reply(r))
        return;
    body_fields(r, activity_fields, NFIELDS, &b);
    check_times(r, &b);
    if (b.region_code && !region_exists(r, b.region_code))
        return;
    if (fields_failed_reply(r))
        return;
    PGresult *res = db_query_or_reply(r, SQL_ORG_RIGHTS, 2, (const char *[]){id_str(r, b.org_id.v), id_str(r, r->user_id)});
    if (!res)
        return;
    bool admin = PQntuples(res) == 1 && db_bool(res, 0, "own_admin");
    bool approved = PQntuples(res) == 1 && !strcmp(db_str(res, 0, "status"), "approved");
    PQclear(res);
    if (!admin && !approved) { /* an org the caller cannot see is no org at all: ids cannot be probed */
        field_error(r, "org_id", "invalid_choice", "no such organization");
        fields_failed_reply(r);
        return;
    }
    if (!admin) {
        reply_error(r, ERR_FORBIDDEN, "only the organization's admins publish its activities");
        return;
    }
    if (!approved) {
        reply_error(r, ERR_ORG_NOT_APPROVED, "only approved organizations publish activities");
        return;
    }
    const char *params[18];
    params[0] = id_str(r, b.org_id.v);
    fill_params(r, &b, params + 1);
    params[17] = id_str(r, r->user_id);
    res = db_query_or_reply(r, SQL_ACTIVITY_INSERT, 18, params);
    if (!res)
        return;
    long long id = db_int(res, 0, "id");
    PQclear(res);
    reply_activity(r, id, 201);
    const char *location = arena_printf(&r->arena, "/api/v1/activities/%lld", id);
    if (r->status == 201 && location)
        reply_header(r, "Location", location);
}

/* The activity's current fields, shaped like a request body, so an edit is
 * checked as the whole activity it would produce. */
static json_t *current_as_body(json_t *a)
{
    static const char *const keys[] = {"title", "description", "service_category", "themes", "address",
                                       "starts_at", "ends_at", "signup_starts_at", "signup_ends_at", "capacity",
                                       "service_hours", "contact_name", "contact_phone", "requirements",
                                       "members_only"};
    json_t *body = json_object();
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        json_object_set(body, keys[i], json_object_get(a, keys[i]));
    json_object_set(body, "region_code", json_object_get(json_object_get(a, "region"), "code"));
    json_object_set(body, "org_id", json_object_get(json_object_get(a, "org"), "id"));
    return body;
}

/* Hours already recorded must still fit in the edited activity: 409 when
 * its new times are shorter than the most recorded. False after replying. */
static bool recorded_hours_fit_or_reply(req_t *r, long long id, const activity_body *b)
{
    PGresult *res = db_query_or_reply(r, SQL_RECORDED_MAX, 1, (const char *[]){id_str(r, id)});
    if (!res)
        return false;
    bool recorded = !db_isnull(res, 0, "max_recorded");
    double max_recorded = db_num(res, 0, "max_recorded");
    PQclear(res);
    long long starts, ends;
    if (recorded && parse_rfc3339_us(b->starts_at, &starts) == DT_OK && parse_rfc3339_us(b->ends_at, &ends) == DT_OK &&
        max_recorded > duration_hours(starts, ends) + 1e-9) {
        reply_error(r, ERR_CONFLICT,
                    arena_printf(&r->arena, "service hours of up to %.2f are already recorded; the activity cannot "
                                            "become shorter than that", max_recorded));
        return false;
    }
    return true;
}

/* An edit's first step, inside its transaction: locks the activity and
 * answers what stops the edit (404; 412 when If-Match does not hold, with
 * the current ETag; 409 when cancelled). The activity as it is (the request
 * owns it) and *signed_up, or NULL after replying. */
static json_t *editable_or_reply(req_t *r, long long id, long long *signed_up)
{
    if (!region_displays_ready_or_reply(r))
        return NULL;
    PGresult *res = db_row_or_reply(r, SQL_ACTIVITY_LOCK, 1, (const char *[]){id_str(r, id)}, "no such activity");
    if (!res)
        return NULL;
    json_t *current = req_own(r, activity_json(res, 0));
    bool cancelled = db_bool(res, 0, "cancelled");
    long long version = db_int(res, 0, "version");
    *signed_up = db_int(res, 0, "signed_up");
    PQclear(res);
    const char *etag = activity_etag(r, version);
    if (!current || !etag) {
        reply_error(r, ERR_INTERNAL, NULL);
        return NULL;
    }
    if (!if_match_ok(r->if_match, etag)) {
        reply_error(r, ERR_PRECONDITION_FAILED, "the activity has changed since that ETag; GET it again");
        reply_header(r, "ETag", etag);
        return NULL;
    }
    if (cancelled) {
        reply_error(r, ERR_CONFLICT, "the activity is cancelled");
        return NULL;
    }
    return current;
}

/* PATCH /activities/{id}: 200 with the activity and its new ETag; 403 for
 * callers who are not admins of its org; 404; 409 (cancelled, capacity
 * below signed_up, or times shorter than hours already recorded); 412
 * precondition_failed (If-Match does not match the current ETag); 422
 * (org_id is immutable; the merged activity must satisfy every rule of
 * POST). The row is locked from the read to the write, so concurrent edits
 * of different fields never lose each other's changes. */
void h_activity_patch(req_t *r)
{
    activity_access acc;
    activity_body b = {0};
    if (!activity_access_or_reply(r, r->path_ids[0], &acc))
        return;
    if (!acc.own_admin) {
        reply_error(r, ERR_FORBIDDEN, "only the organization's admins edit its activities");
        return;
    }
    if (!body_object_or_reply(r))
        return;
    body_fields(r, patch_fields, NFIELDS, &b);
    if (fields_failed_reply(r) || !db_begin_or_reply(r))
        return;
    /* From here on an early return rolls back (the app does). */
    long long signed_up;
    json_t *current = editable_or_reply(r, acc.id, &signed_up);
    if (!current)
        return;
    if (json_object_size(r->json) == 0) { /* nothing to change: no new version */
        db_rollback(r->db);
        reply_activity(r, acc.id, 200);
        return;
    }
    json_t *merged = req_own(r, current_as_body(current)); /* b's strings point into it */
    if (!merged || json_object_update(merged, r->json)) {
        reply_error(r, ERR_INTERNAL, NULL);
        return;
    }
    memset(&b, 0, sizeof b);
    body_fields_of(r, merged, "", activity_fields, NFIELDS, &b);
    check_times(r, &b);
    if ((b.region_code && !region_exists(r, b.region_code)) || fields_failed_reply(r))
        return;
    if (b.capacity.v < signed_up) {
        reply_error(r, ERR_CONFLICT, "capacity cannot be below the number signed up");
        return;
    }
    if (!recorded_hours_fit_or_reply(r, acc.id, &b))
        return;
    const char *params[17];
    params[0] = id_str(r, acc.id);
    fill_params(r, &b, params + 1);
    PGresult *res = db_query_or_reply(r, SQL_ACTIVITY_UPDATE, 17, params);
    if (!res)
        return;
    int updated = PQntuples(res);
    PQclear(res);
    if (!updated) { /* the checks above hold under the lock: a bug if reached */
        reply_error(r, ERR_INTERNAL, NULL);
        return;
    }
    if (!db_commit_or_reply(r))
        return;
    reply_activity(r, acc.id, 200);
}

typedef struct {
    const char *reason;
} cancel_body;
static const field_spec cancel_fields[] = {
    {"reason", F_STRING, FIELD_REQUIRED | FIELD_MULTILINE, 1, 500, offsetof(cancel_body, reason), NULL, NULL},
};

/* POST /activities/{id}/cancel {"reason"}: 200 cancelled; 403; 404; 409
 * when already cancelled or ended, or when service hours are recorded for
 * it; 422. */
void h_activity_cancel(req_t *r)
{
    activity_access acc;
    cancel_body b = {0};
    if (!activity_access_or_reply(r, r->path_ids[0], &acc))
        return;
    if (!acc.own_admin) {
        reply_error(r, ERR_FORBIDDEN, "only the organization's admins cancel its activities");
        return;
    }
    if (!body_parse_or_reply(r, cancel_fields, 1, &b) || !db_begin_or_reply(r))
        return;
    const char *params[2] = {id_str(r, acc.id), b.reason};
    if (!params[0]) {
        reply_error(r, ERR_INTERNAL, NULL);
        return;
    }
    PGresult *res = db_row_or_reply(r, SQL_ACTIVITY_LOCK_STATE, 1, params, "no such activity");
    if (!res)
        return;
    bool closed = db_bool(res, 0, "cancelled") || db_bool(res, 0, "ended");
    PQclear(res);
    if (closed) {
        reply_error(r, ERR_CONFLICT, "the activity is already cancelled or has ended");
        return;
    }
    res = db_query_or_reply(r, SQL_ACTIVITY_CANCEL, 2, params);
    if (!res)
        return;
    int cancelled = PQntuples(res);
    PQclear(res);
    if (!cancelled) { /* locked, not cancelled, not ended: hours are recorded */
        reply_error(r, ERR_CONFLICT, "service hours are recorded for this activity; it cannot be cancelled");
        return;
    }
    if (!db_commit_or_reply(r))
        return;
    reply_activity(r, acc.id, 200);
}

/* GET /activities/{id}: 200 with the activity and its ETag (public); 404. */
void h_activity_get(req_t *r) { reply_activity(r, r->path_ids[0], 200); }

/* ?from= / ?to= bound starts_at: a date means that whole day in China, a
 * date-time is taken as it is; both ends are inclusive. Either must fall in
 * the range every time of a request does (API.md v1.1), else 422
 * out_of_range. The database is given the instant in UTC. */
static const char *time_bound(req_t *r, const char *param, const char *q, bool upper)
{
    long long us;
    char utc[DT_UTC_LEN];
    if (!q)
        return NULL;
    /* An unencoded "+08:00" arrives as " 08:00" (form decoding): take it back. */
    char *v = arena_strndup(&r->arena, q, strlen(q));
    if (!v) {
        reply_error(r, ERR_INTERNAL, NULL);
        return NULL;
    }
    char *space = strchr(v, ' ');
    if (space && strlen(space) == 6)
        *space = '+';
    bool date = strlen(v) == 10 && v[4] == '-' && v[7] == '-' && strspn(v, "0123456789-") == 10;
    const char *t = date ? arena_printf(&r->arena, "%sT%s+08:00", v, upper ? "23:59:59.999999" : "00:00:00") : v;
    if (!t) {
        reply_error(r, ERR_INTERNAL, NULL);
        return NULL;
    }
    switch (parse_rfc3339_us(t, &us)) {
    case DT_OK:
        format_utc_us(us, utc);
        t = arena_strndup(&r->arena, utc, strlen(utc));
        if (!t)
            reply_error(r, ERR_INTERNAL, NULL);
        return t;
    case DT_OUT_OF_RANGE:
        field_error(r, param, "out_of_range",
                    "must be from 2000-01-01T00:00:00Z to before 2100-01-01T00:00:00Z, with an offset within ±14:00 "
                    "and at most 6 digits of fractions of a second");
        return NULL;
    case DT_MALFORMED:
    default:
        field_error(r, param, "invalid_format", "must be a date YYYY-MM-DD or an RFC 3339 date-time");
        return NULL;
    }
}

typedef struct {
    const char *status, *region, *service_category, *theme, *q, *from, *to, *sort;
    opt_int org_id;
} activity_query;
#define Q(name, kind, max, check, table) QUERY_FIELD(activity_query, name, kind, max, check, table)
static const field_spec activity_query_fields[] = {
    Q(status, F_STRING, 0, NULL, &CODES_ACTIVITY_STATUS),
    Q(region, F_STRING, 0, NULL, NULL), /* region_param_or_reply */
    Q(org_id, F_ID, 0, NULL, NULL),
    Q(service_category, F_STRING, 0, NULL, &CODES_SERVICE_CATEGORY),
    Q(theme, F_STRING, 0, NULL, &CODES_ACTIVITY_THEME),
    Q(q, F_STRING, 50, NULL, NULL),
    Q(from, F_STRING, 0, NULL, NULL), /* time_bound */
    Q(to, F_STRING, 0, NULL, NULL),
    Q(sort, F_STRING, 0, NULL, &CODES_ACTIVITY_SORT),
};
#undef Q

/* GET /activities?status=&region=&org_id=&service_category=&theme=&q=&from=
 * &to=&sort=starts_at|-starts_at&page=&page_size=: 200 paged (public); 422. */
void h_activity_list(req_t *r)
{
    activity_query aq = {0};
    paging_t pg;
    region_info region;
    query_fields(r, activity_query_fields, sizeof activity_query_fields / sizeof *activity_query_fields, &aq, &pg);
    const char *from = time_bound(r, "from", aq.from, false), *to = time_bound(r, "to", aq.to, true);
    if (r->replied)
        return;
    if (!region_param_or_reply(r, "region", aq.region, &region) || fields_failed_reply(r))
        return;
    const char *params[11] = {aq.status, region.found ? region.lo : NULL, region.found ? region.hi : NULL,
                              aq.org_id.set ? id_str(r, aq.org_id.v) : NULL, aq.service_category, aq.theme, aq.q,
                              from, to};
    bool ascending = aq.sort && !strcmp(aq.sort, "starts_at");
    if (!region_displays_ready_or_reply(r))
        return;
    reply_counted_page(r, ascending ? SQL_LIST_PAGE_ASC : SQL_LIST_PAGE_DESC, 9, params, &pg, activity_rows_write);
}
