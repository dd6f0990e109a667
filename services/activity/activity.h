/* What the activity service's files share. */
#ifndef STVS_ACTIVITY_H
#define STVS_ACTIVITY_H
#include "activity_view.h"
#include "app.h"
#include "body.h"
#include "codes.h"
#include "etag.h"
#include "region.h"
#include "volunteer_view.h"

/* SQL_... for each statement of sql.def, in its order. */
enum activity_sql {
#define STMT(id, ...) id,
#include "sql.def"
#undef STMT
    SQL__MAX
};
extern const db_stmt activity_sql[SQL__MAX];

/* An activity, its state by the server clock, and the caller's rights on
 * its org (org.rights). */
typedef struct {
    long long id, org_id;
    bool started, ended, cancelled;
    bool own_admin, ancestor_admin, platform_admin;
    double max_hours; /* the activity's duration in hours */
} activity_access;

/* 404 when no such activity. */
bool activity_access_or_reply(req_t *r, long long id, activity_access *a);
/* The activity as GET /activities/{id} shows it, or NULL after replying;
 * *version (when not NULL) gets its row version. */
json_t *activity_json_or_reply(req_t *r, long long id, long long *version);
/* Answers status with the activity and its ETag ("<version>"). */
void reply_activity(req_t *r, long long id, int status);
/* The ETag of a row version: a strong validator, "<version>". */
const char *activity_etag(req_t *r, long long version);
/* Share-locks the activity (inside a transaction) and reads its state:
 * false after replying 404 or a database error. */
bool activity_lock_share_or_reply(req_t *r, long long id, activity_access *a);

/* Hours are kept to 2 decimals (numeric(7,2)); they must be at least 0.01
 * and fit in the activity once rounded. */
#define MAX_HOURS 10000.0
double hours_stored(double hours);
/* The hours between two instants in microseconds. */
double duration_hours(long long starts_us, long long ends_us);
bool hours_fit(double hours, double max_hours);

void publish_init(void);
void h_activity_create(req_t *r);
void h_activity_list(req_t *r);
void h_activity_get(req_t *r);
void h_activity_patch(req_t *r);
void h_activity_cancel(req_t *r);
void h_signup_create(req_t *r);
void h_signup_withdraw(req_t *r);
void h_signups_list(req_t *r);
void h_signups_xlsx(req_t *r); /* export.c */
void h_records_post(req_t *r);
void h_report_put(req_t *r);
void h_report_get(req_t *r);

#endif
