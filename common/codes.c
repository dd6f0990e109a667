#include "codes.h"

#define TABLE(var, name, ...)                                                                                  \
    static const code_entry var##_entries[] = {__VA_ARGS__};                                                  \
    const code_table var = {name, var##_entries, sizeof var##_entries / sizeof *var##_entries}

TABLE(CODES_SERVICE_CATEGORY, "service_category", {"training", "科技培训"}, {"consulting", "科技咨询"},
      {"lecture", "科普报告"}, {"agri_tech", "农技服务"}, {"youth_education", "青少年科技教育"},
      {"exhibit_guide", "科普讲解"}, {"online", "网络科普"}, {"other", "其他"});

TABLE(CODES_SERVICE_FIELD, "service_field", {"consulting", "科技咨询类"}, {"training", "科技培训类"},
      {"science_education", "科学教育类"}, {"lecture", "科普报告类"}, {"agri_tech", "农技服务类"},
      {"health", "健康咨询类"}, {"online", "网络服务类"}, {"culture_sports", "文体娱乐类"},
      {"other", "其他科技服务"});

TABLE(CODES_POLITICAL_STATUS, "political_status", {"cpc_member", "中共党员"}, {"cpc_probationary", "中共预备党员"},
      {"cyl_member", "共青团员"}, {"democratic_party", "民主党派成员"}, {"non_party", "无党派人士"},
      {"masses", "群众"});

/* GB/T 3304-1991 民族名称的罗马字母拼写法和代码: the 56 groups, 97 and 98. */
TABLE(CODES_ETHNICITY, "ethnicity", {"01", "汉族"}, {"02", "蒙古族"}, {"03", "回族"}, {"04", "藏族"},
      {"05", "维吾尔族"}, {"06", "苗族"}, {"07", "彝族"}, {"08", "壮族"}, {"09", "布依族"}, {"10", "朝鲜族"},
      {"11", "满族"}, {"12", "侗族"}, {"13", "瑶族"}, {"14", "白族"}, {"15", "土家族"}, {"16", "哈尼族"},
      {"17", "哈萨克族"}, {"18", "傣族"}, {"19", "黎族"}, {"20", "傈僳族"}, {"21", "佤族"}, {"22", "畲族"},
      {"23", "高山族"}, {"24", "拉祜族"}, {"25", "水族"}, {"26", "东乡族"}, {"27", "纳西族"}, {"28", "景颇族"},
      {"29", "柯尔克孜族"}, {"30", "土族"}, {"31", "达斡尔族"}, {"32", "仫佬族"}, {"33", "羌族"},
      {"34", "布朗族"}, {"35", "撒拉族"}, {"36", "毛南族"}, {"37", "仡佬族"}, {"38", "锡伯族"},
      {"39", "阿昌族"}, {"40", "普米族"}, {"41", "塔吉克族"}, {"42", "怒族"}, {"43", "乌孜别克族"},
      {"44", "俄罗斯族"}, {"45", "鄂温克族"}, {"46", "德昂族"}, {"47", "保安族"}, {"48", "裕固族"},
      {"49", "京族"}, {"50", "塔塔尔族"}, {"51", "独龙族"}, {"52", "鄂伦春族"}, {"53", "赫哲族"},
      {"54", "门巴族"}, {"55", "珞巴族"}, {"56", "基诺族"}, {"97", "其他"}, {"98", "外国血统中国籍人士"});

TABLE(CODES_EDUCATION, "education", {"doctorate", "博士研究生"}, {"master", "硕士研究生"}, {"bachelor", "本科"},
      {"college", "大专"}, {"high_school", "高中/中专"});

TABLE(CODES_TITLE, "title", {"senior", "正高"}, {"associate_senior", "副高"}, {"intermediate", "中级"},
      {"junior", "初级"}, {"none", "无"});

TABLE(CODES_OCCUPATION, "occupation", {"enterprise", "企业"}, {"public_institution", "事业单位"},
      {"government", "机关"}, {"university", "高校"}, {"research_institute", "科研院所"}, {"school", "中小学"},
      {"medical", "医疗卫生"}, {"agriculture", "农业"}, {"student", "学生"}, {"retired", "离退休"},
      {"other", "其他"});

TABLE(CODES_GRASSROOTS_ROLE, "grassroots_role", {"none", "否"}, {"hospital_head", "基层医院院长"},
      {"school_head", "学校校长"}, {"agri_station_head", "农技站站长"}, {"tech_entrepreneur", "科技型企业家"});

TABLE(CODES_SUPERVISOR_TYPE, "supervisor_type", {"local_cast", "地方科协"}, {"society", "学会/协会/研究会"},
      {"university_cast", "高校科协"}, {"enterprise_cast", "企业科协"}, {"park_cast", "园区科协"},
      {"rural_tech_assoc", "农技协"}, {"science_base", "科普教育基地"}, {"other", "其他"});

TABLE(CODES_ORG_LEVEL, "org_level", {"corps", "总队"}, {"detachment", "支队"}, {"brigade", "大队"},
      {"team", "队"}, {"squad", "分队"});

TABLE(CODES_ACTIVITY_THEME, "activity_theme", {"science_day", "全国科普日"}, {"sci_tech_week", "科技活动周"},
      {"workers_day", "全国科技工作者日"}, {"volunteer_day", "国际志愿者日"}, {"three_to_countryside", "三下乡"},
      {"rural_revitalization", "乡村振兴"}, {"health", "卫生健康"}, {"women_youth", "农村妇女和青少年"},
      {"enterprise_innovation", "助力企业创新"}, {"emergency", "防灾减灾与应急"}, {"other", "其他"});

/* An activity's status as GET /activities?status= takes it (derived from the
 * clock, activity_view.h). */
TABLE(CODES_ACTIVITY_STATUS, "activity_status", {"cancelled", "已取消"}, {"ended", "已结束"},
      {"ongoing", "进行中"}, {"recruiting", "招募中"}, {"signup_closed", "报名截止"}, {"upcoming", "未开始"});

/* GET /activities?sort=: latest first (the default) or earliest first. */
TABLE(CODES_ACTIVITY_SORT, "activity_sort", {"starts_at", "开始时间升序"}, {"-starts_at", "开始时间降序"});

/* GET /volunteers/me/activities?filter= */
TABLE(CODES_SIGNUP_FILTER, "signup_filter", {"all", "全部"}, {"upcoming", "未结束"}, {"ended", "已结束"});

/* GET /orgs/{id}/members?status= */
TABLE(CODES_MEMBERSHIP_STATUS, "membership_status", {"pending", "待审核"}, {"active", "已加入"});

/* GET /orgs?status= (approved: the public list; the others: the caller's
 * approval queue). */
TABLE(CODES_ORG_STATUS, "org_status", {"approved", "已通过"}, {"pending", "待审核"}, {"rejected", "已驳回"});

static const code_table *const all_tables[] = {
    &CODES_SERVICE_CATEGORY, &CODES_SERVICE_FIELD, &CODES_POLITICAL_STATUS, &CODES_ETHNICITY,
    &CODES_EDUCATION,        &CODES_TITLE,         &CODES_OCCUPATION,       &CODES_GRASSROOTS_ROLE,
    &CODES_SUPERVISOR_TYPE,  &CODES_ORG_LEVEL,     &CODES_ACTIVITY_THEME,
};

json_t *codes_json(void)
{
    json_t *all = json_object();
    for (size_t t = 0; all && t < sizeof all_tables / sizeof *all_tables; t++) {
        json_t *list = json_array();
        for (size_t i = 0; list && i < all_tables[t]->n; i++)
            json_array_append_new(list, json_pack("{s:s, s:s}", "code", all_tables[t]->entries[i].code, "label",
                                                  all_tables[t]->entries[i].label));
        json_object_set_new(all, all_tables[t]->name, list);
    }
    return all;
}
