/* wire.c - shared helpers of the header codecs. */
#include "stack/wire/wire.h"

const char *wire_strerror(int err)
{
    switch (err) {
    case WIRE_OK:
        return "ok";
    case WIRE_ETRUNC:
        return "truncated header";
    case WIRE_EBADLEN:
        return "length field disagrees with the packet";
    case WIRE_ECSUM:
        return "bad checksum";
    case WIRE_EVERSION:
        return "wrong version";
    case WIRE_EBADHDR:
        return "malformed header";
    case WIRE_EUNSUPP:
        return "unsupported";
    default:
        return "unknown wire error";
    }
}
