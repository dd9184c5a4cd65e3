/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "entry.h"
#include "message-id.h"

/* A hand-made catalogue: no loader involved, so only entry.c is tested. */
static struct catalog_product products[] = {
        { .name = "FaceTime" },
        { .name = "Game Center" },
        { .name = "Messages", .aliases = { "iChat" }, .n_aliases = 1 },
        { .name = "APNs", .aliases = { "Apple Push Notification service", "FaceTime" }, .n_aliases = 2 },
};

static struct catalog_entry entries[] = {
        {
                .id = "facetime-rtp",
                .ports = { { 3478, 3497 }, { 16384, 16387 } },
                .n_ports = 2,
                .transports = TRANSPORT_UDP,
                .protocol = "Real-Time Transport Protocol (RTP)",
                .products = { 0, 1, 2 },
                .n_products = 3,
                .scope = CATALOG_SCOPE_APPLE,
        },
        {
                .id = "apns",
                .ports = { { 5223, 5223 } },
                .n_ports = 1,
                .transports = TRANSPORT_TCP,
                .protocol = "Apple Push Notification service",
                .products = { 3 },
                .n_products = 1,
        },
        {
                .id = "apple-other",
                .protocol = "-",
        },
};

static const struct catalog catalog = {
        .source = "test",
        .entries = entries,
        .n_entries = ELEMENTSOF(entries),
        .products = products,
        .n_products = ELEMENTSOF(products),
        .apple_other = 2,
};

static void addr(int family, const char *s, union flow_addr *a) {
        assert_int_equal(inet_pton(family, s, a->bytes), 1);
}

static struct flow flow4(enum flow_action action) {
        struct flow f = {
                .action = action,
                .family = AF_INET,
                .l4proto = IPPROTO_UDP,
                .src_port = 60321,
                .dst_port = 16385,
        };

        addr(AF_INET, "192.168.1.20", &f.src);
        addr(AF_INET, "17.1.2.3", &f.dst);
        return f;
}

static const struct tag tag_rtp = {
        .confidence = CONFIDENCE_HIGH,
        .apple_network = true,
        .side = TAG_SIDE_SERVER,
        .port = 16385,
        .entry = 0,
};

/* The exact ordered field list. */
static void assert_fields(const struct entry *e, const char *const *expected) {
        unsigned n = 0;

        for (; expected[n]; n++) {
                assert_true(n < e->n_fields);
                assert_string_equal(entry_field_str(e, n), expected[n]);
                assert_int_equal(entry_field_len(e, n), strlen(expected[n]));
        }
        assert_int_equal(e->n_fields, n);
}

static void test_message_ids(void **state) {
        static const struct {
                sd_id128_t id;
                const char *str;
        } ids[] = {
                { MESSAGE_ID_CONNECTION, MESSAGE_ID_CONNECTION_STR },
                { MESSAGE_ID_CONNECTION_END, MESSAGE_ID_CONNECTION_END_STR },
                { MESSAGE_ID_PACKET_LOGGED, MESSAGE_ID_PACKET_LOGGED_STR },
                { MESSAGE_ID_SUMMARY, MESSAGE_ID_SUMMARY_STR },
                { MESSAGE_ID_EVENTS_LOST, MESSAGE_ID_EVENTS_LOST_STR },
                { MESSAGE_ID_NOT_WRITTEN, MESSAGE_ID_NOT_WRITTEN_STR },
                { MESSAGE_ID_STARTED, MESSAGE_ID_STARTED_STR },
                { MESSAGE_ID_RELOADED, MESSAGE_ID_RELOADED_STR },
                { MESSAGE_ID_RELOAD_FAILED, MESSAGE_ID_RELOAD_FAILED_STR },
                { MESSAGE_ID_STOPPING, MESSAGE_ID_STOPPING_STR },
        };
        char buf[SD_ID128_STRING_MAX];

        for (size_t i = 0; i < ELEMENTSOF(ids); i++) {
                assert_string_equal(sd_id128_to_string(ids[i].id, buf), ids[i].str);
                for (size_t j = 0; j < i; j++)
                        assert_false(sd_id128_equal(ids[i].id, ids[j].id));
        }
}

