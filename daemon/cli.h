/* cli.h - tcpipd's command line. Kept apart from main() so it can be tested.
 *
 *   tcpipd [-c FILE] [-l LEVEL] [-f] [--check-config]
 *   tcpipd -h | -V
 */
#ifndef TCPIPD_CLI_H
#define TCPIPD_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* TCPIP_VERSION and TCPIPD_DEFAULT_CONFIG ($(SYSCONFDIR)/tcpipd/tcpipd.json)
 * come from the Makefile's VERSION and SYSCONFDIR. */
#include "tcpip_build.h"
#define TCPIPD_VERSION TCPIP_VERSION

/* Exit statuses, documented in --help. */
enum tcpipd_exit {
    TCPIPD_EXIT_OK = 0,
    TCPIPD_EXIT_CONFIG = 1,      /* the configuration file is bad */
    TCPIPD_EXIT_USAGE = 2,       /* bad command line */
    TCPIPD_EXIT_RUNTIME = 3,     /* startup or runtime failure (TAP, memory...) */
};

enum cli_action {
    CLI_RUN,
    CLI_CHECK_CONFIG,
    CLI_HELP,
    CLI_VERSION,
    CLI_ERROR,                   /* err says why; exit TCPIPD_EXIT_USAGE */
};

struct cli_opts {
    const char *config_path;     /* TCPIPD_DEFAULT_CONFIG unless -c */
    int log_level;               /* -1: from the config file */
};

/* Parse argv (argv[0] is the program). Does not print. */
enum cli_action cli_parse(int argc, char *const argv[], struct cli_opts *o, char *err,
                          size_t errlen);
void cli_usage(FILE *f, const char *prog);

#endif
