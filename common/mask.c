#include "mask.h"

#include <stdio.h>
#include <string.h>

void mask_phone(const char *phone, char *out, size_t outlen)
{
    size_t n = strlen(phone);
    if (n != 11) { /* not a mainland number: reveal nothing */
        snprintf(out, outlen, "****");
        return;
    }
    snprintf(out, outlen, "%.3s****%.4s", phone, phone + 7);
}

void mask_id_number(const char *id, char *out, size_t outlen)
{
    size_t n = strlen(id);
    if (n != 18) {
        snprintf(out, outlen, "****");
        return;
    }
    snprintf(out, outlen, "%.4s**********%.4s", id, id + 14);
}
