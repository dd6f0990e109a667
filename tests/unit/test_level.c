/* Org levels (common/org_rules.c, shared by POST /orgs and 附件1's import):
 * the rank that says which level may sit below which: 总队 corps → 支队
 * detachment / 大队 brigade (one rank) → 队 team → 分队 squad. */
#include "check.h"
#include <stdbool.h>

#include "org_rules.h"

static void test_level_rank(void)
{
    static const struct {
        const char *name, *level;
        int rank;
    } rows[] = {
        {"corps (总队) is the top rank", "corps", 0},
        {"detachment (支队) is rank 1", "detachment", 1},
        {"brigade (大队) is rank 1, beside detachment", "brigade", 1},
        {"team (队) is rank 2", "team", 2},
        {"squad (分队) is rank 3", "squad", 3},
        {"an unknown level has no rank", "platoon", -1},
        {"case matters", "Corps", -1},
        {"a prefix is not a level", "corp", -1},
        {"a longer word is not a level", "corpses", -1},
        {"the empty string has no rank", "", -1},
        {"NULL has no rank", NULL, -1},
    };
    for (size_t i = 0; i < NELEM(rows); i++)
        CHECK(rows[i].name, level_rank(rows[i].level) == rows[i].rank);
}

/* The rule POST /orgs, PATCH /orgs/{id} and the import of 附件1 apply
 * (org_level_under): a child ranks strictly below its parent. */
static void test_child_below_parent(void)
{
    static const struct {
        const char *name, *parent, *child;
        bool allowed;
    } rows[] = {
        {"a detachment under a corps", "corps", "detachment", true},
        {"a brigade under a corps", "corps", "brigade", true},
        {"a team under a brigade", "brigade", "team", true},
        {"a squad under a corps (levels may be skipped)", "corps", "squad", true},
        {"a brigade under a detachment is the same rank", "detachment", "brigade", false},
        {"a corps under a corps is the same rank", "corps", "corps", false},
        {"a corps under a team is above it", "team", "corps", false},
        {"nothing goes under a squad", "squad", "squad", false},
        {"an unknown level goes under nothing", "corps", "platoon", false},
        {"nothing goes under an unknown level", "platoon", "squad", false},
        {"nothing goes under no parent level", NULL, "squad", false},
    };
    for (size_t i = 0; i < NELEM(rows); i++)
        CHECK(rows[i].name, org_level_under(rows[i].child, rows[i].parent) == rows[i].allowed);
}

int main(void)
{
    test_level_rank();
    test_child_below_parent();
    return CHECK_DONE();
}
