/* The one error enum. Each value maps to an HTTP status and a stable
 * problem+json `code` (API.md, Conventions) in errors.c. */
#ifndef STVS_ERRORS_H
#define STVS_ERRORS_H

typedef enum {
    ERR_INVALID_JSON,
    ERR_VALIDATION,
    ERR_UNAUTHORIZED,
    ERR_INVALID_CODE,
    ERR_TOO_MANY_ATTEMPTS,
    ERR_INVALID_PASSWORD,
    ERR_FORBIDDEN,
    ERR_VOLUNTEER_REQUIRED,
    ERR_APPROVAL_REQUIRED,
    ERR_REAUTHENTICATION_REQUIRED,
    ERR_NOT_FOUND,
    ERR_METHOD_NOT_ALLOWED,
    ERR_CONFLICT,
    ERR_ALREADY_EXISTS,
    ERR_ALREADY_SIGNED_UP,
    ERR_ACTIVITY_FULL,
    ERR_SIGNUP_CLOSED,
    ERR_ORG_NOT_APPROVED,
    ERR_PRECONDITION_FAILED,
    ERR_PAYLOAD_TOO_LARGE,
    ERR_UNSUPPORTED_MEDIA_TYPE,
    ERR_RATE_LIMITED,
    ERR_INTERNAL,
    ERR_UNAVAILABLE,
    /* v1.1: imports and claims */
    ERR_INVALID_FILE,
    ERR_TOO_MANY_ROWS,
    ERR_ALREADY_COMMITTED,
    ERR_NOT_VALIDATED,
    ERR_CLAIM_REQUIRED,
    ERR_ID_NUMBER_MISMATCH,
    ERR__MAX
} err_code;

typedef struct {
    int status;
    const char *code;
    const char *title;
} err_info;

const err_info *err_lookup(err_code e);

#endif
