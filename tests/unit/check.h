/* The unit tests' harness: CHECK counts, a failure names its test, and
 * CHECK_DONE() prints the closing "N passed, N failed" line and gives the
 * exit status. NELEM counts an array's rows. */
#ifndef STVS_TEST_CHECK_H
#define STVS_TEST_CHECK_H
#include <stdio.h>

static int passed, failed;

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define CHECK(name, cond)                                                                                      \
    do {                                                                                                       \
        if (cond) {                                                                                            \
            passed++;                                                                                          \
        } else {                                                                                               \
            failed++;                                                                                          \
            fprintf(stderr, "FAIL %s (%s:%d)\n", name, __FILE__, __LINE__);                                    \
        }                                                                                                      \
    } while (0)

#define CHECK_DONE() (printf("%d passed, %d failed\n", passed, failed), failed != 0)

#endif
