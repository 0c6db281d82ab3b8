/* libFuzzer driver for the vCard reader: any bytes parse into cards or a
 * clear error naming a line, never a crash or a leak; every card parsed
 * renders back into a card that parses again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/vcard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *cards = NULL;
    struct err e = {0};
    if (vcard_parse((const char *)data, size, &cards, &e) != 0) {
        if (strncmp(e.field, "line ", 5) != 0 && e.field[0])
            abort(); /* an error names its line */
        return 0;
    }
    size_t i;
    json_t *card;
    json_array_foreach(cards, i, card)
    {
        char *text = vcard_render(card);
        if (!text)
            abort();
        json_t *again = NULL;
        struct err e2 = {0};
        if (vcard_parse(text, strlen(text), &again, &e2) != 0 || json_array_size(again) != 1)
            abort(); /* what we write, we read */
        json_decref(again);
        free(text);
    }
    json_decref(cards);
    return 0;
}
