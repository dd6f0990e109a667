/* The official templates as workbooks: GET /imports/templates/volunteers.xlsx
 * (附件2) and /imports/templates/orgs.xlsx (附件1). The title row, the
 * headers in the official order, the 范例 row and the 填报说明 row of the
 * notices; text format on ID and phone columns (so Excel never turns an ID
 * number into a number); a drop-down list (数据有效性) on every single-choice
 * column, fed from a hidden sheet of labels. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"
#include "xlsx_out.h"

#define DATA_FIRST 4       /* 0-based: title, header, 范例, 填报说明, then data */
#define DATA_LAST 50003

typedef struct {
    int col;
    const code_table *table; /* NULL: the yes/no list */
} choice_col;

static const char *const VOLUNTEER_EXAMPLE[V__MAX] = {
    "范例", "张三", "13710986743", "男", "220302197503280203", "群众", "汉族", "阿里巴巴", "副高", "本科", "企业",
    "省名", "市名", "县区名",
    "□科技培训\n□科技咨询\n□科普报告\n□农技服务\n□青少年\n科技教育\n□科普讲解\n□网络科普\n□其他",
    "□科技咨询类\n□科技培训类\n□科学教育类\n□科普报告类\n□农技服务类\n□健康咨询类\n□网络服务类\n□文体娱乐类\n□其他科技服务",
    "基层医院院长"};
static const char VOLUNTEER_NOTE[] =
    "填报说明：政治面貌、民族、职称、最高学历、从业类别、所在区域、是否为基层“三长”等选项可在下拉菜单中选择，"
    "服务类别、服务领域等选项可根据实际情况多选。";

static const char *const ORG_EXAMPLE[O__MAX] = {
    "范例", "**省**市**县科技志愿服务队（团）", "13710986743", "否", "地方科协", "**县科协", "2019/8/8",
    "□科技培训\n□科技咨询\n□科普报告\n□农技服务\n□青少年\n科技教育\n□科普讲解\n□网络科普\n□其他", "省名", "市名",
    "县区名", "", "", "", ""};
static const char ORG_NOTE[] =
    "填报说明：1.是否在民政部门注册、主管单位类型等选项可在下拉菜单中选择，服务类别可根据实际情况多选；"
    "2.管理员首次登陆平台时，须用此手机号码注册成为科技志愿者，方能履行管理员职责。";

static const code_entry yes_no_entries[] = {{"true", "是"}, {"false", "否"}};
static const code_table YES_NO = {"yes_no", yes_no_entries, 2};
static const code_entry gender_entries[] = {{"male", "男"}, {"female", "女"}};
static const code_table GENDER = {"gender", gender_entries, 2};

/* The labels of t in column list_col of the hidden sheet, and a list
 * validation over the data rows of col that points at them. */
static int add_list(xlsx_out *x, lxw_worksheet *ws, lxw_worksheet *lists, int list_col, int col,
                    const code_table *t)
{
    char ref[64], letter[4];
    for (size_t i = 0; i < t->n; i++)
        if (xlsx_out_string(x, lists, (int)i, list_col, t->entries[i].label, NULL))
            return -1;
    column_letter(list_col, letter);
    snprintf(ref, sizeof ref, "=lists!$%s$1:$%s$%zu", letter, letter, t->n);
    lxw_data_validation v = {.validate = LXW_VALIDATION_TYPE_LIST_FORMULA,
                             .value_formula = ref,
                             .error_type = LXW_VALIDATION_ERROR_TYPE_STOP,
                             .error_title = "请从列表中选择",
                             .error_message = "请从下拉列表中选择一项"};
    return worksheet_data_validation_range(ws, DATA_FIRST, (lxw_col_t)col, DATA_LAST, (lxw_col_t)col, &v) ==
                   LXW_NO_ERROR
               ? 0
               : -1;
}

/* One template: what its workbook shows. */
typedef struct {
    const char *title;
    const column_def *defs;
    int ncols;
    const char *const *example;
    const char *note;
    const choice_col *choices;
    int nchoices;
    const int *text_cols;
    int ntext;
    const char *file_name;
} template_def;

