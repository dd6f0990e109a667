/* What the org service's files share. */
#ifndef STVS_ORG_H
#define STVS_ORG_H
#include "app.h"
#include "org_rules.h"
#include "body.h"
#include "codes.h"
#include "etag.h"
#include "region.h"
#include "volunteer_view.h"

/* SQL_... for each statement of sql.def, in its order. */
enum org_sql {
#define STMT(id, ...) id,
#include "sql.def"
#undef STMT
    SQL__MAX
};
extern const db_stmt org_sql[SQL__MAX];

#define ETAG_MAX 48

/* The caller's rights on one org (org.rights), with what the handlers need. */
typedef struct {
    long long id;
    char status[12];
    char level[12];
    char region_code[8];
    bool own_admin, ancestor_admin, platform_admin;
} org_access;

/* Loads the org and the caller's rights: 1 when the caller may see it
 * (approved, or any rights on it), 0 when not (or no such org), -1 after a
 * 503. org_access_or_reply answers the 0 case with 404. */
int org_access_load(req_t *r, long long org_id, org_access *a);
bool org_access_or_reply(req_t *r, long long org_id, org_access *a);
/* Rosters, member decisions, admins: the org's admins, its ancestors'
 * admins, platform admins in scope. */
bool can_manage(const org_access *a);
/* Approvers decide its registration and change an approved org's level and
 * region: admins of an ancestor, platform admins in scope, never its own
 * admins (no one approves what they registered). */
bool can_approve(const org_access *a);
/* A right on an org, for org_locked_or_reply. */
typedef bool (*org_right)(const org_access *a);
/* For requests that change an org or its people. Checks visibility (404) and
 * right (403 with `denied`), then begins a transaction, locks the rows of the
 * org's ancestors FOR SHARE and the org's own row FOR UPDATE, and checks both
 * again: an admin removed (the removal locks that org's row) while this
 * request was in flight has lost its rights by then. False after replying;
 * the transaction stays open on true (the caller commits). */
bool org_locked_or_reply(req_t *r, long long org_id, org_access *a, org_right right, const char *denied);
/* Answers the org as GET /orgs/{id} shows it, with its ETag; inside a
 * transaction, reads it there and commits before answering. */
void reply_org(req_t *r, int status, long long org_id);
/* The org as GET /orgs/{id} shows it, or NULL after replying. */
json_t *org_json_or_reply(req_t *r, long long org_id, char etag[ETAG_MAX]);
json_t *org_json(const PGresult *res, int row);

/* ETags (etag.c): a strong validator of the org as shown, from its row
 * version (org.orgs.version, bumped by every UPDATE of the row) and a hash of
 * the representation (which also covers what other rows contribute:
 * activity_count, the parent's name). */
void org_etag(req_t *r, long long version, const json_t *org, char etag[ETAG_MAX]);


void orgs_init(void);
void h_org_create(req_t *r);
void h_org_list(req_t *r);
void h_org_get(req_t *r);
void h_org_patch(req_t *r);
void h_org_children(req_t *r);
void h_org_approve(req_t *r);
void h_org_reject(req_t *r);
void h_admins_list(req_t *r);
void h_admin_add(req_t *r);
void h_admin_remove(req_t *r);
void h_member_apply(req_t *r);
void h_member_approve(req_t *r);
void h_member_reject(req_t *r);
void h_member_remove(req_t *r);
void h_member_leave(req_t *r);
void h_members_list(req_t *r);

/* The roster's filters, one table for GET /orgs/{id}/members and its .xlsx. */
typedef struct {
    const char *status, *q;
} members_query;
#define MEMBERS_QUERY_FIELDS 2
extern const field_spec members_query_fields[MEMBERS_QUERY_FIELDS];
void h_members_xlsx(req_t *r); /* export.c */
void h_link_request_create(req_t *r);
void h_link_requests_list(req_t *r);
void h_link_request_approve(req_t *r);
void h_link_request_reject(req_t *r);

#endif