static void test_connection_new(void **state) {
        struct entry e;
        struct flow f = flow4(FLOW_CONNECTION_NEW);

        f.has_ct = true;
        f.ct_id = 3735928559u;
        f.ct_mark = 0x10;
        f.ct_zone = 0;
        assert_int_equal(entry_format_flow(&e, &f, &tag_rtp, &catalog), 0);
        assert_int_equal(e.kind, ENTRY_CONNECTION_NEW);
        assert_int_equal(e.priority, 6);
        assert_fields(&e, (const char *const[]) {
                                  "MESSAGE_ID=" MESSAGE_ID_CONNECTION_STR,
                                  "MESSAGE=FaceTime, Game Center, Messages (RTP 16384-16387/udp): "
                                  "192.168.1.20:60321 -> 17.1.2.3:16385",
                                  "PRIORITY=6",
                                  "SYSLOG_IDENTIFIER=appleflowd",
                                  "EVENT_ACTION=connection-new",
                                  "APPLE_SERVICE=facetime-rtp",
                                  "APPLE_PRODUCT=FaceTime",
                                  "APPLE_PRODUCT=Game Center",
                                  "APPLE_PRODUCT=Messages",
                                  "APPLE_PRODUCT=iChat",
                                  "APPLE_PRODUCTS=FaceTime;Game Center;Messages;iChat",
                                  "APPLE_NETWORK=1",
                                  "APPLE_CONFIDENCE=high",
                                  "APPLE_MATCHED_SIDE=server",
                                  "NETWORK_TRANSPORT=udp",
                                  "NETWORK_TYPE=ipv4",
                                  "SOURCE_IP=192.168.1.20",
                                  "SOURCE_PORT=60321",
                                  "DESTINATION_IP=17.1.2.3",
                                  "DESTINATION_PORT=16385",
                                  "APPLE_MATCHED_PORT=16385",
                                  "CT_ID=3735928559",
                                  "CT_MARK=16",
                                  "CT_ZONE=0",
                                  NULL,
                          });
        assert_string_equal(entry_get(&e, "APPLE_PRODUCT"), "FaceTime");
        assert_null(entry_get(&e, "APPLE"));
}

static void test_connection_new_nat_ipv6(void **state) {
        struct entry e;
        struct flow f = {
                .action = FLOW_CONNECTION_NEW,
                .family = AF_INET6,
                .l4proto = IPPROTO_TCP,
                .src_port = 50000,
                .dst_port = 5223,
                .has_snat = true,
                .snat_port = 41000,
        };
        struct tag t = { .confidence = CONFIDENCE_MEDIUM, .side = TAG_SIDE_SERVER, .port = 5223, .entry = 1 };

        addr(AF_INET6, "fd00::20", &f.src);
        addr(AF_INET6, "2620:149:a44::1", &f.dst);
        addr(AF_INET6, "2001:db8::1", &f.snat);
        assert_int_equal(entry_format_flow(&e, &f, &t, &catalog), 0);
        /* The alias "FaceTime" is a value of its own, written once. */
        assert_fields(&e, (const char *const[]) {
                                  "MESSAGE_ID=" MESSAGE_ID_CONNECTION_STR,
                                  "MESSAGE=APNs (Apple Push Notification service 5223/tcp): "
                                  "[fd00::20]:50000 -> [2620:149:a44::1]:5223 via [2001:db8::1]:41000",
                                  "PRIORITY=6",
                                  "SYSLOG_IDENTIFIER=appleflowd",
                                  "EVENT_ACTION=connection-new",
                                  "APPLE_SERVICE=apns",
                                  "APPLE_PRODUCT=APNs",
                                  "APPLE_PRODUCT=Apple Push Notification service",
                                  "APPLE_PRODUCT=FaceTime",
                                  "APPLE_PRODUCTS=APNs;Apple Push Notification service;FaceTime",
                                  "APPLE_NETWORK=0",
                                  "APPLE_CONFIDENCE=medium",
                                  "APPLE_MATCHED_SIDE=server",
                                  "NETWORK_TRANSPORT=tcp",
                                  "NETWORK_TYPE=ipv6",
                                  "SOURCE_IP=fd00::20",
                                  "SOURCE_PORT=50000",
                                  "DESTINATION_IP=2620:149:a44::1",
                                  "DESTINATION_PORT=5223",
                                  "APPLE_MATCHED_PORT=5223",
                                  "SOURCE_NAT_IP=2001:db8::1",
                                  "SOURCE_NAT_PORT=41000",
                                  NULL,
                          });

        /* A port forward: where the destination went, after the source NAT. */
        f.has_dnat = true;
        f.dnat_port = 548;
        addr(AF_INET6, "fd00::30", &f.dnat);
        assert_int_equal(entry_format_flow(&e, &f, &t, &catalog), 0);
        assert_string_equal(entry_get(&e, "DESTINATION_NAT_IP"), "fd00::30");
        assert_string_equal(entry_get(&e, "DESTINATION_NAT_PORT"), "548");
        assert_null(entry_get(&e, "APPLE_SIDE_FROM"));
}

