/* The official rosters: 附件2 (volunteers, 17 columns) and 附件1 (orgs, 15
 * columns), found in an upload by their header labels, and the rules of a
 * volunteer row, which are those of POST /volunteers (common/volunteer_rules.c)
 * applied to cells as people type them (cells.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"
#include "mask.h"
#include "volunteer_rules.h"

const column_def VOLUNTEER_COLUMNS_DEF[V__MAX] = {
    [V_SEQ] = {"序号", NULL, false},
    [V_NAME] = {"真实姓名", "姓名", true},
    [V_PHONE] = {"手机号", "手机号码", true},
    [V_GENDER] = {"性别", NULL, false},
    [V_ID] = {"身份证号", "身份证号码", true},
    [V_POLITICAL] = {"政治面貌", NULL, false},
    [V_ETHNICITY] = {"民族", NULL, false},
    [V_EMPLOYER] = {"工作单位", NULL, false},
    [V_TITLE] = {"职称", NULL, false},
    [V_EDUCATION] = {"最高学历", "学历", false},
    [V_OCCUPATION] = {"从业类别", NULL, false},
    [V_PROVINCE] = {"所在区域省", "省", false},
    [V_CITY] = {"所在区域市", "市", false},
    [V_COUNTY] = {"所在区域县", "县", false},
    [V_CATEGORIES] = {"服务类别", NULL, false},
    [V_FIELDS] = {"服务领域或行业", "服务领域", false},
    [V_GRASSROOTS] = {"是否为基层“三长”", "基层三长", false},
};

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

/* A text cell of an org row: trimmed; required or not; at most max characters. */
static const char *org_text(row_check *rc, const sheet_t *s, const header_map *h, const sheet_row *r, int d,
                            const char *field, bool required, long max, char *buf, size_t buflen)
{
    char m[160];
    cell_trim(cell_at(h, r, d), buf, buflen);
    long chars = utf8_chars(buf);
    if (!*buf) {
        if (required) {
            snprintf(m, sizeof m, "必填：请填写%s", h->defs[d].label);
            row_error(rc, s, h, d, "required", m);
        }
        return NULL;
    }
    if (chars < 0 || has_control_chars(buf, false)) {
        row_error(rc, s, h, d, "required", "含有不可见的控制字符，请删除后重填");
        return NULL;
    }
    if (chars > max) {
        snprintf(m, sizeof m, "不能超过%ld个字", max);
        row_error(rc, s, h, d, "too_long", m);
        return NULL;
    }
    json_object_set_new(rc->data, field, json_string(buf));
    return buf;
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

void roster_check_org(const sheet_t *s, const header_map *h, const sheet_row *r, const region_tab *regions,
                      ymd today, row_check *rc)
{
    char name[512], t[256], allowed[1024];
    memset(rc, 0, sizeof *rc);
    rc->errors = json_array();
    rc->warnings = json_array();
    rc->data = json_object();

    /* the rules of POST /orgs: name 2-100, supervisor 1-100, leader fields optional */
    cell_trim(cell_at(h, r, O_NAME), name, sizeof name);
    collapse_blanks(name);
    if (!*name)
        row_error(rc, s, h, O_NAME, "required", "必填：请填写组织名称");
    else if (utf8_chars(name) < 2 || utf8_chars(name) > 100)
        row_error(rc, s, h, O_NAME, "too_long", "组织名称应为2至100个字");
    else
        snprintf(rc->org_name, sizeof rc->org_name, "%s", name);
    /* an org's name is no personal data: shown whole, cut at a character boundary */
    const char *shown = *name ? name : "*";
    size_t nl = strlen(shown);
    if (nl >= sizeof rc->name_masked) {
        nl = sizeof rc->name_masked - 1;
        while (nl && ((unsigned char)shown[nl] & 0xC0) == 0x80)
            nl--;
    }
    snprintf(rc->name_masked, sizeof rc->name_masked, "%.*s", (int)nl, shown);

    int pc = h->col[O_ADMIN_PHONE];
    cell_trim(cell_at(h, r, O_ADMIN_PHONE), t, sizeof t);
    if (!*t)
        row_error(rc, s, h, O_ADMIN_PHONE, "required", "必填：请填写管理员手机号");
    else if (!cell_phone(t, pc >= 0 && pc < r->ncells && r->cells[pc].numeric, rc->phone))
        row_error(rc, s, h, O_ADMIN_PHONE, "invalid_phone", "手机号应为11位大陆手机号码（1开头，第二位3-9）");

    cell_normalize(cell_at(h, r, O_CIVIL), t, sizeof t);
    if (!*t)
        row_error(rc, s, h, O_CIVIL, "required", "必填：请选择是否在民政部门注册");
    else if (!strcmp(t, "是") || !strcmp(t, "否"))
        json_object_set_new(rc->data, "registered_with_civil_affairs", json_boolean(!strcmp(t, "是")));
    else
        row_error(rc, s, h, O_CIVIL, "not_in_list", "可选：是、否");

    cell_trim(cell_at(h, r, O_SUPERVISOR_TYPE), t, sizeof t);
    const char *code = *t ? cell_code(&CODES_SUPERVISOR_TYPE, t) : NULL;
    if (!*t)
        row_error(rc, s, h, O_SUPERVISOR_TYPE, "required", "必填：请选择主管单位类型");
    else if (!code)
        row_error(rc, s, h, O_SUPERVISOR_TYPE, "not_in_list", cell_allowed(&CODES_SUPERVISOR_TYPE, allowed, sizeof allowed));
    else
        json_object_set_new(rc->data, "supervisor_type", json_string(code));

    char buf[512];
    org_text(rc, s, h, r, O_SUPERVISOR, "supervisor_name", true, 100, buf, sizeof buf);

    int fc = h->col[O_FOUNDED];
    cell_trim(cell_at(h, r, O_FOUNDED), t, sizeof t);
    ymd d;
    if (!*t) {
        row_error(rc, s, h, O_FOUNDED, "required", "必填：请填写成立日期");
    } else if (!cell_date(t, fc >= 0 && fc < r->ncells && r->cells[fc].numeric, s->date1904, &d) ||
               ymd_cmp(d, today) > 0) {
        row_error(rc, s, h, O_FOUNDED, "date_format", "成立日期应为过去的日期，如 2019/8/8、2019-08-08 或 2019年8月8日");
    } else {
        char ds[11];
        snprintf(ds, sizeof ds, "%04d-%02d-%02d", d.year, d.month, d.day);
        json_object_set_new(rc->data, "founded_on", json_string(ds));
    }

    const char *codes[16];
    char bad[256], m[1400];
    int n = cell_multi(&CODES_SERVICE_CATEGORY, cell_at(h, r, O_CATEGORIES), codes, 16, bad, sizeof bad);
    if (n < 0) {
        snprintf(m, sizeof m, "“%s”不是可选项。%s", bad, cell_allowed(&CODES_SERVICE_CATEGORY, allowed, sizeof allowed));
        row_error(rc, s, h, O_CATEGORIES, "not_in_list", m);
    } else if (n == 0) {
        row_error(rc, s, h, O_CATEGORIES, "none_selected", "请至少选择一项服务类别（在选中项前的□改为☑，或直接填写，用顿号分隔）");
    } else {
        json_t *a = json_array();
        for (int i = 0; i < n; i++)
            json_array_append_new(a, json_string(codes[i]));
        json_object_set_new(rc->data, "service_categories", a);
    }

    static const int region_cols[3] = {O_PROVINCE, O_CITY, O_COUNTY};
    region_fields(rc, s, h, r, regions, region_cols);

    org_text(rc, s, h, r, O_LEADER_NAME, "leader_name", false, 50, buf, sizeof buf);
    org_text(rc, s, h, r, O_LEADER_TITLE, "leader_title", false, 50, buf, sizeof buf);
    org_text(rc, s, h, r, O_LEADER_EMPLOYER, "leader_employer", false, 100, buf, sizeof buf);
    cell_trim(cell_at(h, r, O_LEADER_PHONE), t, sizeof t);
    int lc = h->col[O_LEADER_PHONE];
    char lphone[12];
    if (*t && !cell_phone(t, lc >= 0 && lc < r->ncells && r->cells[lc].numeric, lphone))
        row_error(rc, s, h, O_LEADER_PHONE, "invalid_phone", "手机号应为11位大陆手机号码（1开头，第二位3-9）");
    else if (*t)
        json_object_set_new(rc->data, "leader_phone", json_string(lphone));
}
