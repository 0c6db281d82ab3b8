/*
 * Corpus replayer for fuzz drivers built without libFuzzer: feeds every file
 * named on the command line, and every file in a named directory, to
 * LLVMFuzzerTestOneInput, printing "replay-ok PATH" after each. Run under
 * ASan/UBSan, a bad input aborts the run: the input after the last line
 * printed is the culprit.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define REPLAY_MAX_INPUT (64L * 1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long n;
    int rc = -1;
    if (!f) {
        fprintf(stderr, "replay: cannot open '%s'\n", path);
        return -1;
    }
    n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (n < 0 || n > REPLAY_MAX_INPUT || fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "replay: cannot size '%s'\n", path);
        goto out;
    }
    buf = malloc(n ? (size_t)n : 1); /* an exact-size copy, so ASan sees overreads */
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "replay: cannot read '%s'\n", path);
        goto out;
    }
    LLVMFuzzerTestOneInput(buf, (size_t)n);
    printf("replay-ok %s\n", path); /* scripts/fuzz.sh counts these */
    fflush(stdout);
    rc = 0;
out:
    free(buf);
    fclose(f);
    return rc;
}

static int replay_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: no such file '%s'\n", path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        return replay_file(path);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int rc = 0;
    for (struct dirent *de = readdir(d); de; de = readdir(d)) {
        char sub[4096];
        if (de->d_name[0] == '.')
            continue;
        if (snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >= (int)sizeof(sub)) {
            rc = -1;
            continue;
        }
        if (stat(sub, &st) == 0 && S_ISREG(st.st_mode) && replay_file(sub) < 0)
            rc = -1;
    }
    closedir(d);
    return rc;
}

int main(int argc, char **argv)
{
    int rc = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++)
        if (replay_path(argv[i]) < 0)
            rc = 1;
    return rc;
}
