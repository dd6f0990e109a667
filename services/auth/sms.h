/* SMS senders behind one interface, chosen by SMS_BACKEND: "file" (the
 * development outbox of API.md) or "aliyun" (dysmsapi over libcurl). */
#ifndef STVS_SMS_H
#define STVS_SMS_H
#include <stddef.h>

typedef enum { SMS_OK = 0, SMS_FAILED = 1, SMS_TIMEOUT = 2 } sms_status;

typedef struct sms_sender sms_sender;
struct sms_sender {
    /* Sends one code. Must return within the configured timeout. err gets a
     * short reason with no phone or code in it. Thread-safe. */
    sms_status (*send)(sms_sender *self, const char *phone, const char *code, const char *purpose, char *err,
                       size_t errlen);
    void (*destroy)(sms_sender *self);
};

/* Appends {"phone","code","purpose","sent_at"} lines to path. */
sms_sender *sms_file_new(const char *path, char *err, size_t errlen);

#endif
