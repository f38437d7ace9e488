/* direct_table.c - what this process knows of its direct sockets
 * (internal.h), indexed by fd number.
 *
 * The table is an array of pointers indexed by fd, grown by doubling
 * (fds are small and dense: the kernel hands out the lowest free one).
 * Entries are separately allocated and reference counted: the fds that
 * dup made share one, and a thread can use an entry while another closes
 * the fd. The table is a cache: the daemon knows every socket by its data
 * fd, so an entry that is missing is asked for again (LOOKUP), and one
 * whose fd was closed without us (close(2) called directly) is replaced
 * when the number comes back as another socket. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client-lib/internal.h"

#define TABLE_MIN_SLOTS 64

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dsock **slots;     /* slots[fd], NULL when free */
static size_t slot_count;

struct dsock *libtcpip_dsock_new(uint8_t proto, int family)
{
    struct dsock *ds = calloc(1, sizeof *ds);

    if (ds == NULL)
        return NULL;
    if (pthread_mutex_init(&ds->lock, NULL) != 0) {
        free(ds);
        return NULL;
    }
    ds->proto = proto;
    ds->family = family;
    ds->state = DSOCK_NEW;
    ds->refs = 1;
    return ds;
}

static void dsock_free(struct dsock *ds)
{
    pthread_mutex_destroy(&ds->lock);
    free(ds);
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

/* Put ds (or NULL) at fd; table_lock held. The old entry, to put. */
static struct dsock *slot_swap(int fd, struct dsock *ds)
{
    struct dsock *old = slots[fd];
    if (ds != NULL)
        ds->refs++;
    slots[fd] = ds;
    return old;
}

int libtcpip_table_set(int fd, struct dsock *ds)
{
    struct dsock *old = NULL;
    int rc;

    if (fd < 0)
        return EBADF;
    pthread_mutex_lock(&table_lock);
    rc = table_reserve((size_t)fd);
    if (rc == 0)
        old = slot_swap(fd, ds);
    pthread_mutex_unlock(&table_lock);
    libtcpip_dsock_put(old);
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

bool libtcpip_table_drop(int fd)
{
    struct dsock *old = NULL;

    if (fd < 0)
        return false;
    pthread_mutex_lock(&table_lock);
    if ((size_t)fd < slot_count)
        old = slot_swap(fd, NULL);
    pthread_mutex_unlock(&table_lock);
    libtcpip_dsock_put(old);
    return old != NULL;
}

bool libtcpip_table_dup(int fd, int fd2)
{
    struct dsock *old = NULL, *ds = NULL;

    if (fd < 0 || fd2 < 0 || fd == fd2)
        return false;
    pthread_mutex_lock(&table_lock);
    ds = (size_t)fd < slot_count ? slots[fd] : NULL;
    if (ds != NULL && table_reserve((size_t)fd2) == 0)
        old = slot_swap(fd2, ds);
    else if ((size_t)fd2 < slot_count)
        old = slot_swap(fd2, NULL);
    pthread_mutex_unlock(&table_lock);
    libtcpip_dsock_put(old);
    return ds != NULL;
}

void libtcpip_table_clear(void)
{
    pthread_mutex_lock(&table_lock);
    for (size_t i = 0; i < slot_count; i++) {
        struct dsock *ds = slots[i];
        slots[i] = NULL;
        if (ds != NULL && --ds->refs == 0)
            dsock_free(ds);
    }
    pthread_mutex_unlock(&table_lock);
}

size_t libtcpip_table_capacity(void)
{
    size_t n;

    pthread_mutex_lock(&table_lock);
    n = slot_count;
    pthread_mutex_unlock(&table_lock);
    return n;
}
