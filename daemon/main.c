/* main.c - tcpipd: a userspace TCP/IP stack on TAP devices.
 * Command line (cli.c), configuration (config.c), then the loop (tcpipd.c). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon/cli.h"
#include "daemon/config.h"
#include "daemon/log.h"
#include "daemon/tcpipd.h"

int main(int argc, char **argv)
{
    const char *prog = "tcpipd";
    struct cli_opts opts;
    char err[CONF_ERR_LEN];

    enum cli_action action = cli_parse(argc, argv, &opts, err, sizeof err);
    switch (action) {
    case CLI_HELP:
        cli_usage(stdout, prog);
        return TCPIPD_EXIT_OK;
    case CLI_VERSION:
        printf("tcpipd " TCPIPD_VERSION "\n");
        return TCPIPD_EXIT_OK;
    case CLI_ERROR:
        fprintf(stderr, "%s: %s\nTry '%s --help'.\n", prog, err, prog);
        return TCPIPD_EXIT_USAGE;
    case CLI_RUN:
    case CLI_CHECK_CONFIG:
        break;
    }

    /* Large (static neighbour tables): on the heap, not the stack. */
    struct tcpipd_config *cfg = malloc(sizeof *cfg);
    if (cfg == NULL) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return TCPIPD_EXIT_RUNTIME;
    }
    if (config_load_file(opts.config_path, cfg, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        free(cfg);
        return TCPIPD_EXIT_CONFIG;
    }
    if (action == CLI_CHECK_CONFIG) {
        printf("%s: OK\n", opts.config_path);
        free(cfg);
        return TCPIPD_EXIT_OK;
    }

    log_init(prog);
    log_set_level(opts.log_level >= 0 ? opts.log_level : cfg->log_level);
    /* Writes to a closed peer must fail with EPIPE, not kill the daemon. */
    signal(SIGPIPE, SIG_IGN);

    struct tcpipd *d = tcpipd_new(cfg, opts.config_path, opts.log_level);
    free(cfg);
    if (d == NULL) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return TCPIPD_EXIT_RUNTIME;
    }
    int status = tcpipd_start(d);
    if (status == TCPIPD_EXIT_OK)
        status = tcpipd_run(d);
    tcpipd_free(d);
    return status;
}
