/* The cell rules of 集体注册 (services/import/cells.c) and the readers of
 * the uploads (sheet_read_csv / sheet_read_xlsx on small inputs), as tables. */
#include "check.h"
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../../services/import/cells.h"
#include "../../services/import/sheet.h"
#include "codes.h"


static void test_normalize(void)
{
    static const struct {
        const char *name, *in, *want;
    } cases[] = {
        {"line breaks inside a label go", "所在\n区域省", "所在区域省"},
        {"（选填） goes, full-width brackets", "组织负责人姓名\n（选填）", "组织负责人姓名"},
        {"(选填) goes, half-width brackets", "组织负责人电话(选填)", "组织负责人电话"},
        {"ideographic and no-break spaces go", "真实\xe3\x80\x80姓\xc2\xa0名", "真实姓名"},
        {"curly quotes go", "是否为基层“三长”", "是否为基层三长"},
        {"full-width ASCII becomes half-width, lower case", "ＡＢＣ１２", "abc12"},
        {"zero-width space goes", "手机\xe2\x80\x8b号", "手机号"},
    };
    char out[256];
    for (size_t i = 0; i < NELEM(cases); i++) {
        cell_normalize(cases[i].in, out, sizeof out);
        CHECK(cases[i].name, !strcmp(out, cases[i].want));
    }
}

static void test_codes(void)
{
    static const struct {
        const char *name;
        const code_table *t;
        const char *cell, *want; /* NULL: not in the list */
    } cases[] = {
        {"a label", &CODES_POLITICAL_STATUS, "群众", "masses"},
        {"a code", &CODES_POLITICAL_STATUS, "masses", "masses"},
        {"a code in capitals", &CODES_TITLE, "SENIOR", "senior"},
        {"a label with blanks around and inside", &CODES_EDUCATION, " 本　科 ", "bachelor"},
        {"an ethnicity by name", &CODES_ETHNICITY, "汉族", "01"},
        {"an ethnicity by code", &CODES_ETHNICITY, "56", "56"},
        {"a label with a slash", &CODES_EDUCATION, "高中/中专", "high_school"},
        {"否 is grassroots none", &CODES_GRASSROOTS_ROLE, "否", "none"},
        {"not in the list", &CODES_POLITICAL_STATUS, "党员积极分子", NULL},
        {"empty is not a choice", &CODES_TITLE, "", NULL},
    };
    for (size_t i = 0; i < NELEM(cases); i++) {
        const char *got = cell_code(cases[i].t, cases[i].cell);
        CHECK(cases[i].name, cases[i].want ? got && !strcmp(got, cases[i].want) : got == NULL);
    }
    char msg[1024];
    cell_allowed(&CODES_TITLE, msg, sizeof msg);
    CHECK("not_in_list names the labels", !strcmp(msg, "可选：正高、副高、中级、初级、无"));
}

static void test_multi(void)
{
    static const struct {
        const char *name, *cell;
        int n;           /* -1: an item not in the list */
        const char *want; /* the codes, comma-joined */
    } cases[] = {
        {"the template's boxes, two ticked (one label over two lines)",
         "☑科技培训\n□科技咨询\n□科普报告\n□农技服务\n☑青少年\n科技教育\n□科普讲解\n□网络科普\n□其他", 2,
         "training,youth_education"},
        {"every box empty: nothing chosen", "□科技培训\n□科技咨询\n□科普报告", 0, ""},
        {"✓ ✔ √ ■ all mark a choice", "✓科技培训 ✔科技咨询 √科普报告 ■农技服务 □其他", 4,
         "training,consulting,lecture,agri_tech"},
        {"顿号", "科技培训、科普报告", 2, "training,lecture"},
        {"full-width comma and semicolon", "科技培训，科普报告；网络科普", 3, "training,lecture,online"},
        {"half-width comma, semicolon, slash", "科技培训,科普报告;网络科普/其他", 4, "training,lecture,online,other"},
        {"line breaks", "科技培训\n科普报告", 2, "training,lecture"},
        {"codes", "training、lecture", 2, "training,lecture"},
        {"a repeated item counts once, in table order", "科普报告、科技培训、科普报告", 2, "training,lecture"},
        {"an unknown item", "科技培训、天文观测", -1, ""},
        {"an unknown boxed item", "☑天文观测", -1, ""},
        {"empty", "", 0, ""},
    };
    for (size_t i = 0; i < NELEM(cases); i++) {
        const char *codes[16];
        char bad[64], joined[256] = "";
        int n = cell_multi(&CODES_SERVICE_CATEGORY, cases[i].cell, codes, 16, bad, sizeof bad);
        for (int k = 0; k < n; k++)
            snprintf(joined + strlen(joined), sizeof joined - strlen(joined), "%s%s", k ? "," : "", codes[k]);
        CHECK(cases[i].name, n == cases[i].n && (n < 0 || !strcmp(joined, cases[i].want)));
    }
}

