/* direct_table.c - the direct backend's sockets, indexed by the data fd
 * the application holds.
 *
 * The table is an array of pointers indexed by fd, grown by doubling
 * (fds are small and dense: the kernel hands out the lowest free one).
 * Entries are separately allocated and reference counted, so a thread
 * can use an entry (e.g. sit in a blocking connect on its control
 * connection) while the table grows or another thread closes the fd; the
 * entry and its control connection go when the last reference does. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client-lib/internal.h"

#define TABLE_MIN_SLOTS 64

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dsock **slots;     /* slots[fd], NULL when free */
static size_t slot_count;

struct dsock *libtcpip_dsock_new(int data_fd, int ctl_fd, uint8_t proto, int family)
{
    struct dsock *ds = calloc(1, sizeof *ds);

    if (ds == NULL)
        return NULL;
    if (pthread_mutex_init(&ds->lock, NULL) != 0) {
        free(ds);
        return NULL;
    }
    ds->data_fd = data_fd;
    ds->ctl_fd = ctl_fd;
    ds->proto = proto;
    ds->family = family;
    ds->state = DSOCK_NEW;
    ds->refs = 1;
    return ds;
}

static void dsock_free(struct dsock *ds)
{
    if (ds->ctl_fd >= 0)
        close(ds->ctl_fd);
    pthread_mutex_destroy(&ds->lock);
    free(ds);
}

/* Make room for slot index fd; table_lock held. 0 or ENOMEM. */
static int table_reserve(size_t fd)
{
    size_t want = slot_count > 0 ? slot_count : TABLE_MIN_SLOTS;
    struct dsock **grown;

    if (fd < slot_count)
        return 0;
    while (want <= fd) {
        if (want > ((size_t)-1 / sizeof *slots) / 2)
            return ENOMEM;
        want *= 2;
    }
    grown = realloc(slots, want * sizeof *slots);
    if (grown == NULL)
        return ENOMEM;
    memset(grown + slot_count, 0, (want - slot_count) * sizeof *grown);
    slots = grown;
    slot_count = want;
    return 0;
}

int libtcpip_table_insert(struct dsock *ds)
{
    int rc;

    if (ds->data_fd < 0)
        return EBADF;
    pthread_mutex_lock(&table_lock);
    rc = table_reserve((size_t)ds->data_fd);
    if (rc == 0 && slots[ds->data_fd] != NULL)
        rc = EEXIST;
    if (rc == 0)
        slots[ds->data_fd] = ds;
    pthread_mutex_unlock(&table_lock);
    return rc;
}

struct dsock *libtcpip_table_get(int fd)
{
    struct dsock *ds = NULL;

    if (fd < 0)
        return NULL;
    pthread_mutex_lock(&table_lock);
    if ((size_t)fd < slot_count && slots[fd] != NULL) {
        ds = slots[fd];
        ds->refs++;
    }
    pthread_mutex_unlock(&table_lock);
    return ds;
}

void libtcpip_dsock_put(struct dsock *ds)
{
    bool last;

    if (ds == NULL)
        return;
    pthread_mutex_lock(&table_lock);
    last = --ds->refs == 0;
    pthread_mutex_unlock(&table_lock);
    if (last)
        dsock_free(ds);
}

struct dsock *libtcpip_table_remove(int fd)
{
    struct dsock *ds = NULL;

    if (fd < 0)
        return NULL;
    pthread_mutex_lock(&table_lock);
    if ((size_t)fd < slot_count) {
        ds = slots[fd];
        slots[fd] = NULL;
    }
    pthread_mutex_unlock(&table_lock);
    return ds;
}

size_t libtcpip_table_capacity(void)
{
    size_t n;

    pthread_mutex_lock(&table_lock);
    n = slot_count;
    pthread_mutex_unlock(&table_lock);
    return n;
}