/* A template's workbook (malloc'd by libxlsxwriter's writer), or NULL. */
static unsigned char *build_template(const template_def *t, size_t *len)
{
    xlsx_out *x = xlsx_out_new();
    lxw_workbook *wb = x ? xlsx_out_workbook(x) : NULL;
    lxw_worksheet *ws = wb ? workbook_add_worksheet(wb, t->title) : NULL;
    lxw_worksheet *lists = wb ? workbook_add_worksheet(wb, "lists") : NULL;
    lxw_format *wrap = wb ? workbook_add_format(wb) : NULL;
    bool bad = !ws || !lists || !wrap;
    int ncols = t->ncols;
    if (!bad) {
        format_set_text_wrap(wrap);
        worksheet_hide(lists);
        bad |= worksheet_merge_range(ws, 0, 0, 0, (lxw_col_t)(ncols - 1), t->title, xlsx_out_header_format(x)) !=
               LXW_NO_ERROR;
        bad |= worksheet_set_column(ws, 0, (lxw_col_t)(ncols - 1), 14, NULL) != LXW_NO_ERROR;
        for (int i = 0; i < t->ntext; i++)
            bad |= worksheet_set_column(ws, (lxw_col_t)t->text_cols[i], (lxw_col_t)t->text_cols[i], 20,
                                        xlsx_out_text_format(x)) != LXW_NO_ERROR;
    }
    for (int c = 0; !bad && c < ncols; c++) {
        bad |= xlsx_out_string(x, ws, 1, c, t->defs[c].label, xlsx_out_header_format(x)) != 0;
        bool text = false;
        for (int i = 0; i < t->ntext; i++)
            text |= t->text_cols[i] == c;
        bad |= xlsx_out_string(x, ws, 2, c, t->example[c], text ? xlsx_out_text_format(x) : wrap) != 0;
    }
    if (!bad)
        bad |= worksheet_merge_range(ws, 3, 0, 3, (lxw_col_t)(ncols - 1), t->note, wrap) != LXW_NO_ERROR;
    for (int i = 0; !bad && i < t->nchoices; i++)
        bad |= add_list(x, ws, lists, i, t->choices[i].col, t->choices[i].table) != 0;
    if (bad) {
        xlsx_out_discard(x);
        return NULL;
    }
    return xlsx_out_finish(x, len);
}

/* A template never changes while the process runs: it is built on its first
 * request and kept. Besides the work saved, this bounds a leak of Debian 12's
 * libxlsxwriter 1.1.4, which loses the formula string of every list-formula
 * validation (fixed upstream after 1.1.4, "Fix memory leak in list formula
 * data validation"): built per request, every download would leak it
 * (tests/lsan.supp, tests/valgrind.supp). */
typedef struct {
    pthread_mutex_t mu;
    unsigned char *data; /* kept for the process's life */
    size_t len;
} template_cache;

static void reply_template(req_t *r, const template_def *t, template_cache *cache)
{
    pthread_mutex_lock(&cache->mu);
    if (!cache->data)
        cache->data = build_template(t, &cache->len);
    const unsigned char *data = cache->data;
    size_t len = cache->len;
    pthread_mutex_unlock(&cache->mu);
    if (!data) {
        reply_error(r, ERR_INTERNAL, NULL);
        return;
    }
    reply_bytes(r, 200, XLSX_TYPE, data, len);
    reply_header(r, "Content-Disposition", arena_printf(&r->arena, "attachment; filename=\"%s\"", t->file_name));
    reply_header(r, "Cache-Control", "public, max-age=3600");
}

/* GET /imports/templates/volunteers.xlsx: 200 附件2 as a workbook. */
void h_template_volunteers(req_t *r)
{
    static const choice_col choices[] = {
        {V_GENDER, &GENDER},           {V_POLITICAL, &CODES_POLITICAL_STATUS}, {V_ETHNICITY, &CODES_ETHNICITY},
        {V_TITLE, &CODES_TITLE},       {V_EDUCATION, &CODES_EDUCATION},        {V_OCCUPATION, &CODES_OCCUPATION},
        {V_GRASSROOTS, &CODES_GRASSROOTS_ROLE},
    };
    static const int text_cols[] = {V_PHONE, V_ID};
    static const template_def t = {"科技志愿者集体注册信息表", VOLUNTEER_COLUMNS_DEF, V__MAX, VOLUNTEER_EXAMPLE,
                                   VOLUNTEER_NOTE, choices, sizeof choices / sizeof *choices,
                                   text_cols, sizeof text_cols / sizeof *text_cols, "volunteers.xlsx"};
    static template_cache cache = {.mu = PTHREAD_MUTEX_INITIALIZER};
    reply_template(r, &t, &cache);
}

/* GET /imports/templates/orgs.xlsx: 200 附件1 as a workbook. */
void h_template_orgs(req_t *r)
{
    static const choice_col choices[] = {{O_CIVIL, &YES_NO}, {O_SUPERVISOR_TYPE, &CODES_SUPERVISOR_TYPE}};
    static const int text_cols[] = {O_ADMIN_PHONE, O_LEADER_PHONE};
    static const template_def t = {"科技志愿服务组织集体注册信息表", ORG_COLUMNS_DEF, O__MAX, ORG_EXAMPLE, ORG_NOTE,
                                   choices, sizeof choices / sizeof *choices,
                                   text_cols, sizeof text_cols / sizeof *text_cols, "orgs.xlsx"};
    static template_cache cache = {.mu = PTHREAD_MUTEX_INITIALIZER};
    reply_template(r, &t, &cache);
}
