/* Masking of personal data for responses: the one place the rules live. */
#ifndef STVS_MASK_H
#define STVS_MASK_H
#include <stddef.h>

/* 13812345678 → 138****5678 (API.md). out: at least 12 bytes. */
void mask_phone(const char *phone, char *out, size_t outlen);
/* First 4 and last 4 characters kept: 4107**********123X. out: 19 bytes. */
void mask_id_number(const char *id, char *out, size_t outlen);

#endif