static void test_connection_end(void **state) {
        struct entry e;
        struct flow f = flow4(FLOW_CONNECTION_END);

        f.has_counters = true;
        f.orig_packets = 10;
        f.orig_bytes = 1200;
        f.reply_packets = 12;
        f.reply_bytes = 18446744073709551615ull;
        f.has_timestamps = true;
        f.start_ns = 1000000000ull;
        f.stop_ns = 4250000001ull;
        f.has_status = true;
        f.ct_status = FLOW_CT_SEEN_REPLY;
        f.has_duration = true;
        f.duration_ns = 12000000;
        /* NFLOG fields belong to packets only. */
        assert_int_equal(entry_format_flow(&e, &f, &tag_rtp, &catalog), 0);
        assert_int_equal(e.kind, ENTRY_CONNECTION_END);
        assert_fields(&e, (const char *const[]) {
                                  "MESSAGE_ID=" MESSAGE_ID_CONNECTION_END_STR,
                                  "MESSAGE=FaceTime, Game Center, Messages (RTP 16384-16387/udp) ended: "
                                  "192.168.1.20:60321 -> 17.1.2.3:16385, lasted 0.012 s, 1200 B out, "
                                  "18446744073709551615 B in",
                                  "PRIORITY=6",
                                  "SYSLOG_IDENTIFIER=appleflowd",
                                  "EVENT_ACTION=connection-end",
                                  "APPLE_SERVICE=facetime-rtp",
                                  "APPLE_PRODUCT=FaceTime",
                                  "APPLE_PRODUCT=Game Center",
                                  "APPLE_PRODUCT=Messages",
                                  "APPLE_PRODUCT=iChat",
                                  "APPLE_PRODUCTS=FaceTime;Game Center;Messages;iChat",
                                  "APPLE_NETWORK=1",
                                  "APPLE_CONFIDENCE=high",
                                  "APPLE_MATCHED_SIDE=server",
                                  "NETWORK_TRANSPORT=udp",
                                  "NETWORK_TYPE=ipv4",
                                  "SOURCE_IP=192.168.1.20",
                                  "SOURCE_PORT=60321",
                                  "DESTINATION_IP=17.1.2.3",
                                  "DESTINATION_PORT=16385",
                                  "APPLE_MATCHED_PORT=16385",
                                  "SOURCE_BYTES=1200",
                                  "SOURCE_PACKETS=10",
                                  "DESTINATION_BYTES=18446744073709551615",
                                  "DESTINATION_PACKETS=12",
                                  "CONNTRACK_LIFETIME=3250000001",
                                  "EVENT_DURATION=12000000",
                                  "CONNECTION_ANSWERED=yes",
                                  NULL,
                          });

        /* Nobody answered, and the duration cannot be derived: the entry's
         * lifetime is said to be that, and the TCP state is named. */
        f.ct_status = 0;
        f.has_duration = false;
        f.l4proto = IPPROTO_TCP;
        f.has_tcp_state = true;
        f.tcp_state = 1;
        assert_int_equal(entry_format_flow(&e, &f, &tag_rtp, &catalog), 0);
        assert_string_equal(entry_get(&e, "CONNECTION_ANSWERED"), "no");
        assert_string_equal(entry_get(&e, "TCP_STATE"), "SYN_SENT");
        assert_null(entry_get(&e, "EVENT_DURATION"));
        assert_string_equal(entry_get(&e, "CONNTRACK_LIFETIME"), "3250000001");
        assert_string_equal(entry_get(&e, "MESSAGE"),
                            "FaceTime, Game Center, Messages (RTP 16384-16387/tcp) ended unanswered: "
                            "192.168.1.20:60321 -> 17.1.2.3:16385, conntrack entry kept 3.250 s, 1200 B out, "
                            "18446744073709551615 B in");
        f.l4proto = IPPROTO_UDP;
        f.has_tcp_state = false;
        f.has_status = false;

        /* No accounting: no counters, no duration, and a stop before the
         * start (clock trouble) gives no duration either. */
        f.has_counters = false;
        f.start_ns = 5;
        f.stop_ns = 4;
        assert_int_equal(entry_format_flow(&e, &f, &tag_rtp, &catalog), 0);
        assert_null(entry_get(&e, "SOURCE_BYTES"));
        assert_null(entry_get(&e, "EVENT_DURATION"));
        assert_null(entry_get(&e, "CONNTRACK_LIFETIME"));
        assert_null(entry_get(&e, "CONNECTION_ANSWERED"));
        assert_string_equal(entry_get(&e, "MESSAGE"),
                            "FaceTime, Game Center, Messages (RTP 16384-16387/udp) ended: "
                            "192.168.1.20:60321 -> 17.1.2.3:16385");
}

