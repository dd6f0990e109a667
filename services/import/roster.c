/* The official rosters: 附件2 (volunteers, 17 columns) and 附件1 (orgs, 15
 * columns), found in an upload by their header labels, and the rules of a
 * volunteer row, which are those of POST /volunteers (common/volunteer_rules.c),
 * and of an org row, those of POST /orgs (common/org_rules.h), applied to
 * cells as people type them (cells.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"
#include "mask.h"
#include "org_rules.h"
#include "volunteer_rules.h"

/* 附件2's headers: the exports' table (common/roster_sheet.h). */
#define VOLUNTEER_COLUMN(id, header, alias, key) [V_##id] = {header, alias, key},
const column_def VOLUNTEER_COLUMNS_DEF[V__MAX] = {ROSTER_SHEET_COLUMN_LIST(VOLUNTEER_COLUMN)};
#undef VOLUNTEER_COLUMN

const column_def ORG_COLUMNS_DEF[O__MAX] = {
    [O_SEQ] = {"序号", NULL, false},
    [O_NAME] = {"组织名称", NULL, true},
    [O_ADMIN_PHONE] = {"管理员手机号", NULL, true},
    [O_CIVIL] = {"是否在民政部门注册", NULL, false},
    [O_SUPERVISOR_TYPE] = {"主管单位类型", NULL, false},
    [O_SUPERVISOR] = {"主管单位", NULL, false},
    [O_FOUNDED] = {"成立日期", NULL, false},
    [O_CATEGORIES] = {"服务类别", NULL, false},
    [O_PROVINCE] = {"所在区域省", NULL, false},
    [O_CITY] = {"所在区域市", NULL, false},
    [O_COUNTY] = {"所在区域县", NULL, false},
    [O_LEADER_NAME] = {"组织负责人姓名（选填）", NULL, false},
    [O_LEADER_TITLE] = {"组织负责人职务（选填）", NULL, false},
    [O_LEADER_EMPLOYER] = {"组织负责人单位（选填）", NULL, false},
    [O_LEADER_PHONE] = {"组织负责人电话（选填）", NULL, false},
};

void column_letter(int col, char out[4])
{
    if (col < 26)
        snprintf(out, 4, "%c", 'A' + col);
    else
        snprintf(out, 4, "%c%c", 'A' + col / 26 - 1, 'A' + col % 26);
}

static const column_def *defs_of(int kind, int *n)
{
    *n = kind == KIND_VOLUNTEERS ? V__MAX : O__MAX;
    return kind == KIND_VOLUNTEERS ? VOLUNTEER_COLUMNS_DEF : ORG_COLUMNS_DEF;
}

bool roster_find_header(const sheet_t *s, int kind, header_map *out)
{
    int ndefs;
    const column_def *defs = defs_of(kind, &ndefs);
    char norm[256], want[256], alias[256];
    for (int ri = 0; ri < s->nrows && ri < 10; ri++) {
        const sheet_row *r = &s->rows[ri];
        header_map h = {.kind = kind, .defs = defs, .header_index = ri, .ncols = ndefs};
        for (int d = 0; d < ndefs; d++)
            h.col[d] = -1;
        for (int c = 0; c < r->ncells; c++) {
            cell_normalize(sheet_cell_text(r, c), norm, sizeof norm);
            if (!*norm)
                continue;
            for (int d = 0; d < ndefs; d++) {
                cell_normalize(defs[d].label, want, sizeof want);
                if (defs[d].alias)
                    cell_normalize(defs[d].alias, alias, sizeof alias);
                if (h.col[d] < 0 && (!strcmp(norm, want) || (defs[d].alias && !strcmp(norm, alias)))) {
                    h.col[d] = c;
                    break;
                }
            }
        }
        bool keys = true;
        int found = 0;
        for (int d = 0; d < ndefs; d++) {
            found += h.col[d] >= 0;
            keys &= !defs[d].key || h.col[d] >= 0;
        }
        if (keys && found >= 3) {
            *out = h;
            return true;
        }
    }
    return false;
}

static const char *cell_at(const header_map *h, const sheet_row *r, int d)
{
    return h->col[d] < 0 ? "" : sheet_cell_text(r, h->col[d]);
}

