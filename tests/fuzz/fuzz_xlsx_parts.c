/* libFuzzer target: the XML of an .xlsx, past the zip. A mutated zip
 * mostly fails its CRC check before any XML is read, so this target wraps
 * the input in a valid zip instead: the first byte picks the part the rest
 * replaces (0 the worksheet, 1 the shared strings, 2 the workbook, 3 its
 * relationships); the other parts are those of a small valid workbook. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zip.h>

#include "../../services/import/import.h"

static const char *const names[4] = {"xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/workbook.xml",
                                     "xl/_rels/workbook.xml.rels"};
static const char *const parts[4] = {
    "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>"
    "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c><c r=\"C1\" t=\"s\"><v>2</v></c>"
    "<c r=\"E1\" t=\"s\"><v>3</v></c></row><row r=\"2\"><c r=\"A2\"><v>1</v></c></row></sheetData></worksheet>",
    "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><si><t>序号</t></si>"
    "<si><t>真实姓名</t></si><si><t>手机号</t></si><si><r><t>身份</t></r><r><t>证号</t></r></si></sst>",
    "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" xmlns:r=\"http://schemas."
    "openxmlformats.org/officeDocument/2006/relationships\"><workbookPr date1904=\"1\"/><sheets>"
    "<sheet name=\"a\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>",
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\""
    " Target=\"worksheets/sheet1.xml\"/><Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/"
    "officeDocument/2006/relationships/sharedStrings\" Target=\"sharedStrings.xml\"/></Relationships>",
};
static const char root_rels[] =
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
    "officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>";

static int add(zip_t *z, const char *name, const void *data, size_t n)
{
    zip_source_t *s = zip_source_buffer(z, data, n, 0);
    if (!s)
        return -1;
    if (zip_file_add(z, name, s, ZIP_FL_OVERWRITE) < 0) {
        zip_source_free(s);
        return -1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int which = data[0] % 4;
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *buf = zip_source_buffer_create(NULL, 0, 0, &ze);
    if (!buf)
        return 0;
    zip_source_keep(buf);
    zip_t *z = zip_open_from_source(buf, ZIP_TRUNCATE, &ze);
    if (!z) {
        zip_source_free(buf);
        return 0;
    }
    int bad = add(z, "_rels/.rels", root_rels, sizeof root_rels - 1);
    for (int i = 0; i < 4 && !bad; i++)
        bad = i == which ? add(z, names[i], data + 1, size - 1) : add(z, names[i], parts[i], strlen(parts[i]));
    if (bad || zip_close(z) < 0) {
        if (bad)
            zip_discard(z);
        zip_source_free(buf);
        return 0;
    }
    zip_stat_t st;
    void *bytes = NULL;
    if (zip_source_stat(buf, &st) == 0 && zip_source_open(buf) == 0) {
        bytes = malloc(st.size ? st.size : 1);
        if (bytes && zip_source_read(buf, bytes, st.size) == (zip_int64_t)st.size) {
            sheet_t s;
            header_map h;
            char err[256];
            if (sheet_read_xlsx(bytes, st.size, &s, err, sizeof err) == SHEET_OK &&
                roster_find_header(&s, KIND_VOLUNTEERS, &h))
                for (int i = h.header_index + 1; i < s.nrows; i++)
                    (void)roster_skip_row(&s, &h, &s.rows[i]);
            sheet_free(&s);
        }
        zip_source_close(buf);
    }
    free(bytes);
    zip_source_free(buf);
    return 0;
}