static void test_packet_logged(void **state) {
        struct entry e;
        struct flow f = flow4(FLOW_PACKET_LOGGED);
        /* apple-other: no port matched; a packet without conntrack state. */
        struct tag t = { .confidence = CONFIDENCE_HIGH, .apple_network = true, .port = 8443, .side = TAG_SIDE_NONE, .side_guessed = true, .entry = 2 };

        f.l4proto = IPPROTO_TCP;
        f.dst_port = 8443;
        f.has_nflog = true;
        f.nflog_group = 2;
        strcpy(f.nflog_prefix, "drop\n\"apple\"");
        strcpy(f.in_interface, "br-lan");
        strcpy(f.out_interface, "ppp0");
        /* Counters are for connection ends only. */
        f.has_counters = true;
        f.orig_bytes = 1;
        assert_int_equal(entry_format_flow(&e, &f, &t, &catalog), 0);
        assert_int_equal(e.kind, ENTRY_PACKET_LOGGED);
        assert_int_equal(e.priority, 5);
        assert_fields(&e, (const char *const[]) {
                                  "MESSAGE_ID=" MESSAGE_ID_PACKET_LOGGED_STR,
                                  "MESSAGE=apple-other (8443/tcp) packet logged: 192.168.1.20:60321 -> "
                                  "17.1.2.3:8443, prefix \"drop?\"apple\"\", group 2, in br-lan, out ppp0",
                                  "PRIORITY=5",
                                  "SYSLOG_IDENTIFIER=appleflowd",
                                  "EVENT_ACTION=packet-logged",
                                  "APPLE_SERVICE=apple-other",
                                  "APPLE_NETWORK=1",
                                  "APPLE_CONFIDENCE=high",
                                  "APPLE_MATCHED_SIDE=none",
                                  "NETWORK_TRANSPORT=tcp",
                                  "NETWORK_TYPE=ipv4",
                                  "SOURCE_IP=192.168.1.20",
                                  "SOURCE_PORT=60321",
                                  "DESTINATION_IP=17.1.2.3",
                                  "DESTINATION_PORT=8443",
                                  "APPLE_SIDE_FROM=rule",
                                  "NFLOG_GROUP=2",
                                  "NFLOG_PREFIX=drop?\"apple\"",
                                  "IN_INTERFACE=br-lan",
                                  "OUT_INTERFACE=ppp0",
                                  NULL,
                          });

        /* No prefix, no output interface (a packet to the router itself). */
        f.nflog_prefix[0] = '\0';
        f.out_interface[0] = '\0';
        assert_int_equal(entry_format_flow(&e, &f, &t, &catalog), 0);
        assert_null(entry_get(&e, "NFLOG_PREFIX"));
        assert_null(entry_get(&e, "OUT_INTERFACE"));
        assert_string_equal(entry_get(&e, "MESSAGE"),
                            "apple-other (8443/tcp) packet logged: 192.168.1.20:60321 -> "
                            "17.1.2.3:8443, group 2, in br-lan");
}

