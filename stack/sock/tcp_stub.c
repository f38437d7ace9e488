/* tcp_stub.c - TEMPORARY: the TCP socket API returning -ENOSYS until the
 * state machine lands (replaced by sock/tcp.c). */
#include <errno.h>
#include <string.h>

#include "stack/core/stack_impl.h"

const char *tcp_state_name(enum tcp_state st)
{
    static const char *const names[TCP_STATE_COUNT] = {
        "CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1",
        "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT",
    };
    return (unsigned)st < TCP_STATE_COUNT ? names[st] : "?";
}
struct tcp_sock *tcp_sock_open(struct stack *s, tcp_event_fn cb, void *user)
{
    (void)s; (void)cb; (void)user;
    return NULL;
}
int tcp_sock_bind(struct tcp_sock *ts, const struct ip_endpoint *l) { (void)ts; (void)l; return -ENOSYS; }
int tcp_sock_listen(struct tcp_sock *ts, int b) { (void)ts; (void)b; return -ENOSYS; }
struct tcp_sock *tcp_sock_accept(struct tcp_sock *ts, tcp_event_fn cb, void *user, int *err)
{
    (void)ts; (void)cb; (void)user;
    *err = -ENOSYS;
    return NULL;
}
int tcp_sock_connect(struct tcp_sock *ts, const struct ip_endpoint *r, uint64_t now) { (void)ts; (void)r; (void)now; return -ENOSYS; }
long tcp_sock_send(struct tcp_sock *ts, const void *b, size_t l, uint64_t now) { (void)ts; (void)b; (void)l; (void)now; return -ENOSYS; }
long tcp_sock_recv(struct tcp_sock *ts, void *b, size_t l, uint64_t now) { (void)ts; (void)b; (void)l; (void)now; return -ENOSYS; }
int tcp_sock_shutdown(struct tcp_sock *ts, int how, uint64_t now) { (void)ts; (void)how; (void)now; return -ENOSYS; }
void tcp_sock_close(struct tcp_sock *ts, uint64_t now) { (void)ts; (void)now; }
void tcp_sock_abort(struct tcp_sock *ts, uint64_t now) { (void)ts; (void)now; }
int tcp_sock_error(struct tcp_sock *ts) { (void)ts; return 0; }
int tcp_sock_setopt(struct tcp_sock *ts, enum tcp_sockopt o, int v) { (void)ts; (void)o; (void)v; return -ENOSYS; }
int tcp_sock_getopt(const struct tcp_sock *ts, enum tcp_sockopt o, int *v) { (void)ts; (void)o; (void)v; return -ENOSYS; }
int tcp_sock_getsockname(const struct tcp_sock *ts, struct ip_endpoint *o) { (void)ts; (void)o; return -ENOSYS; }
int tcp_sock_getpeername(const struct tcp_sock *ts, struct ip_endpoint *o) { (void)ts; (void)o; return -ENOSYS; }
enum tcp_state tcp_sock_state(const struct tcp_sock *ts) { (void)ts; return TCP_CLOSED; }
size_t tcp_sock_readable(const struct tcp_sock *ts) { (void)ts; return 0; }
size_t tcp_sock_writable(const struct tcp_sock *ts) { (void)ts; return 0; }
void tcp_sock_info(const struct tcp_sock *ts, struct tcp_conn_info *out) { (void)ts; memset(out, 0, sizeof *out); }
size_t stack_tcp_list(const struct stack *s, struct tcp_conn_info *out, size_t max) { (void)s; (void)out; (void)max; return 0; }
