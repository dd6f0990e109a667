/* Org levels and their ranks. Pure, unit-tested. */
#include <string.h>

#include "org.h"

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