static void test_lost_and_not_written(void **state) {
        struct entry e;

        assert_int_equal(entry_format_lost(&e, &(struct entry_loss) {
                                                       .source = "conntrack",
                                                       .events = 4821,
                                                       .overruns = 1,
                                                       .receive_buffer = 262144,
                                               }),
                         0);
        assert_int_equal(e.kind, ENTRY_EVENTS_LOST);
        assert_fields(&e, (const char *const[]) {
                                  "MESSAGE_ID=" MESSAGE_ID_EVENTS_LOST_STR,
                                  "MESSAGE=conntrack: the kernel dropped 4821 events, the receive buffer was full "
                                  "(1 overrun); receive buffer now 262144 bytes",
                                  "PRIORITY=4",
                                  "SYSLOG_IDENTIFIER=appleflowd",
                                  "EVENT_ACTION=events-lost",
                                  "EVENT_PROVIDER=conntrack",
                                  "EVENTS_LOST=4821",
                                  "RECEIVE_BUFFER_OVERRUNS=1",
                                  "RECEIVE_BUFFER=262144",
                                  NULL,
                          });

        /* A lower bound says so; no buffer size when not known. */
        assert_int_equal(entry_format_lost(&e, &(struct entry_loss) {
                                                       .source = "nflog",
                                                       .events = 1,
                                                       .overruns = 3,
                                                       .at_least = true,
                                               }),
                         0);
        assert_fields(&e, (const char *const[]) {
                                  "MESSAGE_ID=" MESSAGE_ID_EVENTS_LOST_STR,
                                  "MESSAGE=nflog: the kernel dropped at least 1 event, the receive buffer was full (3 overruns)",
                                  "PRIORITY=4",
                                  "SYSLOG_IDENTIFIER=appleflowd",
                                  "EVENT_ACTION=events-lost",
                                  "EVENT_PROVIDER=nflog",
                                  "EVENTS_LOST=1",
                                  "RECEIVE_BUFFER_OVERRUNS=3",
                                  NULL,
                          });

        assert_int_equal(entry_format_not_written(&e, &(struct entry_unwritten) { .queue_full = 1234 }), 0);
        assert_int_equal(e.kind, ENTRY_NOT_WRITTEN);
        assert_fields(&e, (const char *const[]) {
                                  "MESSAGE_ID=" MESSAGE_ID_NOT_WRITTEN_STR,
                                  "MESSAGE=1234 entries not written: 1234 because the queue to the journal was full",
                                  "PRIORITY=4",
                                  "SYSLOG_IDENTIFIER=appleflowd",
                                  "EVENT_ACTION=entries-not-written",
                                  "ENTRIES_DROPPED=1234",
                                  NULL,
                          });

        /* Every reason that applies, the total in ENTRIES_DROPPED. */
        assert_int_equal(entry_format_not_written(&e, &(struct entry_unwritten) {
                                                              .queue_full = 5,
                                                              .refused = 1,
                                                              .at_stop = 2,
                                                      }),
                         0);
        assert_string_equal(entry_get(&e, "MESSAGE"),
                            "8 entries not written: 5 because the queue to the journal was full, "
                            "1 refused by the journal, 2 still queued when the daemon stopped");
        assert_string_equal(entry_get(&e, "ENTRIES_DROPPED"), "8");
        assert_int_equal(entry_format_not_written(&e, &(struct entry_unwritten) { .refused = 1 }), 0);
        assert_string_equal(entry_get(&e, "MESSAGE"), "1 entry not written: 1 refused by the journal");
}

static void test_message(void **state) {
        struct entry e, copy;
        struct iovec iov[ENTRY_FIELDS_MAX];

        assert_int_equal(entry_format_message(&e, MESSAGE_ID_STARTED_STR, 5,
                                              "appleflowd %s started, %zu entries", "0.1.0",
                                              (size_t) 120),
                         0);
        assert_int_equal(entry_add_field(&e, "CATALOG_SOURCE", "%s", "built-in"), 0);
        assert_int_equal(entry_add_field(&e, "bad", "x"), -EINVAL);
        assert_int_equal(entry_add_field(&e, "_PID", "1"), -EINVAL);
        assert_int_equal(entry_add_field(&e, "1A", "1"), -EINVAL);
        assert_int_equal(entry_format_message(&e, "nothex", 5, "x"), -EINVAL);

        assert_int_equal(entry_format_message(&e, MESSAGE_ID_STARTED_STR, 5,
                                              "appleflowd %s started", "0.1.0"),
                         0);
        assert_int_equal(entry_add_field(&e, "CATALOG_SOURCE", "%s", "built-in"), 0);
        entry_copy(&copy, &e);
        assert_fields(&copy, (const char *const[]) {
                                     "MESSAGE_ID=" MESSAGE_ID_STARTED_STR,
                                     "MESSAGE=appleflowd 0.1.0 started",
                                     "PRIORITY=5",
                                     "SYSLOG_IDENTIFIER=appleflowd",
                                     "CATALOG_SOURCE=built-in",
                                     NULL,
                             });
        assert_int_equal(entry_to_iovec(&copy, iov), 5);
        assert_int_equal(iov[1].iov_len, strlen("MESSAGE=appleflowd 0.1.0 started"));
        assert_memory_equal(iov[1].iov_base, "MESSAGE=appleflowd 0.1.0 started", iov[1].iov_len);
}

