/* metrics.h - the stack's counters as other tools name them: Linux's
 * nstat / netstat -s names (TcpActiveOpens, TcpExtTCPSynRetrans, ...)
 * where Linux has the same counter, and a Prometheus text exposition
 * (version 0.0.4) for node_exporter's textfile collector or a scrape
 * through `tcpipctl stats --prometheus`. */
#ifndef TCPIPD_METRICS_H
#define TCPIPD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/control.h"

struct cJSON;

/* {"TcpActiveOpens": N, ...}: every nstat name we can fill (a few are
 * sums of our finer counters, as Linux's are). NULL: no memory. */
struct cJSON *metrics_nstat_json(const struct control_env *env);

/* The exposition text (malloc'd, NUL-terminated), or NULL. Counters are
 * tcpipd_<group>_<name>_total, the nstat ones tcpipd_netstat_<Name>,
 * interfaces tcpipd_interface_*_total{interface="..."}, and a few gauges
 * (connections, IPC clients, uptime). */
char *metrics_prometheus(const struct control_env *env);

/* Write metrics_prometheus() to path through path.tmp and rename(2), so
 * a reader never sees half a file. 0, or -errno. */
int metrics_write_textfile(const struct control_env *env, const char *path);

#endif