static void test_dates(void)
{
    static const struct {
        const char *name, *cell;
        bool numeric, date1904, ok;
        int y, m, d;
    } cases[] = {
        {"2019/8/8", "2019/8/8", false, false, true, 2019, 8, 8},
        {"2019-08-08", "2019-08-08", false, false, true, 2019, 8, 8},
        {"2019.8.8", "2019.8.8", false, false, true, 2019, 8, 8},
        {"2019年8月8日", "2019年8月8日", false, false, true, 2019, 8, 8},
        {"2019年8月8 (no 日)", "2019年8月8", false, false, true, 2019, 8, 8},
        {"mixed separators refused", "2019/8-8", false, false, false, 0, 0, 0},
        {"30 February refused", "2019/2/30", false, false, false, 0, 0, 0},
        {"text that is not a date", "去年", false, false, false, 0, 0, 0},
        {"a serial in a text cell is refused", "43685", false, false, false, 0, 0, 0},
        {"1900 system: 43685 is 2019-08-08", "43685", true, false, true, 2019, 8, 8},
        {"1900 system: 1 is 1900-01-01", "1", true, false, true, 1900, 1, 1},
        {"1900 system: 59 is 1900-02-28", "59", true, false, true, 1900, 2, 28},
        {"1900 system: 60 is Lotus's 29 February 1900, refused", "60", true, false, false, 0, 0, 0},
        {"1900 system: 61 is 1900-03-01", "61", true, false, true, 1900, 3, 1},
        {"1904 system: 42223 is 2019-08-08", "42223", true, true, true, 2019, 8, 8},
        {"1904 system: 0 is not a date here", "0", true, true, false, 0, 0, 0},
        {"a fraction of a day is the same day", "43685.75", true, false, true, 2019, 8, 8},
    };
    for (size_t i = 0; i < NELEM(cases); i++) {
        ymd got = {0, 0, 0};
        bool ok = cell_date(cases[i].cell, cases[i].numeric, cases[i].date1904, &got);
        CHECK(cases[i].name, ok == cases[i].ok && (!ok || (got.year == cases[i].y && got.month == cases[i].m &&
                                                          got.day == cases[i].d)));
    }
}

static void test_phones(void)
{
    static const struct {
        const char *name, *cell;
        bool numeric;
        const char *want; /* NULL: refused */
    } cases[] = {
        {"text", "13710986743", false, "13710986743"},
        {"text with blanks around", " 13710986743 ", false, "13710986743"},
        {"a number cell holds 11 digits exactly", "13710986743", true, "13710986743"},
        {"a number cell in E notation", "1.3710986743E10", true, "13710986743"},
        {"ten digits", "1371098674", false, NULL},
        {"second digit 2", "12710986743", false, NULL},
        {"a fraction", "13710986743.5", true, NULL},
    };
    for (size_t i = 0; i < NELEM(cases); i++) {
        char out[12] = "";
        bool ok = cell_phone(cases[i].cell, cases[i].numeric, out);
        CHECK(cases[i].name, cases[i].want ? ok && !strcmp(out, cases[i].want) : !ok);
    }
}

static void test_regions(void)
{
    static region_row rows[] = {
        {"410000", "", "河南省", 'p', false},      {"410700", "410000", "新乡市", 'c', false},
        {"410702", "410700", "红旗区", 'k', false}, {"410721", "410700", "新乡县", 'k', false},
        {"110000", "", "北京市", 'p', false},      {"110100", "110000", "北京市", 'c', false},
        {"110108", "110100", "海淀区", 'k', false}, {"650000", "", "新疆维吾尔自治区", 'p', false},
        {"441900", "440000", "东莞市", 'c', true},  {"440000", "", "广东省", 'p', false},
        {"130000", "", "河北省", 'p', false},      {"130100", "130000", "石家庄市", 'c', false},
        {"130102", "130100", "长安区", 'k', false}, {"130199", "130100", "长安", 'k', false},
        {"130198", "130100", "新华区", 'k', false}, {"130197", "130100", "新华县", 'k', false},
    };
    region_tab t = {rows, (int)NELEM(rows)};
    static const struct {
        const char *name, *p, *c, *k;
        region_result want;
        const char *code;
        int which;
    } cases[] = {
        {"full names", "河南省", "新乡市", "红旗区", REGION_OK, "410702", 2},
        {"names without suffixes", "河南", "新乡", "红旗", REGION_OK, "410702", 2},
        {"新乡 as a county: 新乡县, not the city", "河南", "新乡", "新乡", REGION_OK, "410721", 2},
        {"a municipality: 北京市/北京市/海淀区", "北京市", "北京市", "海淀区", REGION_OK, "110108", 2},
        {"a municipality with the city blank", "北京", "", "海淀", REGION_OK, "110108", 2},
        {"an autonomous region by its short name", "新疆", "乌鲁木齐", "", REGION_NOT_FOUND, NULL, 1},
        {"a city without counties stands for one", "广东", "东莞", "", REGION_OK, "441900", 2},
        {"an exact name wins over a suffix match", "河北", "石家庄", "长安", REGION_OK, "130199", 2},
        {"two suffix matches: ambiguous", "河北", "石家庄", "新华", REGION_AMBIGUOUS, NULL, 2},
        {"an unknown county", "河南", "新乡", "朝阳", REGION_NOT_FOUND, NULL, 2},
        {"an unknown province", "火星", "新乡", "红旗", REGION_NOT_FOUND, NULL, 0},
        {"no province", "", "新乡", "红旗", REGION_REQUIRED, NULL, 0},
        {"no county under a city that has them", "河南", "新乡", "", REGION_REQUIRED, NULL, 2},
    };
    for (size_t i = 0; i < NELEM(cases); i++) {
        char code[7] = "";
        int which = -1;
        region_result got = region_by_names(&t, cases[i].p, cases[i].c, cases[i].k, false, code, &which);
        CHECK(cases[i].name, got == cases[i].want && which == cases[i].which &&
                                 (!cases[i].code || !strcmp(code, cases[i].code)));
    }
    /* an org's region may stop at the city or the province */
    static const struct {
        const char *name, *p, *c, *k, *code;
    } any[] = {
        {"an org: a city, no county", "河南", "新乡", "", "410700"},
        {"an org: a province alone", "河南省", "", "", "410000"},
        {"an org: a county still a county", "河南", "新乡", "红旗", "410702"},
    };
    for (size_t i = 0; i < NELEM(any); i++) {
        char code[7] = "";
        int which;
        CHECK(any[i].name, region_by_names(&t, any[i].p, any[i].c, any[i].k, true, code, &which) == REGION_OK &&
                               !strcmp(code, any[i].code));
    }
}

