/* After the event: service hours per volunteer, and the report (活动宣传). */
#include <string.h>

#include "activity.h"

/* Organizers: admins of the activity's org and of its ancestors. */
static bool organizer_or_reply(req_t *r, activity_access *acc)
{
    if (!activity_access_or_reply(r, r->path_ids[0], acc))
        return false;
    if (acc->own_admin || acc->ancestor_admin)
        return true;
    reply_error(r, ERR_FORBIDDEN, "only the organization's admins do this");
    return false;
}

/* Checks records[i]; remembers its volunteer id in ids. */
static void check_record(req_t *r, size_t i, const json_t *rec, json_t *ids, double max_hours)
{
    const char *name = arena_printf(&r->arena, "records[%zu]", i), *key;
    json_t *member;
    if (!json_is_object(rec)) {
        field_error(r, name, "invalid_type", "must be an object {volunteer_id, hours}");
        return;
    }
    json_object_foreach((json_t *)rec, key, member) {
        if (strcmp(key, "volunteer_id") && strcmp(key, "hours"))
            field_error(r, arena_printf(&r->arena, "%s.%s", name, key), "unknown_field", "is not a field of a record");
    }
    const json_t *vid = json_object_get(rec, "volunteer_id"), *hours = json_object_get(rec, "hours");
    const char *vid_name = arena_printf(&r->arena, "%s.volunteer_id", name);
    const char *hours_name = arena_printf(&r->arena, "%s.hours", name);
    if (!json_is_integer(vid) || json_integer_value(vid) < 1) {
        field_error(r, vid_name, vid ? "invalid_type" : "required", "must be a volunteer id");
    } else {
        for (size_t j = 0; j < json_array_size(ids); j++)
            if (json_integer_value(json_array_get(ids, j)) == json_integer_value(vid))
                field_error(r, vid_name, "duplicate", "the same volunteer appears twice");
        json_array_append(ids, (json_t *)vid);
    }
    if (!json_is_number(hours))
        field_error(r, hours_name, hours ? "invalid_type" : "required", "must be a number of hours");
    else if (!hours_fit(json_number_value(hours), max_hours))
        field_error(r, hours_name, "out_of_range",
                    arena_printf(&r->arena, "must be at least 0.01 and at most %.2f (the activity's duration), kept "
                                            "to 2 decimals", max_hours));
}

/* Adds a field error for each record whose volunteer (of ids) is not signed
 * up for activity aid; the sign-ups found stay share-locked until commit.
 * False after replying. */
static bool signed_up_or_fields(req_t *r, const char *aid, const json_t *records, const json_t *ids)
{
    char *ids_text = json_param(r, ids);
    if (!ids_text) {
        reply_error(r, ERR_INTERNAL, NULL);
        return false;
    }
    /* "[1,2]" → "{1,2}": a bigint[] literal of validated integers */
    ids_text[0] = '{';
    ids_text[strlen(ids_text) - 1] = '}';
    PGresult *res = db_query_or_reply(r, SQL_NOT_SIGNED_UP, 2, (const char *[]){aid, ids_text});
    if (!res)
        return false;
    for (int row = 0; row < PQntuples(res); row++) {
        long long missing = db_int(res, row, "id");
        size_t i;
        json_t *v;
        json_array_foreach(records, i, v) {
            if (json_integer_value(json_object_get(v, "volunteer_id")) == missing)
                field_error(r, arena_printf(&r->arena, "records[%zu].volunteer_id", i), "not_signed_up",
                            "this volunteer is not signed up for the activity");
        }
    }
    PQclear(res);
    return true;
}

/* The records as a statement parameter, their hours as they are kept, so
 * that what was checked is what is stored. NULL (the arena failed) when
 * one could not be made: never a partial write. */
static const char *stored_records(req_t *r, const json_t *records)
{
    json_t *stored = req_own(r, json_array()), *v;
    size_t i;
    json_array_foreach(records, i, v) {
        double hours = hours_stored(json_number_value(json_object_get(v, "hours")));
        json_t *rec = json_pack("{s:O, s:f}", "volunteer_id", json_object_get(v, "volunteer_id"), "hours", hours);
        if (json_array_append_new(stored, rec)) {
            arena_fail(&r->arena);
            return NULL;
        }
    }
    return json_param(r, stored);
}

/* POST /activities/{id}/service-records {"records": [{volunteer_id, hours}]}:
 * 200 {"recorded": n}; 403; 404; 409 before the start or when cancelled;
 * 422 naming each bad record (not signed up, 0 < hours ≤ duration, a
 * volunteer twice). Posting again for a volunteer replaces its hours; all
 * records of a request land together or not at all. The checks and the
 * write are one transaction under a share lock of the activity and of the
 * sign-ups, so no edit, cancellation or withdrawal slips in between. */
