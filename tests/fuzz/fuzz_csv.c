/* libFuzzer target: sheet_read_csv (encoding detection, GB18030 through
 * iconv, libcsv), then the header search and the cell rules on every cell. */
#include <stddef.h>
#include <stdint.h>

#include "../../services/import/import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sheet_t s;
    header_map h;
    char err[256];
    if (sheet_read_csv(data, size, &s, err, sizeof err) == SHEET_OK) {
        if (roster_find_header(&s, KIND_VOLUNTEERS, &h))
            for (int i = h.header_index + 1; i < s.nrows; i++)
                (void)roster_skip_row(&s, &h, &s.rows[i]);
        for (int i = 0; i < s.nrows && i < 50; i++)
            for (int c = 0; c < s.rows[i].ncells; c++) {
                const char *t = sheet_cell_text(&s.rows[i], c), *codes[16];
                char bad[64], phone[12];
                ymd d;
                (void)cell_multi(&CODES_SERVICE_CATEGORY, t, codes, 16, bad, sizeof bad);
                (void)cell_date(t, false, false, &d);
                (void)cell_phone(t, false, phone);
                (void)cell_code(&CODES_ETHNICITY, t);
            }
    }
    sheet_free(&s);
    return 0;
}
