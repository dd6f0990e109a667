/* What the volunteer service's files share. */
#ifndef STVS_VOLUNTEER_H
#define STVS_VOLUNTEER_H
#include "activity_view.h"
#include "app.h"
#include "body.h"
#include "codes.h"
#include "region.h"
#include "volunteer_view.h"

/* SQL_... for each statement of sql.def, in its order. */
enum volunteer_sql {
#define STMT(id, ...) id,
#include "sql.def"
#undef STMT
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
void h_me_claim(req_t *r);
void h_volunteer_get(req_t *r);
void h_volunteer_list(req_t *r);
void h_me_orgs(req_t *r);
void h_me_activities(req_t *r);
void h_me_service_records(req_t *r);
void h_me_service_records_xlsx(req_t *r); /* export.c */

#endif
