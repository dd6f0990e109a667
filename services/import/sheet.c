/* The rows and cells both readers fill. */
#include "sheet.h"

#include <stdlib.h>
#include <string.h>

int sheet_add_row(sheet_t *s, int row_no)
{
    if (s->nrows == s->cap) {
        int ncap = s->cap ? s->cap * 2 : 64;
        sheet_row *nr = realloc(s->rows, (size_t)ncap * sizeof *nr);
        if (!nr)
            return -1;
        s->rows = nr;
        s->cap = ncap;
    }
    s->rows[s->nrows++] = (sheet_row){.row_no = row_no};
    return 0;
}

int sheet_set_cell(sheet_t *s, int col, const char *text, size_t len, bool numeric)
{
    if (!s->nrows || col < 0 || col >= SHEET_MAX_COLS)
        return 0; /* columns past the cap are ignored */
    sheet_row *r = &s->rows[s->nrows - 1];
    if (col >= r->ncells) {
        sheet_cell *nc = realloc(r->cells, (size_t)(col + 1) * sizeof *nc);
        if (!nc)
            return -1;
        memset(nc + r->ncells, 0, (size_t)(col + 1 - r->ncells) * sizeof *nc);
        r->cells = nc;
        r->ncells = col + 1;
    }
    if (len >= SHEET_MAX_CELL)
        len = SHEET_MAX_CELL - 1;
    char *t = malloc(len + 1);
    if (!t)
        return -1;
    memcpy(t, text, len);
    t[len] = '\0';
    free(r->cells[col].text);
    r->cells[col] = (sheet_cell){t, numeric};
    return 0;
}

const char *sheet_cell_text(const sheet_row *r, int col)
{
    return col >= 0 && col < r->ncells && r->cells[col].text ? r->cells[col].text : "";
}

void sheet_free(sheet_t *s)
{
    for (int i = 0; i < s->nrows; i++) {
        for (int c = 0; c < s->rows[i].ncells; c++)
            free(s->rows[i].cells[c].text);
        free(s->rows[i].cells);
    }
    free(s->rows);
    memset(s, 0, sizeof *s);
}