bool roster_skip_row(const sheet_t *s, const header_map *h, const sheet_row *r)
{
    (void)s;
    char t[64];
    bool blank = true;
    for (int c = 0; c < r->ncells && blank; c++) {
        cell_trim(sheet_cell_text(r, c), t, sizeof t);
        blank = !*t;
    }
    if (blank)
        return true;
    cell_normalize(cell_at(h, r, 0), t, sizeof t); /* 序号 is column 0 of both sheets */
    if (!strcmp(t, "范例"))
        return true;
    for (int c = 0; c < r->ncells; c++) { /* the first filled cell */
        cell_normalize(sheet_cell_text(r, c), t, sizeof t);
        if (*t)
            return !strncmp(t, "填报说明", strlen("填报说明"));
    }
    return false;
}

int roster_open(const char *content_type, const void *data, size_t n, int kind, sheet_t *s, header_map *h,
                int *data_rows, char *err, size_t errlen)
{
    bool xlsx = !strncmp(content_type, XLSX_TYPE, strlen(XLSX_TYPE));
    sheet_status st = xlsx ? sheet_read_xlsx(data, n, s, err, errlen) : sheet_read_csv(data, n, s, err, errlen);
    if (st != SHEET_OK)
        return st == SHEET_NOMEM ? -2 : -1;
    if (!roster_find_header(s, kind, h)) {
        snprintf(err, errlen, "no header row of %s among the first 10 rows",
                 kind == KIND_VOLUNTEERS ? "附件2 (真实姓名, 手机号, 身份证号...)" : "附件1 (组织名称, 管理员手机号...)");
        return -1;
    }
    *data_rows = 0;
    for (int i = h->header_index + 1; i < s->nrows; i++)
        *data_rows += !roster_skip_row(s, h, &s->rows[i]);
    if (s->truncated || *data_rows > IMPORT_MAX_ROWS) {
        snprintf(err, errlen, "more than %d data rows", IMPORT_MAX_ROWS);
        return -3;
    }
    return 0;
}

/* ---------------------------------------------------------------- one volunteer row */

static json_t *problem_item(const sheet_t *s, const header_map *h, int d, const char *code, const char *msg)
{
    char letter[4] = "";
    const char *header = h->defs[d].label;
    int c = h->col[d];
    if (c >= 0) {
        column_letter(c, letter);
        const char *uploaded = sheet_cell_text(&s->rows[h->header_index], c);
        if (*uploaded)
            header = uploaded;
    }
    return json_pack("{s:s?, s:s, s:s, s:s}", "column", c >= 0 ? letter : NULL, "header", header, "code", code,
                     "message", msg);
}

void row_error(row_check *rc, const sheet_t *s, const header_map *h, int d, const char *code, const char *msg)
{
    json_array_append_new(rc->errors, problem_item(s, h, d, code, msg));
}

static void row_warning(row_check *rc, const sheet_t *s, const header_map *h, int d, const char *code,
                        const char *msg)
{
    json_array_append_new(rc->warnings, problem_item(s, h, d, code, msg));
}

void row_check_free(row_check *rc)
{
    json_decref(rc->errors);
    json_decref(rc->warnings);
    json_decref(rc->data);
    explicit_bzero(&rc->id, sizeof rc->id);
    memset(rc, 0, sizeof *rc);
}

static void mask_name(const char *name, char *out, size_t outlen)
{
    /* the first character, then one * for each of the others (at least one) */
    size_t first = 1;
    const unsigned char *p = (const unsigned char *)name;
    if (!*p) {
        snprintf(out, outlen, "*");
        return;
    }
    if (p[0] >= 0xF0)
        first = 4;
    else if (p[0] >= 0xE0)
        first = 3;
    else if (p[0] >= 0xC0)
        first = 2;
    long chars = utf8_chars(name);
    size_t o = (size_t)snprintf(out, outlen, "%.*s", (int)first, name);
    for (long i = 1; i < (chars > 1 ? chars : 2) && o + 1 < outlen; i++)
        out[o++] = '*';
    out[o] = '\0';
}

