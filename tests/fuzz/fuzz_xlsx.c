/* libFuzzer target: sheet_read_xlsx, then what the import does with a sheet
 * (the header search, the rows it skips). make fuzz runs it. */
#include <stddef.h>
#include <stdint.h>

#include "../../services/import/import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sheet_t s;
    header_map h;
    char err[256];
    if (sheet_read_xlsx(data, size, &s, err, sizeof err) == SHEET_OK && roster_find_header(&s, KIND_VOLUNTEERS, &h))
        for (int i = h.header_index + 1; i < s.nrows; i++)
            (void)roster_skip_row(&s, &h, &s.rows[i]);
    sheet_free(&s);
    return 0;
}
