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

/* The shape of a list request (sql.c): which of its filters it has and, for
 * the status, the region and the title word, which form, as one number:
 * bits 0-2 the status, 3-5 the region, 6-7 the word, then one bit for each
 * filter that is only present or absent. Each shape is one text of the list's
 * statements (list_variants_asc, _desc). */
enum { /* CANCELLED to UPCOMING: CODES_ACTIVITY_STATUS's rows, in its order */
    LIST_STATUS_NONE, LIST_STATUS_CANCELLED, LIST_STATUS_ENDED, LIST_STATUS_ONGOING, LIST_STATUS_RECRUITING,
    LIST_STATUS_SIGNUP_CLOSED, LIST_STATUS_UPCOMING, LIST_STATUS_OTHER, LIST_STATUS_FORMS
};
enum {
    LIST_REGION_NONE, LIST_REGION_COUNTRY, LIST_REGION_PROVINCE, LIST_REGION_CITY, LIST_REGION_CODE, LIST_REGION_RANGE,
    LIST_REGION_FORMS
};
enum { LIST_Q_NONE, LIST_Q_TWO_CHARS, LIST_Q_OTHER, LIST_Q_FORMS };
#define LIST_REGION_SHIFT 3
#define LIST_Q_SHIFT 6
#define LIST_STATUS(shape) ((shape) & 7u)
#define LIST_REGION(shape) ((shape) >> LIST_REGION_SHIFT & 7u)
#define LIST_Q(shape) ((shape) >> LIST_Q_SHIFT & 3u)
#define LIST_ORG (1u << 8)
#define LIST_CATEGORY (1u << 9)
#define LIST_THEME (1u << 10)
#define LIST_FROM (1u << 11)
#define LIST_TO (1u << 12)
/* The shape of the list's parameters ($1..$9 of list_page_desc/asc: NULL = absent). */
unsigned list_shape(const char *const *params);
extern const db_variants list_variants_asc, list_variants_desc;

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
/* Answers status with the activity as GET /activities/{id} shows it and its
 * ETag ("<version>"); 404 when there is none. */
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
/* The list's status refresh thread (listing.c). */
int listing_refresh_start(const char *conninfo);
void listing_refresh_stop(void);
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
