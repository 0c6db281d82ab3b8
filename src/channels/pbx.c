/* Requests to the phone system (see pbx.h). */
#include "channels/pbx.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_start(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

int pbx_post(const char *url, const char *body, const char *ts, const char *sig, int timeout_ms,
             long *status, struct err *e)
{
    *status = 0;
    pthread_once(&curl_once, curl_start);
    CURL *h = curl_easy_init();
    if (!h)
        return err_set(e, ERR_INTERNAL, "", "curl_easy_init failed");
    char tsh[64], sigh[128], ebuf[CURL_ERROR_SIZE] = "";
    snprintf(tsh, sizeof(tsh), "X-CTI-Timestamp: %s", ts);
    snprintf(sigh, sizeof(sigh), "X-CTI-Signature: %s", sig);
    struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/json");
    hd = curl_slist_append(hd, tsh);
    hd = curl_slist_append(hd, sigh);
    hd = curl_slist_append(hd, "User-Agent: relatio-cti/1");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(timeout_ms > 0 ? timeout_ms : 5000));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
    CURLcode cc = curl_easy_perform(h);
    if (cc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(hd);
    curl_easy_cleanup(h);
    if (cc != CURLE_OK)
        return err_set(e, ERR_UNAVAILABLE, "", "the phone system did not answer: %s",
                       ebuf[0] ? ebuf : curl_easy_strerror(cc));
    if (*status < 200 || *status > 299)
        return err_set(e, ERR_UNAVAILABLE, "", "the phone system answered %ld", *status);
    return 0;
}