/* Fields are added until the buffer is full, then refused whole. */
static void test_full(void **state) {
        struct entry e;
        char big[1000];
        unsigned n;
        int r;

        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        assert_int_equal(entry_format_message(&e, MESSAGE_ID_SUMMARY_STR, 6, "summary"), 0);
        for (;;) {
                uint16_t len = e.len;

                n = e.n_fields;
                r = entry_add_field(&e, "BIG", "%s", big);
                if (r < 0) {
                        assert_int_equal(e.n_fields, n);
                        assert_int_equal(e.len, len);
                        break;
                }
        }
        assert_int_equal(r, -ENOBUFS);
        assert_true(e.len <= ENTRY_BUF_SIZE);
        for (unsigned i = 4; i < e.n_fields; i++)
                assert_int_equal(entry_field_len(&e, i), strlen("BIG=") + sizeof(big) - 1);

        /* And by count of fields. */
        assert_int_equal(entry_format_message(&e, MESSAGE_ID_SUMMARY_STR, 6, "summary"), 0);
        while ((r = entry_add_field(&e, "A", "1")) == 0)
                ;
        assert_int_equal(r, -ENOBUFS);
        assert_int_equal(e.n_fields, ENTRY_FIELDS_MAX);
}

/* b reads as a: the same header and the same fields. */
static void assert_same(const struct entry *a, const struct entry *b) {
        assert_int_equal(b->kind, a->kind);
        assert_int_equal(b->priority, a->priority);
        assert_int_equal(b->realtime_usec, a->realtime_usec);
        assert_int_equal(b->len, a->len);
        assert_int_equal(b->n_fields, a->n_fields);
        for (unsigned i = 0; i < a->n_fields; i++) {
                assert_int_equal(entry_field_len(b, i), entry_field_len(a, i));
                assert_memory_equal(entry_field_str(b, i), entry_field_str(a, i), entry_field_len(a, i) + 1);
        }
}

/* Packs e in place, after checking that a copy of exactly entry_size()
 * bytes reads the same (under ASan, a read beyond them fails). Returns the
 * size. */
static size_t pack(struct entry *e) {
        size_t size = entry_size(e);
        _cleanup_free_ struct entry *copy = malloc(size);
        _cleanup_free_ struct entry *before = malloc(sizeof(*before));

        assert_non_null(copy);
        assert_non_null(before);
        memcpy(before, e, sizeof(*e));
        assert_int_equal(entry_copy(copy, e), size);
        assert_same(e, copy);
        assert_int_equal(entry_pack(e), size);
        assert_int_equal(entry_size(e), size);
        assert_same(before, e);
        /* Packing again changes nothing. */
        assert_int_equal(entry_pack(e), size);
        assert_same(before, e);
        /* A packed entry ends with its table: nothing more fits. */
        assert_int_equal(entry_add_field(e, "EXTRA", "1"), -ENOBUFS);
        assert_same(before, e);
        return size;
}

/* Packed, an entry is only the bytes it uses and reads the same: a
 * connection in well under 1 KiB, with conntrack ids, NAT, counters. */
