#include "roster_sheet.h"

#include <stdio.h>
#include <string.h>

#include "codes.h"
#include "db.h"
#include "mask.h"

#define HEADER(id, header, alias, key) header,
static const char *const HEADERS[ROSTER_SHEET_COLUMNS] = {ROSTER_SHEET_COLUMN_LIST(HEADER)};
#undef HEADER

static const code_entry gender_entries[] = {{"male", "男"}, {"female", "女"}};
static const code_table GENDER = {"gender", gender_entries, 2};

const char *code_label(const code_table *t, const char *code)
{
    if (!code)
        return "";
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->entries[i].code, code))
            return t->entries[i].label;
    return code;
}

void hours_text(double hours, char out[32])
{
    snprintf(out, 32, "%.2f", hours);
    char *dot = strchr(out, '.');
    if (!dot)
        return;
    char *end = out + strlen(out) - 1;
    while (end > dot && *end == '0')
        *end-- = '\0';
    if (end == dot)
        *end = '\0';
}

lxw_worksheet *roster_sheet_new(xlsx_out *x, const char *name, const char *const *extra, int nextra)
{
    lxw_worksheet *ws = xlsx_out_sheet(x, name);
    if (!ws)
        return NULL;
    int ncols = ROSTER_SHEET_COLUMNS + nextra;
    bool bad = worksheet_merge_range(ws, 0, 0, 0, (lxw_col_t)(ncols - 1), ROSTER_SHEET_TITLE,
                                     xlsx_out_header_format(x)) != LXW_NO_ERROR;
    bad |= xlsx_out_widths(ws, 0, ncols - 1, 14) != 0;
    for (int c = 0; !bad && c < ncols; c++)
        bad |= xlsx_out_string(x, ws, 1, c, c < ROSTER_SHEET_COLUMNS ? HEADERS[c] : extra[c - ROSTER_SHEET_COLUMNS],
                               xlsx_out_header_format(x)) != 0;
    return bad ? NULL : ws;
}

/* The labels of a JSON array of codes, joined with 、 (at most out's size). */
static const char *labels_of(const PGresult *res, int row, const char *col, const code_table *t, char *out,
                             size_t size)
{
    json_t *codes = db_json(res, row, col, NULL);
    size_t used = 0;
    out[0] = '\0';
    size_t i;
    json_t *v;
    json_array_foreach(codes, i, v)
    {
        const char *label = code_label(t, json_string_value(v));
        int n = snprintf(out + used, size - used, "%s%s", used ? "、" : "", label);
        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
    }
    json_decref(codes);
    return out;
}

int roster_sheet_row(xlsx_out *x, lxw_worksheet *ws, int i, const PGresult *res, int row, bool full_phone)
{
    char seq[24], masked[16], categories[512], fields[512];
    snprintf(seq, sizeof seq, "%d", i + 1);
    const char *phone = db_str(res, row, "phone");
    if (!phone)
        phone = "";
    if (!full_phone) {
        mask_phone(phone, masked, sizeof masked);
        phone = masked;
    }
    json_t *region = db_json(res, row, "region", NULL);
    const char *province = json_string_value(json_object_get(region, "province"));
    const char *city = json_string_value(json_object_get(region, "city"));
    const char *county = json_string_value(json_object_get(region, "county"));
    const char *cells[ROSTER_SHEET_COLUMNS] = {
        seq,
        db_str(res, row, "real_name"),
        phone,
        code_label(&GENDER, db_str(res, row, "gender")),
        db_str(res, row, "id_masked"),
        code_label(&CODES_POLITICAL_STATUS, db_str(res, row, "political_status")),
        code_label(&CODES_ETHNICITY, db_str(res, row, "ethnicity")),
        db_str(res, row, "employer"),
        code_label(&CODES_TITLE, db_str(res, row, "title")),
        code_label(&CODES_EDUCATION, db_str(res, row, "education")),
        code_label(&CODES_OCCUPATION, db_str(res, row, "occupation")),
        province,
        city,
        county,
        labels_of(res, row, "service_categories", &CODES_SERVICE_CATEGORY, categories, sizeof categories),
        labels_of(res, row, "service_fields", &CODES_SERVICE_FIELD, fields, sizeof fields),
        code_label(&CODES_GRASSROOTS_ROLE, db_str(res, row, "grassroots_role")),
    };
    int rc = 0;
    for (int c = 0; !rc && c < ROSTER_SHEET_COLUMNS; c++)
        rc = xlsx_out_string(x, ws, ROSTER_SHEET_FIRST_ROW + i, c, cells[c], NULL);
    json_decref(region); /* after the writes: province, city and county are its strings */
    return rc;
}
