/* fuzz_ipc.c - libFuzzer target: the IPC decoders on arbitrary bytes.
 *
 * ipc_decode_hdr/request/reply/accept/info/endpoint run on the raw input (a
 * daemon reads whatever a client writes). A decoder must never read past
 * `size` (ASan: libFuzzer's buffer is exactly that long), never claim more
 * bytes than it was given, and everything it accepts must encode back to
 * the very same bytes: the protocol has one encoding per message
 * (ipc/PROTOCOL.md), so a decoder accepting two spellings of one message
 * is a bug this target reports. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

/* Encode a decoded request again with the encoder its type calls for. */
static size_t reencode_request(uint8_t *buf, size_t cap, const struct ipc_request *r)
{
    switch (r->h.type) {
    case IPC_OP_OPEN: return ipc_encode_open(buf, cap, &r->u.open);
    case IPC_OP_BIND:
    case IPC_OP_CONNECT: return ipc_encode_addr_req(buf, cap, r->h.type, &r->u.addr);
    case IPC_OP_LISTEN: return ipc_encode_listen(buf, cap, &r->u.listen);
    case IPC_OP_SHUTDOWN: return ipc_encode_u32(buf, cap, r->h.type, &r->u.u32);
    case IPC_OP_SETOPT:
    case IPC_OP_GETOPT: return ipc_encode_opt(buf, cap, r->h.type, &r->u.opt);
    case IPC_OP_LOOKUP:
    case IPC_OP_GETNAME:
    case IPC_OP_GETERR:
    case IPC_OP_GETINFO: return ipc_encode_empty(buf, cap, r->h.type);
    default: return 0;
    }
}

/* A successful decode took n bytes: they must be there, and must be
 * exactly what re-encoding the decoded message writes. */
static void check_same(const uint8_t *data, size_t size, int n, const uint8_t *enc, size_t enc_len)
{
    check(n >= IPC_HDR_LEN && (size_t)n <= size && (size_t)n <= IPC_MAX_MSG);
    check(enc_len == (size_t)n);
    check(memcmp(enc, data, enc_len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t enc[IPC_MAX_MSG];
    struct ipc_hdr h;
    struct ipc_request req;
    struct ipc_reply rep;
    struct ipc_accept acc;
    struct ipc_info info;
    struct ipc_endpoint ep;
    int rc, n;

    rc = ipc_decode_hdr(data, size, &h);
    check(rc <= 0 && rc >= IPC_EBODY);
    check(ipc_strerror(rc) != NULL);
    if (rc == IPC_OK)
        check(h.magic == IPC_MAGIC && h.version == IPC_VERSION && h.len <= IPC_MAX_BODY);

    n = ipc_decode_request(data, size, &req);
    if (n > 0) {
        /* Whatever a request decodes to, its header decodes alone too. */
        check(rc == IPC_OK && req.h.type == h.type);
        check_same(data, size, n, enc, reencode_request(enc, sizeof enc, &req));
        /* One byte short is always "need more", never a different verdict. */
        check(ipc_decode_request(data, (size_t)n - 1, &req) == IPC_ETRUNC);
    } else {
        check(n >= IPC_EBODY);
    }

    n = ipc_decode_reply(data, size, &rep);
    if (n > 0)
        check_same(data, size, n, enc, ipc_encode_reply(enc, sizeof enc, &rep));
    else
        check(n >= IPC_EBODY);

    n = ipc_decode_accept(data, size, &acc);
    if (n > 0)
        check_same(data, size, n, enc, ipc_encode_accept(enc, sizeof enc, &acc));
    else
        check(n >= IPC_EBODY);

    n = ipc_decode_info(data, size, &info);
    if (n > 0)
        check_same(data, size, n, enc, ipc_encode_info(enc, sizeof enc, &info));
    else
        check(n >= IPC_EBODY);

    if (size >= IPC_ENDPOINT_LEN && ipc_decode_endpoint(data, &ep) == IPC_OK) {
        ipc_encode_endpoint(enc, &ep);
        check(memcmp(enc, data, IPC_ENDPOINT_LEN) == 0);
    }
    return 0;
}
