/* counters.h - per-protocol counters of the direct stack (like netstat -s).
 *
 * One flat array indexed by enum stack_counter, so that tools can print
 * and export every counter by name without knowing each one. Names are
 * "proto.what", e.g. "ipv4.rx_drop_bad_csum". Drop counters say why. */
#ifndef TCPIP_STACK_COUNTERS_H
#define TCPIP_STACK_COUNTERS_H

#include <stdint.h>

enum stack_counter {
    /* Ethernet */
    CTR_ETH_RX_FRAMES,
    CTR_ETH_RX_BYTES,
    CTR_ETH_TX_FRAMES,
    CTR_ETH_TX_BYTES,
    CTR_ETH_RX_DROP_SHORT,        /* shorter than an Ethernet header */
    CTR_ETH_RX_DROP_NOT_FOR_US,   /* unicast to another MAC */
    CTR_ETH_RX_DROP_VLAN,         /* 802.1Q / 802.1ad tagged: not handled */
    CTR_ETH_RX_DROP_UNKNOWN_TYPE, /* ethertype we do not speak (incl. 802.3) */
    CTR_ETH_RX_DROP_BAD_SRC,      /* multicast/broadcast source MAC */
    CTR_ETH_TX_DROP_ERROR,        /* the netif refused the frame */
    /* ARP */
    CTR_ARP_RX,
    CTR_ARP_RX_REQUESTS,
    CTR_ARP_RX_REPLIES,
    CTR_ARP_TX_REQUESTS,
    CTR_ARP_TX_REPLIES,
    CTR_ARP_TX_GRATUITOUS,
    CTR_ARP_RX_DROP_MALFORMED,
    CTR_ARP_RX_DROP_UNSUPPORTED,  /* not Ethernet/IPv4 */
    CTR_ARP_RX_DROP_BAD_OP,
    CTR_ARP_CONFLICTS,            /* someone else claims one of our addresses */
    CTR_ARP_RESOLVE_FAILED,       /* gave up after the retries */
    CTR_ARP_PENDING_QUEUED,
    CTR_ARP_PENDING_DROPPED,      /* pending queue full, or resolution failed */
    CTR_ARP_CACHE_EVICTIONS,      /* cache full: oldest non-static entry reused */
    /* IPv4 */
    CTR_IPV4_RX,
    CTR_IPV4_RX_DELIVERED,
    CTR_IPV4_TX,
    CTR_IPV4_RX_DROP_TRUNCATED,
    CTR_IPV4_RX_DROP_BAD_VERSION,
    CTR_IPV4_RX_DROP_BAD_HEADER,  /* IHL < 5 */
    CTR_IPV4_RX_DROP_BAD_LENGTH,  /* total length vs frame */
    CTR_IPV4_RX_DROP_BAD_CSUM,
    CTR_IPV4_RX_DROP_BAD_SRC,     /* broadcast/multicast/loopback source */
    CTR_IPV4_RX_DROP_TTL_ZERO,
    CTR_IPV4_RX_DROP_NOT_FOR_US,  /* we are a host: no forwarding */
    CTR_IPV4_RX_DROP_FRAGMENT,    /* malformed fragment (RFC 791 lengths): not reassembled */
    CTR_IPV4_RX_DROP_UNKNOWN_PROTO,
    CTR_IPV4_RX_DROP_SOURCE_ROUTE, /* LSRR/SSRR with hops left: we do not forward
                                      (Linux accept_source_route=0) */
    CTR_IPV4_TX_DROP_NO_ROUTE,
    CTR_IPV4_TX_DROP_TOO_BIG,     /* payload above the MTU with DF set */
    CTR_IPV4_TX_DROP_NO_SRC,      /* interface has no IPv4 address */
    /* ICMPv4 */
    CTR_ICMP4_RX,
    CTR_ICMP4_RX_ECHO_REQUESTS,
    CTR_ICMP4_RX_ECHO_REPLIES,
    CTR_ICMP4_RX_DEST_UNREACH,
    CTR_ICMP4_RX_TIME_EXCEEDED,
    CTR_ICMP4_RX_PARAM_PROBLEM,
    CTR_ICMP4_RX_OTHER,
    CTR_ICMP4_RX_DROP_TRUNCATED,
    CTR_ICMP4_RX_DROP_BAD_CSUM,
    CTR_ICMP4_RX_DROP_BAD_QUOTE,  /* error whose quoted datagram is unusable */
    CTR_ICMP4_RX_DROP_BROADCAST_ECHO, /* echo to broadcast: ignored (RFC 1122 3.2.2.6 allows) */
    CTR_ICMP4_TX_ECHO_REPLIES,
    CTR_ICMP4_TX_DEST_UNREACH,
    CTR_ICMP4_TX_RATELIMITED,     /* error not sent: token bucket empty */
    /* UDP */
    CTR_UDP_RX,
    CTR_UDP_RX_DELIVERED,
    CTR_UDP_TX,
    CTR_UDP_RX_DROP_TRUNCATED,
    CTR_UDP_RX_DROP_BAD_LENGTH,
    CTR_UDP_RX_DROP_BAD_CSUM,
    CTR_UDP_RX_ZERO_CSUM,         /* accepted: sender did not compute one */
    CTR_UDP_RX_NO_PORT,           /* no socket: port unreachable (if not broadcast) */
    CTR_UDP_RX_DROP_RCVBUF,       /* socket receive queue full */
    CTR_UDP_TX_DROP_TOO_BIG,
    /* TCP */
    CTR_TCP_RX_SEGS,
    CTR_TCP_TX_SEGS,
    CTR_TCP_TX_RSTS,
    CTR_TCP_RX_DROP_TRUNCATED,    /* shorter than the 20-byte header */
    CTR_TCP_RX_DROP_BAD_HEADER,   /* data offset < 5 or past the end, bad options */
    CTR_TCP_RX_DROP_BAD_CSUM,
    CTR_TCP_RX_DROP_BAD_ADDR,     /* broadcast/multicast, port 0, src == dst */
    CTR_TCP_RX_NO_SOCKET,         /* no connection: answered with a RST unless RST */
    CTR_TCP_ACTIVE_OPENS,         /* connect() sent a SYN */
    CTR_TCP_PASSIVE_OPENS,        /* a listener answered a SYN */
    CTR_TCP_ATTEMPT_FAILS,        /* SYN_SENT/SYN_RECEIVED ended by RST or timeout */
    CTR_TCP_ESTAB_RESETS,         /* ESTABLISHED/CLOSE_WAIT ended by RST */
    CTR_TCP_CONN_ESTABLISHED,     /* connections that reached ESTABLISHED */
    CTR_TCP_RX_DATA_SEGS,         /* segments carrying payload */
    CTR_TCP_RX_DATA_BYTES,        /* in-order payload bytes accepted */
    CTR_TCP_TX_DATA_BYTES,        /* payload bytes sent, retransmissions included */
    CTR_TCP_RETRANS_SEGS,         /* segments retransmitted */
    CTR_TCP_FAST_RETRANS,         /* fast retransmits (recovery entered) */
    CTR_TCP_TIMEOUTS,             /* retransmission timer expiries */
    CTR_TCP_CONN_TIMEOUTS,        /* connections given up with ETIMEDOUT */
    CTR_TCP_RX_OUT_OF_ORDER,      /* segments queued out of order */
    CTR_TCP_RX_DROP_OOO_FULL,     /* out-of-order segment dropped: range limit */
    CTR_TCP_RX_DUP_DATA,          /* segments whose payload was all old */
    CTR_TCP_RX_DROP_OUT_OF_WINDOW, /* unacceptable segment (RFC 9293 3.10.7.4), ACKed */
    CTR_TCP_RX_DROP_PAWS,         /* PAWS: timestamp older than TS.Recent (RFC 7323 5) */
    CTR_TCP_RX_DROP_BAD_FLAGS,    /* SYN+FIN, or no ACK in a synchronized state */
    CTR_TCP_RX_DROP_ACK_UNSENT,   /* ACK of data never sent: ACKed and dropped */
    CTR_TCP_RX_DROP_OLD_ACK,      /* ACK below SND.UNA - MAX.SND.WND (RFC 5961 5.2) */
    CTR_TCP_RX_DROP_LISTEN,       /* segment to a listener that is not a SYN */
    CTR_TCP_RX_RSTS,              /* RSTs that reset a connection */
    CTR_TCP_RX_RST_IGNORED,       /* RST outside the window: dropped */
    CTR_TCP_TX_CHALLENGE_ACKS,    /* RFC 5961 challenge ACKs sent */
    CTR_TCP_CHALLENGE_ACK_LIMITED, /* challenge ACKs not sent: rate limit */
    CTR_TCP_RX_SACK_BAD_BLOCKS,   /* SACK blocks outside SND.UNA..SND.NXT, ignored */
    CTR_TCP_RX_URGENT,            /* segments with URG: the data is handled inline */
    CTR_TCP_SYNCOOKIES_SENT,      /* SYN-ACKs carrying a cookie */
    CTR_TCP_SYNCOOKIES_RECV,      /* cookies validated: connection made */
    CTR_TCP_SYNCOOKIES_FAILED,    /* ACKs to a listener with a bad cookie */
    CTR_TCP_LISTEN_OVERFLOWS,     /* handshake done but the accept queue was full */
    CTR_TCP_LISTEN_DROPS,         /* SYNs dropped: queue full and no cookies */
    CTR_TCP_DELAYED_ACKS,         /* ACKs sent by the delayed-ACK timer */
    CTR_TCP_PERSIST_PROBES,       /* zero-window probes sent */
    CTR_TCP_KEEPALIVE_PROBES,     /* keepalive probes sent */
    CTR_TCP_TIMEWAIT_REUSED,      /* TIME_WAIT ended early by a new SYN (RFC 6191) */
    CTR_TCP_RX_DROP_NO_MEMORY,    /* SYN dropped: connection limit or allocation;
                                     out-of-order data without memory */
    CTR_TCP_SACK_RECOVERIES,      /* recoveries driven by SACK (RFC 6675) */
    CTR_TCP_RENO_RECOVERIES,      /* recoveries by dupacks alone (RFC 6582) */
    CTR_TCP_OOW_ACK_LIMITED,      /* ACK to a bare out-of-window/PAWS segment not sent: 500 ms limit */
    CTR_TCP_ABORT_ON_DATA,        /* data for a closed (orphaned) connection: RST */
    CTR_TCP_RACK_LOST,            /* segments RACK deemed lost (RFC 8985 6.2) */
    CTR_TCP_TLP_PROBES,           /* tail loss probes sent (RFC 8985 7.3) */
    CTR_TCP_TLP_RECOVERIES,       /* losses a retransmitted probe repaired (7.4) */
    /* IPv6 (core/ipv6.c, core/reasm6.c) */
    CTR_IPV6_RX,
    CTR_IPV6_RX_DELIVERED,
    CTR_IPV6_TX,
    CTR_IPV6_RX_DROP_TRUNCATED,   /* shorter than 40 bytes */
    CTR_IPV6_RX_DROP_BAD_VERSION,
    CTR_IPV6_RX_DROP_BAD_LENGTH,  /* payload length past the frame */
    CTR_IPV6_RX_DROP_JUMBO,       /* RFC 2675 jumbogram: not supported */
    CTR_IPV6_RX_DROP_BAD_SRC,     /* multicast or loopback source */
    CTR_IPV6_RX_DROP_NOT_FOR_US,  /* not our address nor a joined group */
    CTR_IPV6_RX_DROP_BAD_EXT,     /* extension header chain refused */
    CTR_IPV6_RX_DROP_UNKNOWN_PROTO, /* Parameter Problem code 1 */
    CTR_IPV6_RX_NO_NEXT_HEADER,   /* Next Header 59: nothing to deliver */
    CTR_IPV6_TX_DROP_NO_ROUTE,
    CTR_IPV6_TX_DROP_TOO_BIG,     /* above the path MTU */
    CTR_IPV6_TX_DROP_NO_SRC,      /* no usable source address */
    CTR_IPV6_TX_FRAGMENTS,        /* fragments sent (UDP and echo replies) */
    CTR_IPV6_RX_ATOMIC_FRAGS,     /* RFC 6946: handled without reassembly */
    CTR_IPV6_REASM_FRAGS,         /* fragments handed to reassembly */
    CTR_IPV6_REASM_OK,            /* datagrams reassembled */
    CTR_IPV6_REASM_DROP_OVERLAP,  /* RFC 5722: whole datagram dropped */
    CTR_IPV6_REASM_DROP_DUP,      /* exact duplicate fragment dropped */
    CTR_IPV6_REASM_DROP_TIMEOUT,  /* 60 s passed before completion */
    CTR_IPV6_REASM_DROP_MEMORY,   /* fragment dropped: memory or slot cap */
    CTR_IPV6_REASM_DROP_BAD,      /* inconsistent lengths, nested fragment */
    CTR_IPV6_PMTU_UPDATES,        /* path MTU lowered by Packet Too Big */
    /* ICMPv6 (core/icmp6.c) */
    CTR_ICMP6_RX,
    CTR_ICMP6_RX_ECHO_REQUESTS,
    CTR_ICMP6_RX_ECHO_REPLIES,
    CTR_ICMP6_RX_DEST_UNREACH,
    CTR_ICMP6_RX_PKT_TOO_BIG,
    CTR_ICMP6_RX_TIME_EXCEEDED,
    CTR_ICMP6_RX_PARAM_PROBLEM,
    CTR_ICMP6_RX_ND,              /* valid ND messages handed to nd_input */
    CTR_ICMP6_RX_MLD_QUERIES,
    CTR_ICMP6_RX_OTHER,
    CTR_ICMP6_RX_DROP_TRUNCATED,
    CTR_ICMP6_RX_DROP_BAD_CSUM,
    CTR_ICMP6_RX_DROP_BAD_QUOTE,  /* error whose quoted packet is not ours */
    CTR_ICMP6_RX_DROP_BAD_ND,     /* refused by the RFC 4861 validity checks */
    CTR_ICMP6_RX_DROP_BAD_MLD,    /* query refused (RFC 3810 5, 6.2) */
    CTR_ICMP6_TX_ECHO_REPLIES,
    CTR_ICMP6_TX_DEST_UNREACH,
    CTR_ICMP6_TX_TIME_EXCEEDED,
    CTR_ICMP6_TX_PARAM_PROBLEM,
    CTR_ICMP6_TX_MLD_REPORTS,     /* answers to queries (unsolicited: MLD_REPORTS_SENT) */
    CTR_ICMP6_TX_RATELIMITED,     /* error not sent: token bucket empty */
    CTR_ICMP6_TX_SUPPRESSED,      /* error not sent: RFC 4443 2.4 (e) */
    /* ND and address configuration (RFC 4861, RFC 4862: core/nd.c, addrconf.c) */
    CTR_ND_RX_NS,
    CTR_ND_RX_NA,
    CTR_ND_RX_RA,
    CTR_ND_RX_IGNORED,            /* RS and Redirect: a host ignores them */
    CTR_ND_RX_DROP_INVALID,       /* bad fixed part or options, RA not link-local */
    CTR_ND_RX_NOT_FOR_US,         /* NS for an address that is not ours */
    CTR_ND_TX_NS,
    CTR_ND_TX_DAD_NS,             /* NS from :: for duplicate address detection */
    CTR_ND_TX_NA,
    CTR_ND_TX_RS,
    CTR_ND_PENDING_QUEUED,        /* packets queued while resolving */
    CTR_ND_PENDING_DROPPED,       /* queue full, no memory, or resolution failed */
    CTR_ND_RESOLVE_FAILED,        /* INCOMPLETE or PROBE without an answer */
    CTR_ND_CACHE_EVICTIONS,
    CTR_ND_DAD_DUPLICATES,        /* DAD failed: address not used */
    CTR_ND_ADDR_CONFLICTS,        /* NA from another node for one of our addresses */
    CTR_ND_SLAAC_ADDRS,           /* addresses formed from RA prefixes */
    CTR_ND_ADDR_TABLE_FULL,       /* address not added: NETIF_MAX_ADDR6 */
    CTR_ND_ROUTERS_IGNORED,       /* default router list full */
    CTR_ND_PREFIXES_IGNORED,      /* prefix list full, or not /64 for SLAAC */
    CTR_ND_ADDR_REGENERATED,      /* RFC 7217 6: stable address formed again after DAD failed */
    CTR_ICMP6_MLD_REPORTS_SENT,   /* unsolicited State Change Reports (RFC 3810 6.1) */
    CTR_ICMP6_MLD_JOINS,          /* solicited-node groups joined */
    CTR_ICMP6_MLD_LEAVES,         /* solicited-node groups left */
    CTR_ICMP6_MLD_PENDING_FULL,   /* change not reported: pending table full */
    /* IPv4 fragmentation and reassembly (core/ipv4.c, core/reasm4.c), as
     * Linux's Ip: FragCreates, ReasmReqds, ReasmOKs, ReasmFails,
     * ReasmTimeout, ReasmOverlaps */
    CTR_IPV4_TX_FRAGMENTS,        /* fragments sent (UDP and ICMP above the MTU) */
    CTR_IPV4_REASM_REQDS,         /* fragments handed to reassembly */
    CTR_IPV4_REASM_OKS,           /* datagrams reassembled */
    CTR_IPV4_REASM_FAILS,         /* failures of any kind: the four below, bad lengths, memory */
    CTR_IPV4_REASM_TIMEOUTS,      /* 30 s passed before completion */
    CTR_IPV4_REASM_OVERLAPS,      /* overlapping fragments: the whole datagram dropped */
    CTR_IPV4_REASM_EVICTED,       /* oldest datagram dropped: datagram or byte cap */
    /* Loopback (core/loopback.c) and local addresses */
    CTR_LO_TX_PACKETS,            /* packets to lo (ours, 127/8, ::1) */
    CTR_LO_RX_PACKETS,            /* taken in from lo's queue */
    CTR_LO_DROP_QUEUE_FULL,       /* lo's queue full (STACK_LOOPBACK_QUEUE_*) */
    CTR_IPV4_RX_DROP_MARTIAN,     /* 127/8 destination on a link (RFC 1122 3.2.1.3 (g)) */
    CTR_IPV6_RX_DROP_MARTIAN,     /* ::1 destination on a link (RFC 4291 2.5.3) */
    /* Path MTU (core/pmtu.c) */
    CTR_IPV4_PMTU_UPDATES,        /* path MTU lowered by "fragmentation needed" (RFC 1191) */
    CTR_ICMP4_RX_FRAG_NEEDED,     /* "fragmentation needed" received (Linux: none) */
    CTR_ICMP4_RX_DROP_PMTU_STALE, /* ...about a TCP segment not in flight (RFC 5927 4.1) */
    CTR_ICMP6_RX_DROP_PMTU_STALE, /* Packet Too Big about a TCP segment not in flight */
    CTR_TCP_PMTU_BLACKHOLES,      /* RFC 4821 10.3: full-sized segments lost, path lowered */
    /* DHCPv4 client (core/dhcp4.c) */
    CTR_DHCP4_RX,                 /* UDP 67 -> 68 on a DHCP interface */
    CTR_DHCP4_RX_DROP_MALFORMED,  /* bad UDP or BOOTP/DHCP framing */
    CTR_DHCP4_RX_DROP_NOT_OURS,   /* not a reply to our MAC and transaction id */
    CTR_DHCP4_RX_DROP_UNEXPECTED, /* a message the state does not wait for */
    CTR_DHCP4_RX_DROP_BAD_LEASE,  /* no server id, not a host address, not what we asked */
    CTR_DHCP4_OPTIONS_IGNORED,    /* malformed or unusable options (routers off-link...) */
    CTR_DHCP4_RX_OFFER,
    CTR_DHCP4_RX_ACK,
    CTR_DHCP4_RX_NAK,
    CTR_DHCP4_TX_DISCOVER,
    CTR_DHCP4_TX_REQUEST,
    CTR_DHCP4_TX_DECLINE,
    CTR_DHCP4_TX_RELEASE,
    CTR_DHCP4_LEASES_OBTAINED,
    CTR_DHCP4_LEASES_RENEWED,
    CTR_DHCP4_LEASES_EXPIRED,
    CTR_DHCP4_CONFLICTS,          /* RFC 5227: the offered address answered a probe */
    CTR_ND_RX_DNS_IGNORED,        /* RFC 8106 RDNSS/DNSSL malformed, or a bad server */
    CTR_TCP_SYN_RETRANS,          /* SYN and SYN-ACK retransmissions (Linux TCPSynRetrans) */
    CTR_MAX
};

/* "eth.rx_frames" etc. NULL for an out-of-range index. */
const char *stack_counter_name(enum stack_counter c);

#endif
