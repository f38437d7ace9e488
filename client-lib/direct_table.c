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
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* fork(2) copies one thread: a lock another thread held at that moment
 * would stay taken in the child for ever. The library's locks are taken
 * around every fork (they never nest elsewhere, so any order is safe). */
static void fork_prepare(void)
{
    libtcpip_sessions_lock(true);
    pthread_mutex_lock(&table_lock);
}

static void fork_done(void)
{
    pthread_mutex_unlock(&table_lock);
    libtcpip_sessions_lock(false);
}

static void atfork_register(void)
{
    (void)pthread_atfork(fork_prepare, fork_done, fork_done);
}

_Atomic(_Atomic uint8_t *) libtcpip_kind_map[LIBTCPIP_MAX_FD / LIBTCPIP_KIND_CHUNK];

/* What plain reads and writes may do on an fd naming ds (internal.h).
 * Only what stays true while the fd is shared is a fast kind: a TCP
 * socket not yet connected must answer ENOTCONN, a corked one uncork,
 * one shut down for writing EPIPE; a failed one asks why (GETERR). */
static uint8_t kind_of(const struct dsock *ds)
{
    enum dsock_state st = ds->state;

    if (ds->proto == IPC_PROTO_TCP)
        return (st == DSOCK_CONNECTING || st == DSOCK_CONNECTED) && !ds->wr_shut &&
                       !ds->corked
                   ? DKIND_STREAM
                   : DKIND_OTHER;
    return st == DSOCK_CONNECTED && !ds->wr_shut && !ds->rd_shut ? DKIND_DGRAM : DKIND_OTHER;
}

/* Make sure fd's chunk of the kind map exists; table_lock held. 0 or
 * ENOMEM. */
static int kind_reserve(int fd)
{
    unsigned top = (unsigned)fd >> LIBTCPIP_KIND_CHUNK_BITS;

    if (atomic_load_explicit(&libtcpip_kind_map[top], memory_order_relaxed) != NULL)
        return 0;
    _Atomic uint8_t *chunk = calloc(LIBTCPIP_KIND_CHUNK, sizeof *chunk);
    if (chunk == NULL)
        return ENOMEM;
    atomic_store_explicit(&libtcpip_kind_map[top], chunk, memory_order_release);
    return 0;
}

/* Set fd's kind; table_lock held, and the chunk reserved unless kind is
 * NONE (an fd of no chunk is NONE already). */
static void kind_set(int fd, uint8_t kind)
{
    _Atomic uint8_t *chunk = atomic_load_explicit(
        &libtcpip_kind_map[(unsigned)fd >> LIBTCPIP_KIND_CHUNK_BITS], memory_order_relaxed);

    if (chunk != NULL)
        atomic_store_explicit(&chunk[(unsigned)fd & (LIBTCPIP_KIND_CHUNK - 1)], kind,
                              memory_order_relaxed);
}

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

/* Make room for slot index fd, and its kind; table_lock held. 0 or
 * ENOMEM, EMFILE past the kind map. */
static int table_reserve(size_t fd)
{
    size_t want = slot_count > 0 ? slot_count : TABLE_MIN_SLOTS;
    struct dsock **grown;

    if (fd >= LIBTCPIP_MAX_FD)
        return EMFILE;
    if (kind_reserve((int)fd) != 0)
        return ENOMEM;
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

/* Put ds (or NULL) at fd, and its kind; table_lock held, the slot and
 * its kind chunk reserved (or ds NULL). The old entry, to put. */
static struct dsock *slot_swap(int fd, struct dsock *ds)
{
    struct dsock *old = slots[fd];
    if (old != NULL)
        old->nfds--;
    if (ds != NULL) {
        ds->refs++;
        ds->nfds++;
        ds->fd_hint = fd;
    }
    slots[fd] = ds;
    kind_set(fd, ds != NULL ? kind_of(ds) : DKIND_NONE);
    return old;
}

int libtcpip_table_set(int fd, struct dsock *ds)
{
    struct dsock *old = NULL;
    int rc;

    if (fd < 0)
        return EBADF;
    pthread_once(&atfork_once, atfork_register);
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

void libtcpip_table_drop_range(unsigned first, unsigned last)
{
    struct dsock *old[64];
    size_t n = 0;

    pthread_mutex_lock(&table_lock);
    for (size_t fd = first; fd < slot_count && fd <= last; fd++) {
        if (slots[fd] == NULL)
            continue;
        struct dsock *ds = slot_swap((int)fd, NULL);
        if (n < sizeof old / sizeof old[0]) {
            old[n++] = ds;
        } else if (--ds->refs == 0) {
            dsock_free(ds);      /* the lock is held: as table_clear */
        }
    }
    pthread_mutex_unlock(&table_lock);
    for (size_t i = 0; i < n; i++)
        libtcpip_dsock_put(old[i]);
}

void libtcpip_dsock_changed(struct dsock *ds)
{
    pthread_mutex_lock(&table_lock);
    uint8_t kind = kind_of(ds);
    if (ds->nfds == 1 && (size_t)ds->fd_hint < slot_count && slots[ds->fd_hint] == ds) {
        kind_set(ds->fd_hint, kind);
    } else if (ds->nfds > 0) {
        /* shared by dup'ed fds: rare, and state changes are rarer */
        for (size_t fd = 0; fd < slot_count; fd++)
            if (slots[fd] == ds)
                kind_set((int)fd, kind);
    }
    pthread_mutex_unlock(&table_lock);
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
        struct dsock *ds = slots[i] != NULL ? slot_swap((int)i, NULL) : NULL;
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
