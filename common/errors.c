#include "errors.h"

static const err_info errs[ERR__MAX] = {
    [ERR_INVALID_JSON] = {400, "invalid_json", "Malformed JSON body"},
    [ERR_VALIDATION] = {422, "validation_failed", "Validation failed"},
    [ERR_UNAUTHORIZED] = {401, "unauthorized", "Authentication required"},
    [ERR_INVALID_CODE] = {401, "invalid_code", "Invalid or expired code"},
    [ERR_TOO_MANY_ATTEMPTS] = {401, "too_many_attempts", "Too many wrong attempts"},
    [ERR_INVALID_PASSWORD] = {401, "invalid_password", "Invalid password"},
    [ERR_FORBIDDEN] = {403, "forbidden", "Forbidden"},
    [ERR_VOLUNTEER_REQUIRED] = {403, "volunteer_required", "Volunteer registration required"},
    [ERR_APPROVAL_REQUIRED] = {403, "approval_required", "Forbidden"}, /* titled as forbidden (API.md v1.1) */
    [ERR_REAUTHENTICATION_REQUIRED] = {403, "reauthentication_required", "Reauthentication required"},
    [ERR_NOT_FOUND] = {404, "not_found", "Not found"},
    [ERR_METHOD_NOT_ALLOWED] = {405, "method_not_allowed", "Method not allowed"},
    [ERR_CONFLICT] = {409, "conflict", "Conflict"},
    [ERR_ALREADY_EXISTS] = {409, "already_exists", "Already exists"},
    [ERR_ALREADY_SIGNED_UP] = {409, "already_signed_up", "Already signed up"},
    [ERR_ACTIVITY_FULL] = {409, "activity_full", "Activity is full"},
    [ERR_SIGNUP_CLOSED] = {409, "signup_closed", "Sign-up is closed"},
    [ERR_ORG_NOT_APPROVED] = {409, "org_not_approved", "Organization not approved"},
    [ERR_PRECONDITION_FAILED] = {412, "precondition_failed", "Precondition failed"},
    [ERR_PAYLOAD_TOO_LARGE] = {413, "payload_too_large", "Payload too large"},
    [ERR_UNSUPPORTED_MEDIA_TYPE] = {415, "unsupported_media_type", "Unsupported media type"},
    [ERR_RATE_LIMITED] = {429, "rate_limited", "Too many requests"},
    [ERR_INTERNAL] = {500, "internal", "Internal server error"},
    [ERR_UNAVAILABLE] = {503, "unavailable", "Service unavailable"},
    [ERR_INVALID_FILE] = {422, "invalid_file", "The file cannot be read"},
    [ERR_TOO_MANY_ROWS] = {422, "too_many_rows", "Too many rows"},
    [ERR_ALREADY_COMMITTED] = {409, "already_committed", "Already committed"},
    [ERR_NOT_VALIDATED] = {409, "not_validated", "Not validated yet"},
    [ERR_CLAIM_REQUIRED] = {409, "claim_required", "Claim your imported record first"},
    [ERR_ID_NUMBER_MISMATCH] = {422, "id_number_mismatch", "ID number does not match"},
};

const err_info *err_lookup(err_code e)
{
    if ((unsigned)e >= ERR__MAX)
        e = ERR_INTERNAL;
    return &errs[e];
}