static void test_csv_reader(void)
{
    static const struct {
        const char *name;
        const char *data;
        size_t len;
        bool ok;
        const char *b1; /* cell (row 1, column 1) */
    } cases[] = {
        {"UTF-8", "序号,真实姓名\n1,张三\n", 0, true, "张三"},
        {"UTF-8 with a BOM", "\xef\xbb\xbf序号,真实姓名\r\n1,张三\r\n", 0, true, "张三"},
        {"GB18030 (张三 is d5 c5 c8 fd)", "a,b\n1,\xd5\xc5\xc8\xfd\n", 0, true, "张三"},
        {"a quoted field with a line break and a quote", "a,b\n1,\"x\ny\"\"z\"\n", 0, true, "x\ny\"z"},
        {"a BOM then bytes that are not UTF-8", "\xef\xbb\xbf\xd5\xc5", 0, false, NULL},
        {"bytes neither UTF-8 nor GB18030", "a,b\n\x81\x20\n", 0, false, NULL},
        {"a NUL byte", "a,b\n1,\0\n", 9, false, NULL},
    };
    for (size_t i = 0; i < NELEM(cases); i++) {
        sheet_t s;
        char err[128];
        size_t n = cases[i].len ? cases[i].len : strlen(cases[i].data);
        sheet_status st = sheet_read_csv(cases[i].data, n, &s, err, sizeof err);
        bool ok = st == SHEET_OK;
        CHECK(cases[i].name, ok == cases[i].ok && (!ok || (s.nrows >= 2 && !strcmp(sheet_cell_text(&s.rows[1], 1),
                                                                                    cases[i].b1))));
        sheet_free(&s);
    }
}

static void test_csv_row_numbers(void)
{
    static const struct {
        const char *name, *data;
        int rows[4]; /* the row numbers of the rows kept */
    } cases[] = {
        {"LF, a blank line counts", "a\nb\n\nc\n", {1, 2, 4, 0}},
        {"CRLF, a blank line counts, LF of CRLF does not", "a\r\nb\r\n\r\nc\r\n", {1, 2, 4, 0}},
        {"CR only (old Mac)", "a\rb\r\rc\r", {1, 2, 4, 0}},
        {"a quoted line break is one row", "a\n\"x\ny\"\nc\n", {1, 2, 3, 0}},
        {"no newline at the end", "a\nb", {1, 2, 0, 0}},
    };
    for (size_t i = 0; i < NELEM(cases); i++) {
        sheet_t s;
        char err[128];
        bool ok = sheet_read_csv(cases[i].data, strlen(cases[i].data), &s, err, sizeof err) == SHEET_OK;
        int k = 0;
        for (; ok && k < 4 && cases[i].rows[k]; k++)
            ok = k < s.nrows && s.rows[k].row_no == cases[i].rows[k];
        ok = ok && k == s.nrows;
        CHECK(cases[i].name, ok);
        sheet_free(&s);
    }
}

static void test_xlsx_reader_refuses_non_zips(void)
{
    sheet_t s;
    char err[128];
    CHECK("an empty file is not a workbook", sheet_read_xlsx("", 0, &s, err, sizeof err) == SHEET_INVALID);
    sheet_free(&s);
    CHECK("text is not a workbook", sheet_read_xlsx("hello", 5, &s, err, sizeof err) == SHEET_INVALID && err[0]);
    sheet_free(&s);
}

int main(void)
{
    test_normalize();
    test_codes();
    test_multi();
    test_dates();
    test_phones();
    test_regions();
    test_csv_reader();
    test_csv_row_numbers();
    test_xlsx_reader_refuses_non_zips();
    return CHECK_DONE();
}
