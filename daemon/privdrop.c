/* privdrop.c - see privdrop.h. */
#include "daemon/privdrop.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int privdrop_switch_user(const char *user, char *err, size_t errlen)
{
    struct passwd pw, *found = NULL;
    char buf[4096];
    int rc = getpwnam_r(user, &pw, buf, sizeof buf, &found);
    if (found == NULL) {
        if (rc != 0)
            snprintf(err, errlen, "user: cannot look up \"%.32s\": %s", user, strerror(rc));
        else
            snprintf(err, errlen, "user: \"%.32s\" is not a known user", user);
        return -1;
    }
    uid_t uid = pw.pw_uid;
    gid_t gid = pw.pw_gid;
    if (uid == 0) {
        snprintf(err, errlen, "user: \"%.32s\" is root; name an unprivileged user", user);
        return -1;
    }
    if (geteuid() != 0) {
        if (getuid() == uid && geteuid() == uid)
            return 0; /* started as that user already (e.g. User= in the unit) */
        snprintf(err, errlen, "user: cannot switch to \"%.32s\": not running as root", user);
        return -1;
    }
    /* Groups first: once the uid is not 0, setgroups/setgid are refused. */
    if (setgroups(1, &gid) != 0) {
        snprintf(err, errlen, "user: setgroups: %s", strerror(errno));
        return -1;
    }
    if (setresgid(gid, gid, gid) != 0) {
        snprintf(err, errlen, "user: setresgid(%u): %s", (unsigned)gid, strerror(errno));
        return -1;
    }
    if (setresuid(uid, uid, uid) != 0) {
        snprintf(err, errlen, "user: setresuid(%u): %s", (unsigned)uid, strerror(errno));
        return -1;
    }
    /* Belt and braces: if root could be had back, the drop did not happen. */
    if (setuid(0) == 0 || geteuid() != uid || getegid() != gid) {
        snprintf(err, errlen, "user: switched to \"%.32s\" but root can be regained", user);
        return -1;
    }
    return 0;
}

static int caps_get(struct __user_cap_data_struct data[2])
{
    struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
    memset(data, 0, 2 * sizeof data[0]);
    return (int)syscall(SYS_capget, &hdr, data);
}

bool privdrop_has_caps(void)
{
    struct __user_cap_data_struct data[2];
    if (caps_get(data) != 0)
        return true; /* cannot tell: assume the worst */
    for (int i = 0; i < 2; i++)
        if (data[i].permitted != 0 || data[i].effective != 0 || data[i].inheritable != 0)
            return true;
    /* Ambient capabilities are a subset of permitted and inheritable, so
     * none are left when both are empty. */
    return false;
}

int privdrop_clear_caps(char *err, size_t errlen)
{
    if (geteuid() == 0 || !privdrop_has_caps())
        return 0;
    /* Ambient first (PR_CAP_AMBIENT, Linux 4.3); EINVAL on older kernels,
     * which have no ambient set to clear. */
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
        snprintf(err, errlen, "capabilities: cannot clear the ambient set: %s", strerror(errno));
        return -1;
    }
    struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capset, &hdr, data) != 0) {
        snprintf(err, errlen, "capabilities: capset: %s", strerror(errno));
        return -1;
    }
    if (privdrop_has_caps()) {
        snprintf(err, errlen, "capabilities: still held after capset");
        return -1;
    }
    return 0;
}
