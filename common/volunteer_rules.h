/* The rules of a volunteer record, one implementation for every way in:
 * POST /volunteers and PATCH /volunteers/me (services/volunteer) and the
 * rows of an imported 附件2 (services/import) check the same field table
 * and the same ID-number rule. */
#ifndef STVS_VOLUNTEER_RULES_H
#define STVS_VOLUNTEER_RULES_H
#include <jansson.h>

#include "body.h"
#include "idcard.h"

#define VOLUNTEER_MIN_AGE 18

/* A registration as it is validated (API.md, Volunteers). */
typedef struct {
    const char *real_name, *id_number, *political_status, *ethnicity, *employer, *title, *education, *occupation,
        *region_code, *grassroots_role, *skills, *availability;
    const json_t *service_categories, *service_fields;
} volunteer_input;

#define VOLUNTEER_NFIELDS 14
extern const field_spec VOLUNTEER_FIELDS[VOLUNTEER_NFIELDS];

/* The field's rule by name (NULL when unknown). */
const field_spec *volunteer_field(const char *name);

/* The ID-number rule of registration: GB 11643 format and checksum, a real
 * birth date, at least VOLUNTEER_MIN_AGE on today. idcard_parse's codes. */
const char *volunteer_id_check(const char *number, ymd today, idcard *out, const char **message);

/* A text value against its field's rule, as body_fields checks it: NULL
 * when fine, else "required", "too_long", "control_character",
 * "invalid_format" (not UTF-8) or "not_in_list" (not a code of the table). */
const char *volunteer_text_check(const field_spec *f, const char *value, const char **message);

#endif