void h_records_post(req_t *r)
{
    activity_access acc;
    const char *key;
    json_t *v;
    size_t i;
    if (!organizer_or_reply(r, &acc) || !body_object_or_reply(r))
        return;
    /* records holds objects, so it is checked here rather than by a field table */
    const json_t *records = json_object_get(r->json, "records");
    json_object_foreach(r->json, key, v) {
        if (strcmp(key, "records"))
            field_error(r, key, "unknown_field", "is not a field of this request");
    }
    if (!json_is_array(records))
        field_error(r, "records", records ? "invalid_type" : "required", "must be an array of records");
    else if (json_array_size(records) == 0 || json_array_size(records) > 1000)
        field_error(r, "records", "out_of_range", "must have 1 to 1000 records");
    if (fields_failed_reply(r) || !db_begin_or_reply(r))
        return;
    /* From here on an early return rolls back (the app does). */
    if (!activity_lock_share_or_reply(r, acc.id, &acc))
        return;
    if (acc.cancelled || !acc.started) {
        reply_error(r, ERR_CONFLICT, acc.cancelled ? "the activity is cancelled" : "the activity has not started");
        return;
    }
    size_t n = json_array_size(records);
    json_t *ids = req_own(r, json_array());
    json_array_foreach(records, i, v)
        check_record(r, i, v, ids, acc.max_hours);
    const char *aid = id_str(r, acc.id);
    if (!signed_up_or_fields(r, aid, records, ids) || fields_failed_reply(r))
        return;
    const char *params[3] = {aid, stored_records(r, records), id_str(r, r->user_id)};
    if (db_do_or_reply(r, SQL_RECORDS_UPSERT, 3, params) && db_commit_or_reply(r))
        reply_json(r, 200, json_pack("{s:I}", "recorded", (json_int_t)n));
}

typedef struct {
    const char *summary;
    const json_t *photo_urls;
    opt_int participants;
} report_body;

static const char *check_url(const char *v, const char **message)
{
    *message = "must be an http(s) URL of at most 500 characters";
    bool ok = (!strncmp(v, "https://", 8) || !strncmp(v, "http://", 7)) && strlen(v) <= 500 && !strchr(v, ' ');
    return ok ? NULL : "invalid_format";
}

static const field_spec report_fields[] = {
    {"summary", F_STRING, FIELD_REQUIRED | FIELD_MULTILINE, 1, 5000, offsetof(report_body, summary), NULL, NULL},
    {"photo_urls", F_ARRAY, FIELD_REQUIRED, 0, 20, offsetof(report_body, photo_urls), check_url, NULL},
    {"participants", F_INT, FIELD_REQUIRED, 0, 1000000, offsetof(report_body, participants), NULL, NULL},
};

static json_t *report_row(req_t *r, const PGresult *res, int row)
{
    (void)r;
    return json_pack("{s:I, s:s, s:o, s:I, s:s}", "activity_id", (json_int_t)db_int(res, row, "activity_id"),
                     "summary", db_str(res, row, "summary"), "photo_urls",
                     db_json(res, row, "photo_urls", json_array()), "participants",
                     (json_int_t)db_int(res, row, "participants"), "updated_at", db_str(res, row, "updated_at"));
}

static json_t *report_json_or_reply(req_t *r, long long id)
{
    return row_or_reply(r, SQL_REPORT_GET, id, report_row, "this activity has no report yet");
}

/* PUT /activities/{id}/report {"summary", "photo_urls", "participants"}:
 * 200 with the report; 403; 404; 409 before the start or when cancelled
 * (checked under a share lock of the activity, so a cancellation is either
 * before it or after it); 422. */
void h_report_put(req_t *r)
{
    activity_access acc;
    report_body b = {0};
    if (!organizer_or_reply(r, &acc) || !body_parse_or_reply(r, report_fields, 3, &b) || !db_begin_or_reply(r))
        return;
    if (!activity_lock_share_or_reply(r, acc.id, &acc))
        return;
    if (acc.cancelled || !acc.started) {
        reply_error(r, ERR_CONFLICT, acc.cancelled ? "the activity is cancelled" : "the activity has not started");
        return;
    }
    const char *params[5] = {id_str(r, acc.id), b.summary, json_param(r, b.photo_urls), id_str(r, b.participants.v),
                             id_str(r, r->user_id)};
    if (!db_do_or_reply(r, SQL_REPORT_PUT, 5, params) || !db_commit_or_reply(r))
        return;
    json_t *report = report_json_or_reply(r, acc.id);
    if (report)
        reply_json(r, 200, report);
}

/* GET /activities/{id}/report: 200 (public); 404 (no activity or no report). */
void h_report_get(req_t *r)
{
    activity_access acc;
    if (!activity_access_or_reply(r, r->path_ids[0], &acc))
        return;
    json_t *report = report_json_or_reply(r, acc.id);
    if (report)
        reply_json(r, 200, report);
}
