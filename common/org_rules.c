/* An organization's rules (org_rules.h). */
#include "org_rules.h"

#include <string.h>

int level_rank(const char *level)
{
    static const struct {
        const char *level;
        int rank;
    } ranks[] = {{"corps", 0}, {"detachment", 1}, {"brigade", 1}, {"team", 2}, {"squad", 3}};
    for (size_t i = 0; level && i < sizeof ranks / sizeof *ranks; i++)
        if (!strcmp(level, ranks[i].level))
            return ranks[i].rank;
    return -1;
}

bool org_level_under(const char *level, const char *parent_level)
{
    int rank = level_rank(level), parent = level_rank(parent_level);
    return rank >= 0 && parent >= 0 && parent < rank;
}
