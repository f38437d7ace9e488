/* control_int.h - internal to the control channel: the network views
 * (daemon/control_net.c) that control_cmd.c dispatches to. */
#ifndef TCPIP_DAEMON_CONTROL_INT_H
#define TCPIP_DAEMON_CONTROL_INT_H

#include <cjson/cJSON.h>

#include "daemon/control.h"

/* Every address, both families, as "A/LEN" with its interface (and the
 * DAD/lifetime state for IPv6), for `status`. */
cJSON *control_status_addresses(const struct control_env *env);

/* `addr`, `route` and `neigh`: the data of the reply (NULL: no memory). */
cJSON *control_cmd_addr(const struct control_env *env);
cJSON *control_cmd_route(const struct control_env *env);
cJSON *control_cmd_neigh(const struct control_env *env);

#endif
