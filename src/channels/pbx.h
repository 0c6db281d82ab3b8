/*
 * Requests to the phone system (PBX) with libcurl: click-to-call posts a
 * signed JSON body to its originate endpoint.
 */
#ifndef CHANNELS_PBX_H
#define CHANNELS_PBX_H

#include "util/err.h"

/* POSTs body (JSON) to url (http or https) with X-CTI-Timestamp: ts and
 * X-CTI-Signature: sig, within timeout_ms. *status gets the HTTP status.
 * 0 on a 2xx answer; ERR_UNAVAILABLE (message with the status or the
 * connection error) otherwise. */
int pbx_post(const char *url, const char *body, const char *ts, const char *sig, int timeout_ms,
             long *status, struct err *e);

#endif
