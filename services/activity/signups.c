/* Signing up, withdrawing, and the sign-up roster. */
#include <string.h>

#include "activity.h"
#include "gate.h"
#include "log.h"

/* POST /activities/{id}/signups: 201 {activity_id, volunteer_id, status,
 * created_at}; 401; 403 volunteer_required / forbidden (members_only and not
 * an active member); 404; 409 claim_required (an imported volunteer not yet
 * claimed), signup_closed (outside the window, cancelled
 * or ended), already_signed_up, activity_full. Never oversold: see
 * SQL_SIGNUP. */
/* The refusal a row of SQL_SIGNUP or SQL_SIGNUP_REFUSED states, in the order
 * of the contract; false when it states none (the row's snapshot predates
 * what refused the sign-up). */
static bool refusal_reply(req_t *r, const PGresult *res)
{
    if (db_bool(res, 0, "closed"))
        reply_error(r, ERR_SIGNUP_CLOSED, "sign-up is not open (outside its window, cancelled or ended)");
    else if (db_bool(res, 0, "signed"))
        reply_error(r, ERR_ALREADY_SIGNED_UP, "already signed up for this activity");
    else if (db_bool(res, 0, "not_member"))
        reply_error(r, ERR_FORBIDDEN, "this activity is for the organization's members only");
    else if (db_bool(res, 0, "full"))
        reply_error(r, ERR_ACTIVITY_FULL, "the activity is full");
    else
        return false;
    return true;
}

/* A statement that answers exactly one row (SQL_SIGNUP, SQL_SIGNUP_CHECK),
 * or NULL after replying. */
static PGresult *one_row_or_reply(req_t *r, int stmt, const char *const *params)
{
    PGresult *res = db_query_or_reply(r, stmt, 2, params);
    if (res && PQntuples(res) != 1) {
        log_msg("error", r->request_id, "a sign-up statement answered %d rows, not one", PQntuples(res));
        PQclear(res);
        reply_error(r, ERR_INTERNAL, NULL);
        return NULL;
    }
    return res;
}

/* The 201's body, written straight out (json_out.h): the sign-up is the
 * rush's one write. */
static void signup_write(json_out *o, const PGresult *res, int row)
{
    jo_open(o, '{');
    jo_key(o, "activity_id");
    jo_int(o, db_int(res, row, "activity_id"));
    jo_key(o, "volunteer_id");
    jo_int(o, db_int(res, row, "volunteer_id"));
    jo_key(o, "status");
    jo_string(o, db_str(res, row, "status"));
    jo_key(o, "created_at");
    jo_string(o, db_str(res, row, "created_at"));
    jo_close(o, '}');
}

/* The refusal a refusal row (SIGNUP_REFUSAL_ROW in sql.c) states, the
 * volunteer's own faults first; false when it states none. */
static bool refusal_row_reply(req_t *r, const PGresult *res)
{
    if (!db_int(res, 0, "volunteer")) /* 0 for NULL: the user is no volunteer */
        reply_error(r, ERR_VOLUNTEER_REQUIRED, "only volunteers sign up");
    else if (db_bool(res, 0, "unclaimed"))
        reply_claim_required(r);
    else if (db_bool(res, 0, "missing"))
        reply_error(r, ERR_NOT_FOUND, "no such activity");
    else
        return refusal_reply(r, res);
    return true;
}

void h_signup_create(req_t *r)
{
    if (r->body_len && !body_parse_or_reply(r, NULL, 0, NULL))
        return;
    const char *params[2] = {id_str(r, r->path_ids[0]), id_str(r, r->user_id)};
    PGresult *res;
    /* refused lately (a full activity in a rush): is it still? read-only */
    if (gate_settled(r->path_ids[0])) {
        if (!(res = one_row_or_reply(r, SQL_SIGNUP_CHECK, params)))
            return;
        bool said = refusal_row_reply(r, res);
        PQclear(res);
        if (said)
            return;
    }
    if (!(res = one_row_or_reply(r, SQL_SIGNUP, params)))
        return;
    if (!db_isnull(res, 0, "activity_id")) {
        reply_row_out(r, 201, res, 0, signup_write);
        PQclear(res);
        return;
    }
    long long vid = db_int(res, 0, "volunteer");
    bool said = refusal_row_reply(r, res);
    PQclear(res);
    if (said)
        return;
    /* refused by a sign-up that committed while this one waited: ask again */
    params[1] = id_str(r, vid);
    res = db_query_or_reply(r, SQL_SIGNUP_REFUSED, 2, params);
    if (!res)
        return;
    if (PQntuples(res) == 0)
        reply_error(r, ERR_NOT_FOUND, "no such activity");
    else if (!refusal_reply(r, res))
        reply_error(r, ERR_ACTIVITY_FULL, "the activity is full"); /* a seat freed since: the caller may retry */
    PQclear(res);
}

/* DELETE /activities/{id}/signups/me: 204 before starts_at; 401; 403
 * volunteer_required; 404 (no such activity or not signed up); 409 once
 * the activity has started, or when hours have been recorded. */
void h_signup_withdraw(req_t *r)
{
    activity_access acc;
    if (!activity_access_or_reply(r, r->path_ids[0], &acc))
        return;
    long long vid = volunteer_id_or_reply(r, "only volunteers sign up");
    if (!vid)
        return;
    const char *params[2] = {id_str(r, acc.id), id_str(r, vid)};
    PGresult *res = db_query_or_reply(r, SQL_WITHDRAW, 2, params);
    if (!res)
        return;
    int withdrawn = PQntuples(res);
    PQclear(res);
    if (withdrawn)
        reply_empty(r, 204);
    else if (acc.started)
        reply_error(r, ERR_CONFLICT, "the activity has started; sign-ups can no longer be withdrawn");
    else
        reply_error(r, ERR_NOT_FOUND, "not signed up for this activity");
}

/* Admins of the org and its ancestors organize the event: full phone.
 * Platform admins see it masked (API.md, Volunteers). */
static json_t *signup_row(req_t *r, const PGresult *res, int row, bool full_phone)
{
    (void)r;
    return json_pack("{s:o, s:s, s:s, s:o}", "volunteer", volunteer_json(res, row, full_phone), "status",
                     db_str(res, row, "signup_status"), "created_at", db_str(res, row, "signup_created_at"), "hours",
                     db_isnull(res, row, "recorded_hours") ? json_null() : json_real(db_num(res, row, "recorded_hours")));
}
static json_t *signup_row_full(req_t *r, const PGresult *res, int row) { return signup_row(r, res, row, true); }
static json_t *signup_row_masked(req_t *r, const PGresult *res, int row) { return signup_row(r, res, row, false); }

/* GET /activities/{id}/signups?page=: 200 paged {volunteer, status,
 * created_at, hours} to admins of the org or an ancestor and platform
 * admins in scope; 404 to anyone else. */
void h_signups_list(req_t *r)
{
    paging_t pg;
    activity_access acc;
    if (!query_parse_or_reply(r, NULL, 0, NULL, &pg) || !activity_access_or_reply(r, r->path_ids[0], &acc))
        return;
    bool organizer = acc.own_admin || acc.ancestor_admin;
    if (!organizer && !acc.platform_admin) {
        reply_error(r, ERR_NOT_FOUND, "no such sign-up roster");
        return;
    }
    const char *params[3] = {id_str(r, acc.id)};
    reply_page(r, SQL_SIGNUPS_COUNT, SQL_SIGNUPS_PAGE, 1, params, &pg,
               organizer ? signup_row_full : signup_row_masked);
}