/* A text field of the shared table: trimmed, then its rule. */
static const char *text_field(row_check *rc, const sheet_t *s, const header_map *h, const sheet_row *r, int d,
                              const char *field, char *buf, size_t buflen)
{
    const field_spec *f = volunteer_field(field);
    const char *msg;
    cell_trim(cell_at(h, r, d), buf, buflen);
    const char *code = volunteer_text_check(f, buf, &msg);
    if (code) {
        char m[160];
        if (!strcmp(code, "required"))
            snprintf(m, sizeof m, "必填：请填写%s", h->defs[d].label);
        else if (!strcmp(code, "too_long"))
            snprintf(m, sizeof m, "不能超过%ld个字", f->max);
        else
            snprintf(m, sizeof m, "含有不可见的控制字符，请删除后重填");
        /* a value with control characters is no value: "required" */
        row_error(rc, s, h, d, !strcmp(code, "too_long") ? "too_long" : "required", m);
        return NULL;
    }
    json_object_set_new(rc->data, field, json_string(buf));
    return buf;
}

/* A single choice: a label or a code of the field's table. */
static void choice_field(row_check *rc, const sheet_t *s, const header_map *h, const sheet_row *r, int d,
                         const char *field)
{
    const field_spec *f = volunteer_field(field);
    char t[256], allowed[1024];
    cell_trim(cell_at(h, r, d), t, sizeof t);
    if (!*t) {
        char m[160];
        snprintf(m, sizeof m, "必填：请选择%s", h->defs[d].label);
        row_error(rc, s, h, d, "required", m);
        return;
    }
    const char *code = cell_code(f->table, t);
    if (!code) {
        row_error(rc, s, h, d, "not_in_list", cell_allowed(f->table, allowed, sizeof allowed));
        return;
    }
    json_object_set_new(rc->data, field, json_string(code));
}

static void multi_field(row_check *rc, const sheet_t *s, const header_map *h, const sheet_row *r, int d,
                        const char *field)
{
    const field_spec *f = volunteer_field(field);
    const char *codes[64];
    char bad[256], allowed[1024], m[1400];
    int n = cell_multi(f->table, cell_at(h, r, d), codes, 64, bad, sizeof bad);
    if (n < 0) {
        snprintf(m, sizeof m, "“%s”不是可选项。%s", bad, cell_allowed(f->table, allowed, sizeof allowed));
        row_error(rc, s, h, d, "not_in_list", m);
        return;
    }
    if (n == 0) {
        snprintf(m, sizeof m, "请至少选择一项%s（在选中项前的□改为☑，或直接填写，用顿号分隔）",
                 h->defs[d].label);
        row_error(rc, s, h, d, "none_selected", m);
        return;
    }
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, json_string(codes[i]));
    json_object_set_new(rc->data, field, a);
}

static void id_field(row_check *rc, const sheet_t *s, const header_map *h, const sheet_row *r, ymd today)
{
    char t[64];
    const sheet_cell *cell = h->col[V_ID] >= 0 && h->col[V_ID] < r->ncells ? &r->cells[h->col[V_ID]] : NULL;
    cell_trim(cell ? sheet_cell_text(r, h->col[V_ID]) : "", t, sizeof t);
    if (!*t) {
        row_error(rc, s, h, V_ID, "required", "必填：请填写18位身份证号");
        return;
    }
    if (cell && cell->numeric) {
        row_error(rc, s, h, V_ID, "id_number_numeric",
                  "身份证号被存成了数字，末几位已丢失：请把该列设为文本格式后重新填写");
        return;
    }
    const char *msg, *code = volunteer_id_check(t, today, &rc->id, &msg);
    explicit_bzero(t, sizeof t);
    if (!code) {
        rc->has_id = true;
        return;
    }
    if (!strcmp(code, "invalid_date"))
        row_error(rc, s, h, V_ID, "birth_date", "身份证号中的出生日期不是真实的日期");
    else if (!strcmp(code, "too_young"))
        row_error(rc, s, h, V_ID, "under_18", "志愿者须年满18周岁");
    else
        row_error(rc, s, h, V_ID, "checksum", "身份证号有误（应为18位，末位校验码不符），请核对");
}

