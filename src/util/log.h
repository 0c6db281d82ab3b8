/*
 * One logger: levels checked before formatting, one line per event. The
 * server writes JSON lines to stderr; the CLI keeps stderr for progress.
 */
#ifndef UTIL_LOG_H
#define UTIL_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF };

/* Level from RELATIO_LOG (debug|info|warn|error|off), default info. */
void log_init(void);
void log_set_level(int level);
int log_enabled(int level);
/* Writes {"t":…,"level":…,"msg":…} with msg formatted printf-style. */
void log_write(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) (log_enabled(LOG_DEBUG) ? log_write(LOG_DEBUG, __VA_ARGS__) : (void)0)
#define log_info(...) (log_enabled(LOG_INFO) ? log_write(LOG_INFO, __VA_ARGS__) : (void)0)
#define log_warn(...) (log_enabled(LOG_WARN) ? log_write(LOG_WARN, __VA_ARGS__) : (void)0)
#define log_error(...) (log_enabled(LOG_ERROR) ? log_write(LOG_ERROR, __VA_ARGS__) : (void)0)

#endif
