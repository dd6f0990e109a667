/* An organization's rules, one implementation for POST /orgs and PATCH
 * /orgs/{id} (services/org/orgs.c, through its field table) and for 附件1's
 * rows (services/import/roster.c, on cells as people type them): the limits
 * of its text fields, the order of its levels, and which level may sit
 * under which parent. A text field breaks the rules body.c's field tables
 * apply (text_rule_broken), with the same codes. Pure, unit-tested
 * (tests/unit/test_level.c). */
#ifndef STVS_ORG_RULES_H
#define STVS_ORG_RULES_H
#include <stdbool.h>

/* Characters (UTF-8 code points) of each text field; 0: no lower bound. */
#define ORG_NAME_MIN 2
#define ORG_NAME_MAX 100
#define ORG_SUPERVISOR_NAME_MIN 1
#define ORG_SUPERVISOR_NAME_MAX 100
#define ORG_LEADER_NAME_MIN 1
#define ORG_LEADER_NAME_MAX 50
#define ORG_LEADER_TITLE_MAX 50
#define ORG_LEADER_EMPLOYER_MAX 100
#define ORG_DESCRIPTION_MAX 2000
/* service_categories: 1 to 8 codes */
#define ORG_CATEGORIES_MIN 1
#define ORG_CATEGORIES_MAX 8

/* The rank that says which level may sit below which: 总队 corps 0 → 支队
 * detachment / 大队 brigade 1 → 队 team 2 → 分队 squad 3; -1 for anything
 * else (NULL too). */
int level_rank(const char *level);
/* May an org of level sit under a parent of parent_level (a strictly lower
 * rank)? False when either is no level. Breaking it is 422 wrong_level, both
 * in POST /orgs and in POST /imports?kind=orgs. */
bool org_level_under(const char *level, const char *parent_level);
#define ORG_WRONG_LEVEL "wrong_level"

#endif