static void region_fields(row_check *rc, const sheet_t *s, const header_map *h, const sheet_row *r,
                          const region_tab *regions, const int cols[3])
{
    char code[7];
    int which;
    region_result res = region_by_names(regions, cell_at(h, r, cols[0]), cell_at(h, r, cols[1]),
                                        cell_at(h, r, cols[2]), h->kind == KIND_ORGS, code, &which);
    switch (res) {
    case REGION_OK:
        json_object_set_new(rc->data, "region_code", json_string(code));
        memcpy(rc->region, code, 7);
        return;
    case REGION_REQUIRED:
        row_error(rc, s, h, cols[which], "required", "必填：请填写所在区域（省、市、县区）");
        return;
    case REGION_AMBIGUOUS:
        row_error(rc, s, h, cols[which], "region_ambiguous", "该名称对应多个区域，请填写全称");
        return;
    case REGION_NOT_FOUND:
    case REGION_NOT_COUNTY:
        row_error(rc, s, h, cols[which], "region_not_found",
                  which == 0 ? "找不到该省份，请填写省级行政区名称（如河南省）"
                  : which == 1 ? "在所填省份下找不到该市，请核对"
                               : "在所填市下找不到该县区，请核对");
        return;
    }
}

void roster_check_volunteer(const sheet_t *s, const header_map *h, const sheet_row *r, const region_tab *regions,
                            ymd today, row_check *rc)
{
    char name[256], employer[512], t[64];
    memset(rc, 0, sizeof *rc);
    rc->errors = json_array();
    rc->warnings = json_array();
    rc->data = json_object();

    const char *nm = text_field(rc, s, h, r, V_NAME, "real_name", name, sizeof name);
    mask_name(nm ? nm : name, rc->name_masked, sizeof rc->name_masked);

    int pc = h->col[V_PHONE];
    cell_trim(cell_at(h, r, V_PHONE), t, sizeof t);
    if (!*t)
        row_error(rc, s, h, V_PHONE, "required", "必填：请填写11位手机号");
    else if (!cell_phone(t, pc >= 0 && pc < r->ncells && r->cells[pc].numeric, rc->phone))
        row_error(rc, s, h, V_PHONE, "invalid_phone", "手机号应为11位大陆手机号码（1开头，第二位3-9）");

    id_field(rc, s, h, r, today);

    cell_trim(cell_at(h, r, V_GENDER), t, sizeof t);
    if (*t) {
        char g[16];
        cell_normalize(t, g, sizeof g);
        bool male = !strcmp(g, "男") || !strcmp(g, "male"), female = !strcmp(g, "女") || !strcmp(g, "female");
        if (!male && !female)
            row_error(rc, s, h, V_GENDER, "not_in_list", "可选：男、女");
        else if (rc->has_id && male != rc->id.male)
            row_warning(rc, s, h, V_GENDER, "gender_mismatch", "性别与身份证号不符，以身份证号为准");
    }

    choice_field(rc, s, h, r, V_POLITICAL, "political_status");
    choice_field(rc, s, h, r, V_ETHNICITY, "ethnicity");
    text_field(rc, s, h, r, V_EMPLOYER, "employer", employer, sizeof employer);
    choice_field(rc, s, h, r, V_TITLE, "title");
    choice_field(rc, s, h, r, V_EDUCATION, "education");
    choice_field(rc, s, h, r, V_OCCUPATION, "occupation");
    static const int region_cols[3] = {V_PROVINCE, V_CITY, V_COUNTY};
    region_fields(rc, s, h, r, regions, region_cols);
    multi_field(rc, s, h, r, V_CATEGORIES, "service_categories");
    multi_field(rc, s, h, r, V_FIELDS, "service_fields");
    choice_field(rc, s, h, r, V_GRASSROOTS, "grassroots_role");
}

/* ---------------------------------------------------------------- one org row */

/* A text of an org row (trimmed) against the rules of the same field of
 * POST /orgs (common/org_rules.h): the same limits and the same codes
 * (text_rule_broken), with a message in Chinese. False when it breaks one
 * (an empty text: "required" when it is). */
static bool org_text_ok(row_check *rc, const sheet_t *s, const header_map *h, int d, const char *text, bool required,
                        long min, long max)
{
    char m[160];
    if (!*text) {
        if (required) {
            snprintf(m, sizeof m, "必填：请填写%s", h->defs[d].label);
            row_error(rc, s, h, d, "required", m);
        }
        return false;
    }
    const char *broken = text_rule_broken(text, min, max, false, true);
    if (!broken)
        return true;
    if (!strcmp(broken, "too_short"))
        snprintf(m, sizeof m, "至少应有%ld个字", min);
    else if (!strcmp(broken, "too_long"))
        snprintf(m, sizeof m, "不能超过%ld个字", max);
    else if (!strcmp(broken, "blank"))
        snprintf(m, sizeof m, "不能只有空格或不可见字符");
    else
        snprintf(m, sizeof m, "含有不可见的控制字符，请删除后重填");
    row_error(rc, s, h, d, broken, m);
    return false;
}

