/* One JSON object per line on stderr. Never pass a phone, code, token or ID
 * number to these functions: callers log identifiers and outcomes only. */
#ifndef STVS_LOG_H
#define STVS_LOG_H

void log_init(const char *service_name);
void log_msg(const char *level, const char *req_id, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void log_access(const char *req_id, const char *method, const char *path, int status, double dur_ms);

#define log_info(...)  log_msg("info", NULL, __VA_ARGS__)
#define log_warn(...)  log_msg("warn", NULL, __VA_ARGS__)
#define log_error(...) log_msg("error", NULL, __VA_ARGS__)

#endif