static void test_pack(void **state) {
        _cleanup_free_ struct entry *e = malloc(sizeof(*e));
        struct flow f = flow4(FLOW_CONNECTION_NEW);
        size_t size;
        char big[1000];

        assert_non_null(e);
        f.has_ct = true;
        f.ct_id = 3735928559u;
        f.has_snat = true;
        f.snat_port = 41000;
        addr(AF_INET, "198.51.100.1", &f.snat);
        assert_int_equal(entry_format_flow(e, &f, &tag_rtp, &catalog), 0);
        size = pack(e);
        /* Packed, an entry takes what its fields use: about a kilobyte of the
         * 9 KiB an unpacked one reserves, even with every field there. */
        assert_true(size < 1280);
        print_message("connection-new, IPv4 with NAT: %zu bytes packed, %zu unpacked\n", size, sizeof(*e));

        f = flow4(FLOW_CONNECTION_END);
        f.family = AF_INET6;
        addr(AF_INET6, "2001:db8:1234:5678:9abc:def0:1234:5678", &f.src);
        addr(AF_INET6, "2620:149:a44:1234:5678:9abc:def0:1234", &f.dst);
        f.has_ct = f.has_counters = f.has_timestamps = true;
        f.ct_id = 3735928559u;
        f.orig_bytes = f.reply_bytes = 123456789;
        f.orig_packets = f.reply_packets = 123456;
        f.stop_ns = 3600000000000ull;
        assert_int_equal(entry_format_flow(e, &f, &tag_rtp, &catalog), 0);
        size = pack(e);
        assert_true(size < 1280);
        print_message("connection-end, IPv6 with counters: %zu bytes packed\n", size);

        /* Text to the last byte: the table moves onto its own old place. */
        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        assert_int_equal(entry_format_message(e, MESSAGE_ID_SUMMARY_STR, 6, "summary"), 0);
        while (entry_add_field(e, "BIG", "%s", big) == 0)
                ;
        while (entry_add_field(e, "B", "x") == 0)
                ;
        assert_true(e->len > ENTRY_BUF_SIZE - 8);
        pack(e);

        /* An entry without fields. */
        assert_int_equal(entry_format_message(e, MESSAGE_ID_SUMMARY_STR, 6, "x"), 0);
        e->n_fields = 0;
        e->len = 0;
        assert_int_equal(pack(e), offsetof(struct entry, data));
}

static void fill(char *s, size_t size, char c) {
        memset(s, c, size - 1);
        s[size - 1] = '\0';
}