/* A text cell of an org row: trimmed, checked (org_text_ok), kept as field. */
static void org_text(row_check *rc, const sheet_t *s, const header_map *h, const sheet_row *r, int d,
                     const char *field, bool required, long min, long max)
{
    char buf[512];
    cell_trim(cell_at(h, r, d), buf, sizeof buf);
    if (org_text_ok(rc, s, h, d, buf, required, min, max))
        json_object_set_new(rc->data, field, json_string(buf));
}

/* Collapses runs of blanks into one space (names are unique as people read them). */
static void collapse_blanks(char *s)
{
    char *o = s;
    bool blank = false;
    for (char *p = s; *p; p++) {
        bool b = *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r';
        if (b && blank)
            continue;
        *o++ = b ? ' ' : *p;
        blank = b;
    }
    *o = '\0';
}

/* 组织名称: the rules of POST /orgs' name; shown whole in the report (an
 * org's name is no personal data), cut at a character boundary. */
static void org_name_cell(row_check *rc, const sheet_t *s, const header_map *h, const sheet_row *r)
{
    char name[512];
    cell_trim(cell_at(h, r, O_NAME), name, sizeof name);
    collapse_blanks(name);
    if (org_text_ok(rc, s, h, O_NAME, name, true, ORG_NAME_MIN, ORG_NAME_MAX))
        snprintf(rc->org_name, sizeof rc->org_name, "%s", name);
    const char *shown = *name ? name : "*";
    size_t nl = strlen(shown);
    if (nl >= sizeof rc->name_masked) {
        nl = sizeof rc->name_masked - 1;
        while (nl && ((unsigned char)shown[nl] & 0xC0) == 0x80)
            nl--;
    }
    snprintf(rc->name_masked, sizeof rc->name_masked, "%.*s", (int)nl, shown);
}

/* A phone cell (管理员手机号, required; 组织负责人电话, optional) into out. */
static bool org_phone_cell(row_check *rc, const sheet_t *s, const header_map *h, const sheet_row *r, int d,
                           bool required, char out[12])
{
    char t[256];
    int c = h->col[d];
    cell_trim(cell_at(h, r, d), t, sizeof t);
    if (!*t) {
        if (required)
            row_error(rc, s, h, d, "required", "必填：请填写管理员手机号");
        return false;
    }
    if (cell_phone(t, c >= 0 && c < r->ncells && r->cells[c].numeric, out))
        return true;
    row_error(rc, s, h, d, "invalid_phone", "手机号应为11位大陆手机号码（1开头，第二位3-9）");
    return false;
}

/* 是否在民政部门注册: 是 or 否. */
static void org_civil_cell(row_check *rc, const sheet_t *s, const header_map *h, const sheet_row *r)
{
    char t[256];
    cell_normalize(cell_at(h, r, O_CIVIL), t, sizeof t);
    if (!*t)
        row_error(rc, s, h, O_CIVIL, "required", "必填：请选择是否在民政部门注册");
    else if (!strcmp(t, "是") || !strcmp(t, "否"))
        json_object_set_new(rc->data, "registered_with_civil_affairs", json_boolean(!strcmp(t, "是")));
    else
        row_error(rc, s, h, O_CIVIL, "not_in_list", "可选：是、否");
}

/* 主管单位类型: a label (or code) of CODES_SUPERVISOR_TYPE. */
static void org_supervisor_type_cell(row_check *rc, const sheet_t *s, const header_map *h, const sheet_row *r)
{
    char t[256], allowed[1024];
    cell_trim(cell_at(h, r, O_SUPERVISOR_TYPE), t, sizeof t);
    const char *code = *t ? cell_code(&CODES_SUPERVISOR_TYPE, t) : NULL;
    if (!*t)
        row_error(rc, s, h, O_SUPERVISOR_TYPE, "required", "必填：请选择主管单位类型");
    else if (!code)
        row_error(rc, s, h, O_SUPERVISOR_TYPE, "not_in_list",
                  cell_allowed(&CODES_SUPERVISOR_TYPE, allowed, sizeof allowed));
    else
        json_object_set_new(rc->data, "supervisor_type", json_string(code));
}

