#include "volunteer_rules.h"

#include <string.h>

#include "codes.h"
#include "region.h"

#define F(name, type, flags, min, max, check, table)                                                           \
    {#name, type, flags, min, max, offsetof(volunteer_input, name), check, table}
const field_spec VOLUNTEER_FIELDS[VOLUNTEER_NFIELDS] = {
    F(real_name, F_STRING, FIELD_REQUIRED, 1, 50, NULL, NULL),
    F(id_number, F_STRING, FIELD_REQUIRED, 0, 0, NULL, NULL), /* checked by volunteer_id_check */
    F(political_status, F_STRING, FIELD_REQUIRED, 0, 0, NULL, &CODES_POLITICAL_STATUS),
    F(ethnicity, F_STRING, FIELD_REQUIRED, 0, 0, NULL, &CODES_ETHNICITY),
    F(employer, F_STRING, FIELD_REQUIRED, 1, 100, NULL, NULL),
    F(title, F_STRING, FIELD_REQUIRED, 0, 0, NULL, &CODES_TITLE),
    F(education, F_STRING, FIELD_REQUIRED, 0, 0, NULL, &CODES_EDUCATION),
    F(occupation, F_STRING, FIELD_REQUIRED, 0, 0, NULL, &CODES_OCCUPATION),
    F(region_code, F_STRING, FIELD_REQUIRED, 0, 0, check_region_code, NULL),
    F(service_categories, F_ARRAY, FIELD_REQUIRED, 1, 8, NULL, &CODES_SERVICE_CATEGORY),
    F(service_fields, F_ARRAY, FIELD_REQUIRED, 1, 9, NULL, &CODES_SERVICE_FIELD),
    F(grassroots_role, F_STRING, FIELD_REQUIRED, 0, 0, NULL, &CODES_GRASSROOTS_ROLE),
    F(skills, F_STRING, FIELD_NULLABLE | FIELD_MULTILINE, 0, 500, NULL, NULL),
    F(availability, F_STRING, FIELD_NULLABLE | FIELD_MULTILINE, 0, 200, NULL, NULL),
};
#undef F

const field_spec *volunteer_field(const char *name)
{
    for (size_t i = 0; i < VOLUNTEER_NFIELDS; i++)
        if (!strcmp(VOLUNTEER_FIELDS[i].name, name))
            return &VOLUNTEER_FIELDS[i];
    return NULL;
}

const char *volunteer_id_check(const char *number, ymd today, idcard *out, const char **message)
{
    return idcard_parse(number, today, VOLUNTEER_MIN_AGE, out, message);
}

const char *volunteer_text_check(const field_spec *f, const char *v, const char **message)
{
    long chars = utf8_chars(v);
    if (chars < 0) {
        *message = "must be valid UTF-8";
        return "invalid_format";
    }
    if (!chars) {
        *message = "is required";
        return (f->flags & FIELD_REQUIRED) ? "required" : NULL;
    }
    if (has_control_chars(v, f->flags & FIELD_MULTILINE)) {
        *message = "must not contain control characters";
        return "control_character";
    }
    if (f->max && chars > f->max) {
        *message = "is too long";
        return "too_long";
    }
    if (f->table && !code_table_has(f->table, v)) {
        *message = "is not in the list";
        return "not_in_list";
    }
    return NULL;
}
