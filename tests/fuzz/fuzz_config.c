/* fuzz_config.c - libFuzzer target: config_load_string on arbitrary text.
 *
 * The loader must answer every input with 0 or -1 and a NUL-terminated
 * message, never crash or leak. The input is copied into a NUL-terminated
 * buffer of exactly size + 1 bytes so ASan sees any read past the end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct tcpipd_config cfg; /* large; static keeps it off the stack */
    char err[CONF_ERR_LEN];
    char *text = malloc(size + 1);

    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    memset(err, 0xa5, sizeof err);
    if (config_load_string(text, &cfg, err, sizeof err) != 0) {
        /* The message must be a terminated string within err. */
        if (memchr(err, '\0', sizeof err) == NULL)
            abort();
    }
    free(text);
    return 0;
}