/* 成立日期: a past date, as POST /orgs' founded_on. */
static void org_founded_cell(row_check *rc, const sheet_t *s, const header_map *h, const sheet_row *r, ymd today)
{
    char t[256];
    int c = h->col[O_FOUNDED];
    ymd d;
    cell_trim(cell_at(h, r, O_FOUNDED), t, sizeof t);
    if (!*t) {
        row_error(rc, s, h, O_FOUNDED, "required", "必填：请填写成立日期");
    } else if (!cell_date(t, c >= 0 && c < r->ncells && r->cells[c].numeric, s->date1904, &d) ||
               ymd_cmp(d, today) > 0) {
        row_error(rc, s, h, O_FOUNDED, "date_format", "成立日期应为过去的日期，如 2019/8/8、2019-08-08 或 2019年8月8日");
    } else {
        char ds[11];
        snprintf(ds, sizeof ds, "%04d-%02d-%02d", d.year, d.month, d.day);
        json_object_set_new(rc->data, "founded_on", json_string(ds));
    }
}

/* 服务类别: ORG_CATEGORIES_MIN to ORG_CATEGORIES_MAX labels (☑ lists or 、-separated). */
static void org_categories_cell(row_check *rc, const sheet_t *s, const header_map *h, const sheet_row *r)
{
    const char *codes[16];
    char bad[256], allowed[1024], m[1400];
    int n = cell_multi(&CODES_SERVICE_CATEGORY, cell_at(h, r, O_CATEGORIES), codes, 16, bad, sizeof bad);
    if (n < 0) {
        snprintf(m, sizeof m, "“%s”不是可选项。%s", bad, cell_allowed(&CODES_SERVICE_CATEGORY, allowed, sizeof allowed));
        row_error(rc, s, h, O_CATEGORIES, "not_in_list", m);
    } else if (n < ORG_CATEGORIES_MIN) {
        row_error(rc, s, h, O_CATEGORIES, "none_selected", "请至少选择一项服务类别（在选中项前的□改为☑，或直接填写，用顿号分隔）");
    } else if (n > ORG_CATEGORIES_MAX) {
        snprintf(m, sizeof m, "最多选择%d项服务类别", ORG_CATEGORIES_MAX);
        row_error(rc, s, h, O_CATEGORIES, "too_long", m);
    } else {
        json_t *a = json_array();
        for (int i = 0; i < n; i++)
            json_array_append_new(a, json_string(codes[i]));
        json_object_set_new(rc->data, "service_categories", a);
    }
}

/* 组织负责人 (all optional): POST /orgs' leader object. */
static void org_leader_cells(row_check *rc, const sheet_t *s, const header_map *h, const sheet_row *r)
{
    char phone[12];
    org_text(rc, s, h, r, O_LEADER_NAME, "leader_name", false, ORG_LEADER_NAME_MIN, ORG_LEADER_NAME_MAX);
    org_text(rc, s, h, r, O_LEADER_TITLE, "leader_title", false, 0, ORG_LEADER_TITLE_MAX);
    org_text(rc, s, h, r, O_LEADER_EMPLOYER, "leader_employer", false, 0, ORG_LEADER_EMPLOYER_MAX);
    if (org_phone_cell(rc, s, h, r, O_LEADER_PHONE, false, phone))
        json_object_set_new(rc->data, "leader_phone", json_string(phone));
}

void roster_check_org(const sheet_t *s, const header_map *h, const sheet_row *r, const region_tab *regions,
                      ymd today, row_check *rc)
{
    static const int region_cols[3] = {O_PROVINCE, O_CITY, O_COUNTY};
    memset(rc, 0, sizeof *rc);
    rc->errors = json_array();
    rc->warnings = json_array();
    rc->data = json_object();
    org_name_cell(rc, s, h, r);
    org_phone_cell(rc, s, h, r, O_ADMIN_PHONE, true, rc->phone);
    org_civil_cell(rc, s, h, r);
    org_supervisor_type_cell(rc, s, h, r);
    org_text(rc, s, h, r, O_SUPERVISOR, "supervisor_name", true, ORG_SUPERVISOR_NAME_MIN, ORG_SUPERVISOR_NAME_MAX);
    org_founded_cell(rc, s, h, r, today);
    org_categories_cell(rc, s, h, r);
    region_fields(rc, s, h, r, regions, region_cols);
    org_leader_cells(rc, s, h, r);
}
