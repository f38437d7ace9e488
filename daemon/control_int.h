/* control_int.h - internal to the control channel: the network views
 * (daemon/control_net.c) that control_cmd.c dispatches to. */
#ifndef TCPIP_DAEMON_CONTROL_INT_H
#define TCPIP_DAEMON_CONTROL_INT_H

#include <cjson/cJSON.h>

#include "daemon/control.h"

/* Every address, both families, as "A/LEN" with its interface (and the
 * DAD/lifetime state for IPv6), for `status`. */
cJSON *control_status_addresses(const struct control_env *env);
/* Each DHCP client's state and lease, for `status`. */
cJSON *control_status_dhcp(const struct control_env *env);
/* RFC 8106 servers and search domains from RAs, for `status`. */
cJSON *control_status_dns6(const struct control_env *env);

/* `addr`, `route` and `neigh`: the data of the reply (NULL: no memory). */
cJSON *control_cmd_addr(const struct control_env *env);
cJSON *control_cmd_route(const struct control_env *env);
cJSON *control_cmd_neigh(const struct control_env *env);
cJSON *control_cmd_link(const struct control_env *env);

/* Parse the words of a change (addr/route/neigh add|del, link set) after
 * the command word: 0 or -errno with err (control_change.c). */
int control_parse_change(char *const *words, size_t n, struct control_request *req, char *err,
                         size_t errlen);
/* Apply it: the reply document (control_change.c). */
char *control_change(struct control_env *env, const struct control_request *req);
/* {"ok":true,"data":data} (takes data), or NULL. */
char *control_ok_reply(cJSON *data);

#endif
