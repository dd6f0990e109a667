/* What the org service's files share. */
#ifndef STVS_ORG_H
#define STVS_ORG_H
#include "app.h"
#include "body.h"
#include "codes.h"
#include "region.h"
#include "volunteer_view.h"

enum org_sql {
    SQL_REGION,
    SQL_ORG_ACCESS,
    SQL_ORG_GET,
    SQL_ORG_INSERT,
    SQL_ORG_UPDATE,
    SQL_ORG_DECIDE,
    SQL_ORG_LOCK,
    SQL_LEVEL_NEIGHBOURS,
    SQL_ORGS_COUNT,
    SQL_ORGS_PAGE,
    SQL_CHILDREN_COUNT,
    SQL_CHILDREN_PAGE,
    SQL_VOLUNTEER_OF_USER,
    SQL_USER_BY_PHONE,
    SQL_ADMINS_LIST,
    SQL_ADMIN_ADD,
    SQL_ADMIN_COUNT,
    SQL_ADMIN_REMOVE,
    SQL_MEMBER_APPLY,
    SQL_MEMBER_DECIDE,
    SQL_MEMBER_GET,
    SQL_MEMBER_REMOVE,
    SQL_MEMBERS_COUNT,
    SQL_MEMBERS_PAGE,
    SQL_LINK_HAS_ADMIN,
    SQL_LINK_INSERT,
    SQL_LINK_COUNT,
    SQL_LINK_PAGE,
    SQL_LINK_DECIDE,
    SQL_LINK_MAKE_ADMIN,
    SQL__MAX
};
extern const db_stmt org_sql[SQL__MAX];

/* The caller's rights on one org (org.rights), with what the handlers need. */
typedef struct {
    long long id;
    char status[12];
    char level[12];
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
/* The org as GET /orgs/{id} shows it, or NULL after replying. */
json_t *org_json_or_reply(req_t *r, long long org_id);
json_t *org_json(const PGresult *res, int row);

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
void h_link_request_create(req_t *r);
void h_link_requests_list(req_t *r);
void h_link_request_approve(req_t *r);
void h_link_request_reject(req_t *r);

#endif
