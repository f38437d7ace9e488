/* privdrop.h - giving up privileges once the TAP devices are open.
 *
 * tcpipd needs CAP_NET_ADMIN for one thing: opening (creating) its TAP
 * devices and configuring their host side, at start-up. An open TAP fd
 * keeps working without any privilege, so after start-up the daemon keeps
 * none, in one of two ways:
 *   - started as root with a "user" in the config: switch to that user
 *     (setgroups/setgid/setuid); the kernel clears every capability when
 *     the last uid stops being 0 (capabilities(7), "Effect of user ID
 *     changes on capabilities");
 *   - started as an unprivileged user with CAP_NET_ADMIN as an ambient
 *     capability (the shipped systemd unit): clear the ambient set and the
 *     effective/permitted/inheritable sets with capset(2).
 * No libcap: two raw system calls do. A reload that would need a new TAP
 * is therefore refused (logged as needing a restart). */
#ifndef TCPIPD_PRIVDROP_H
#define TCPIPD_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>

/* Switch to user: its primary group only (no supplementary groups), then
 * its uid, real, effective and saved alike, and check that uid 0 cannot
 * be regained. As a non-root process this only succeeds if we already are
 * that user. 0, or -1 with a message in err. */
int privdrop_switch_user(const char *user, char *err, size_t errlen);

/* Whether any capability is permitted, effective or ambient. */
bool privdrop_has_caps(void);

/* Clear every capability set (ambient included) of a process that is not
 * root. Root is left alone: it gets its capabilities back from its uid on
 * any exec anyway, and the switch to a user is what takes them. 0 (also
 * when there was nothing to drop), or -1 with a message in err. */
int privdrop_clear_caps(char *err, size_t errlen);

#endif
