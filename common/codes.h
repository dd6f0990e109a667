/* The code tables of API.md ("Code tables"): requests and responses carry
 * codes, clients show the labels. Shared by every service. */
#ifndef STVS_CODES_H
#define STVS_CODES_H
#include <jansson.h>

#include "body.h"

extern const code_table CODES_SERVICE_CATEGORY, CODES_SERVICE_FIELD, CODES_POLITICAL_STATUS, CODES_ETHNICITY,
    CODES_EDUCATION, CODES_TITLE, CODES_OCCUPATION, CODES_GRASSROOTS_ROLE, CODES_SUPERVISOR_TYPE, CODES_ORG_LEVEL,
    CODES_ACTIVITY_THEME;

/* The enumerations of query parameters (API.md): not published by
 * GET /meta/codes, but checked, and their 422 messages written, from these
 * tables like any other. */
extern const code_table CODES_ACTIVITY_STATUS, CODES_ACTIVITY_SORT, CODES_SIGNUP_FILTER, CODES_MEMBERSHIP_STATUS,
    CODES_ORG_STATUS;

/* {"service_category": [{"code": "training", "label": "科技培训"}, ...], ...} */
json_t *codes_json(void);

#endif
