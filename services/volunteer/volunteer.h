/* What the volunteer service's files share. */
#ifndef STVS_VOLUNTEER_H
#define STVS_VOLUNTEER_H
#include "activity_view.h"
#include "app.h"
#include "body.h"
#include "codes.h"
#include "region.h"
#include "volunteer_view.h"

enum volunteer_sql {
    SQL_REGIONS_TOP,
    SQL_REGIONS_CHILDREN,
    SQL_VOLUNTEER_INSERT,
    SQL_VOLUNTEER_UPDATE,
    SQL_VOLUNTEER_BY_USER,
    SQL_VOLUNTEER_BY_ID,
    SQL_ADMIN_SCOPE,
    SQL_VOLUNTEER_COUNT,
    SQL_VOLUNTEER_PAGE,
    SQL_MY_ORGS,
    SQL_MY_ACTIVITIES_COUNT,
    SQL_MY_ACTIVITIES_PAGE,
    SQL_MY_SERVICE_RECORDS,
    SQL__MAX
};
extern const db_stmt volunteer_sql[SQL__MAX];

/* Keys derived from STVS_DATA_KEY_FILE at start-up. */
extern unsigned char id_seal_key[32], id_index_key[32];


void profile_init(void); /* builds the PATCH field table; call once at start-up */

void h_meta_codes(req_t *r);
void h_meta_regions(req_t *r);
void h_volunteer_create(req_t *r);
void h_me_get(req_t *r);
void h_me_patch(req_t *r);
void h_volunteer_get(req_t *r);
void h_volunteer_list(req_t *r);
void h_me_orgs(req_t *r);
void h_me_activities(req_t *r);
void h_me_service_records(req_t *r);

#endif