/* The longest entry a valid catalogue and the kernel can produce fits. */
static void test_longest(void **state) {
        static struct catalog_product p[CATALOG_ENTRY_PRODUCTS_MAX];
        static struct catalog_entry ce;
        struct catalog c = { .entries = &ce, .n_entries = 1, .products = p, .n_products = CATALOG_ENTRY_PRODUCTS_MAX };
        struct tag t = { .confidence = CONFIDENCE_MEDIUM, .port = 65535 };
        struct flow f = {
                .action = FLOW_CONNECTION_END,
                .family = AF_INET6,
                .l4proto = IPPROTO_UDP,
                .src_port = 65535,
                .dst_port = 65535,
                .snat_port = 65535,
                .has_snat = true,
                .has_ct = true,
                .has_counters = true,
                .has_timestamps = true,
                .has_nflog = true,
                .ct_id = UINT32_MAX,
                .ct_mark = UINT32_MAX,
                .ct_zone = UINT16_MAX,
                .orig_packets = UINT64_MAX,
                .orig_bytes = UINT64_MAX,
                .reply_packets = UINT64_MAX,
                .reply_bytes = UINT64_MAX,
                .start_ns = 0,
                .stop_ns = UINT64_MAX,
                .nflog_group = UINT16_MAX,
        };
        struct entry e;
        unsigned n_products = 0;

        fill(ce.id, sizeof(ce.id), 'i');
        fill(ce.protocol, sizeof(ce.protocol), 'p');
        ce.ports[0] = (struct port_range) { 10000, 65535 };
        ce.n_ports = 1;
        ce.n_products = CATALOG_ENTRY_PRODUCTS_MAX;
        for (unsigned i = 0; i < CATALOG_ENTRY_PRODUCTS_MAX; i++) {
                ce.products[i] = (uint16_t) i;
                fill(p[i].name, sizeof(p[i].name), 'A');
                p[i].name[0] = (char) ('a' + i);
                p[i].n_aliases = CATALOG_PRODUCT_ALIASES_MAX;
                for (unsigned a = 0; a < CATALOG_PRODUCT_ALIASES_MAX; a++) {
                        fill(p[i].aliases[a], sizeof(p[i].aliases[a]), 'B');
                        p[i].aliases[a][0] = (char) ('a' + i);
                        p[i].aliases[a][1] = (char) ('a' + a);
                }
        }
        /* The longest text form of an IPv6 address. */
        addr(AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", &f.src);
        addr(AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", &f.dst);
        addr(AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", &f.snat);
        fill(f.nflog_prefix, sizeof(f.nflog_prefix), 'x');
        fill(f.in_interface, sizeof(f.in_interface), 'y');
        fill(f.out_interface, sizeof(f.out_interface), 'z');

        assert_int_equal(entry_format_flow(&e, &f, &t, &c), 0);
        for (unsigned i = 0; i < e.n_fields; i++)
                if (strncmp(entry_field_str(&e, i), "APPLE_PRODUCT=", 14) == 0)
                        n_products++;
        assert_int_equal(n_products, CATALOG_ENTRY_PRODUCTS_MAX * (1 + CATALOG_PRODUCT_ALIASES_MAX));
        /* Every value in the joined field, the separator between each two. */
        assert_int_equal(strlen(entry_get(&e, "APPLE_PRODUCTS")),
                         CATALOG_ENTRY_PRODUCTS_MAX * (1 + CATALOG_PRODUCT_ALIASES_MAX) * CATALOG_PRODUCT_NAME_MAX - 1);
        assert_true(e.len <= ENTRY_FLOW_BYTES_MAX);
        assert_true(e.n_fields <= ENTRY_FLOW_FIELDS_MAX);

        /* Same with NFLOG fields on a logged packet. */
        f.action = FLOW_PACKET_LOGGED;
        assert_int_equal(entry_format_flow(&e, &f, &t, &c), 0);
        assert_non_null(entry_get(&e, "OUT_INTERFACE"));
        assert_true(e.len <= ENTRY_FLOW_BYTES_MAX);
}

/* The joined field: every value of the fields since first, in order, with
 * the separator no product name can contain; none when there is nothing. */
static void test_joined(void **state) {
        struct entry e;
        struct flow f = flow4(FLOW_CONNECTION_NEW);
        struct tag t = { .confidence = CONFIDENCE_HIGH, .apple_network = true, .port = 16385, .entry = 2 };
        unsigned first;

        assert_int_equal(entry_format_flow(&e, &f, &t, &catalog), 0);
        assert_null(entry_get(&e, "APPLE_PRODUCT"));
        assert_null(entry_get(&e, "APPLE_PRODUCTS"));

        assert_int_equal(entry_format_message(&e, MESSAGE_ID_STARTED_STR, 5, "m"), 0);
        first = e.n_fields;
        assert_int_equal(entry_add_joined(&e, "JOINED", first), 0);
        assert_int_equal(e.n_fields, first);
        assert_int_equal(entry_add_field(&e, "V", "one"), 0);
        assert_int_equal(entry_add_field(&e, "V", "two words"), 0);
        assert_int_equal(entry_add_field(&e, "V", "%s", ""), 0);
        assert_int_equal(entry_add_joined(&e, "JOINED", first), 0);
        assert_string_equal(entry_get(&e, "JOINED"), "one;two words;");
        assert_int_equal(entry_add_joined(&e, "bad name", first), -EINVAL);
        assert_int_equal(entry_add_joined(&e, "LATER", e.n_fields + 1), -EINVAL);
}

static void test_invalid(void **state) {
        struct entry e;
        struct flow f = flow4(FLOW_CONNECTION_NEW);
        struct tag t = tag_rtp;

        t.confidence = CONFIDENCE_NONE;
        assert_int_equal(entry_format_flow(&e, &f, &t, &catalog), -EINVAL);
        t = tag_rtp;
        t.entry = ELEMENTSOF(entries);
        assert_int_equal(entry_format_flow(&e, &f, &t, &catalog), -EINVAL);
        f.l4proto = IPPROTO_SCTP;
        assert_int_equal(entry_format_flow(&e, &f, &tag_rtp, &catalog), -EPROTONOSUPPORT);
        f = flow4(FLOW_CONNECTION_NEW);
        f.family = AF_UNIX;
        assert_int_equal(entry_format_flow(&e, &f, &tag_rtp, &catalog), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_message_ids),
                cmocka_unit_test(test_connection_new),
                cmocka_unit_test(test_connection_new_nat_ipv6),
                cmocka_unit_test(test_connection_end),
                cmocka_unit_test(test_packet_logged),
                cmocka_unit_test(test_lost_and_not_written),
                cmocka_unit_test(test_message),
                cmocka_unit_test(test_full),
                cmocka_unit_test(test_pack),
                cmocka_unit_test(test_longest),
                cmocka_unit_test(test_joined),
                cmocka_unit_test(test_invalid),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
