/* cli.c - see cli.h. A small hand-written parser rather than getopt_long:
 * no global state (optind), so tests can call it repeatedly. */
#include "daemon/cli.h"

#include <string.h>

#include "daemon/config.h"

/* If arg is the option (short "-x" or long "--xxx"), take its value from
 * "-xVALUE", "--xxx=VALUE" or the next argument. 1 taken, 0 not this
 * option, -1 value missing. */
static int take_value(int argc, char *const argv[], int *i, const char *shortopt,
                      const char *longopt, const char **value)
{
    const char *arg = argv[*i];
    size_t ll = strlen(longopt);
    if (strcmp(arg, shortopt) == 0 || strcmp(arg, longopt) == 0) {
        if (*i + 1 >= argc)
            return -1;
        *value = argv[++*i];
        return 1;
    }
    if (strncmp(arg, longopt, ll) == 0 && arg[ll] == '=') {
        *value = arg + ll + 1;
        return 1;
    }
    if (strncmp(arg, shortopt, 2) == 0 && arg[2] != '\0' && arg[1] != '-') {
        *value = arg + 2;
        return 1;
    }
    return 0;
}

enum cli_action cli_parse(int argc, char *const argv[], struct cli_opts *o, char *err,
                          size_t errlen)
{
    o->config_path = TCPIPD_DEFAULT_CONFIG;
    o->log_level = -1;
    if (errlen > 0)
        err[0] = '\0';
    bool check = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = NULL;
        int r;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
            return CLI_HELP;
        if (strcmp(arg, "-V") == 0 || strcmp(arg, "--version") == 0)
            return CLI_VERSION;
        if (strcmp(arg, "-f") == 0 || strcmp(arg, "--foreground") == 0)
            continue; /* tcpipd never forks into the background; a supervisor runs it */
        if (strcmp(arg, "--check-config") == 0) {
            check = true;
            continue;
        }
        r = take_value(argc, argv, &i, "-c", "--config", &value);
        if (r < 0) {
            snprintf(err, errlen, "option %s needs a FILE", arg);
            return CLI_ERROR;
        }
        if (r > 0) {
            if (value[0] == '\0') {
                snprintf(err, errlen, "option -c/--config: empty FILE");
                return CLI_ERROR;
            }
            o->config_path = value;
            continue;
        }
        r = take_value(argc, argv, &i, "-l", "--log-level", &value);
        if (r < 0) {
            snprintf(err, errlen, "option %s needs a LEVEL (error, warning, info, debug)", arg);
            return CLI_ERROR;
        }
        if (r > 0) {
            int level = config_log_level_parse(value);
            if (level < 0) {
                snprintf(err, errlen,
                         "option -l/--log-level: \"%s\" is not one of error, warning, info, debug",
                         value);
                return CLI_ERROR;
            }
            o->log_level = level;
            continue;
        }
        if (arg[0] == '-')
            snprintf(err, errlen, "unknown option %s", arg);
        else
            snprintf(err, errlen, "unexpected argument \"%s\"", arg);
        return CLI_ERROR;
    }
    return check ? CLI_CHECK_CONFIG : CLI_RUN;
}

void cli_usage(FILE *f, const char *prog)
{
    fprintf(f,
            "Usage: %s [-c FILE] [-l LEVEL] [-f] [--check-config]\n"
            "       %s -h | -V\n"
            "tcpipd runs a userspace TCP/IP stack on TAP devices.\n"
            "\n"
            "  -c, --config FILE     configuration file (default " TCPIPD_DEFAULT_CONFIG ")\n"
            "  -l, --log-level LEVEL error, warning, info or debug; overrides the file\n"
            "  -f, --foreground      stay in the foreground (always the case)\n"
            "      --check-config    load and validate FILE, print \"FILE: OK\", exit\n"
            "  -h, --help            this help\n"
            "  -V, --version         print the version\n"
            "\n"
            "Signals: SIGTERM/SIGINT shut down cleanly; SIGHUP re-reads FILE and\n"
            "applies its log level, services and IPC access lists and limits; other\n"
            "changes need a restart (a bad file keeps the running configuration).\n"
            "Exit status: 0 ok, 1 configuration error, 2 usage error,\n"
            "3 startup or runtime error (e.g. cannot open the TAP device).\n",
            prog, prog);
}
