#!/usr/bin/env python3
# Writes the binary seed inputs of tests/fuzz/corpus/{nflog,conntrack,local-addresses,state}/:
# netlink datagrams as the kernel sends them and statistics state files, each
# valid or broken in one named way, and the crafted DNS answers of
# tests/fuzz/corpus/dns/ (its real answers, as dnsmasq sent them, are kept as
# they came). The text corpora are written by hand.
#
#   tests/fuzz/make-seeds.py            (from the repository root)
import os
import struct
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

AF_INET, AF_INET6 = 2, 10
TCP, UDP, ICMP = 6, 17, 1
NESTED = 0x8000


def pad(b):
    return b + b"\0" * (-len(b) % 4)


def attr(kind, payload):
    return pad(struct.pack("=HH", 4 + len(payload), kind) + payload)


def nest(kind, *attrs):
    return attr(kind | NESTED, b"".join(attrs))


def message(msg_type, family, res_id, attrs):
    body = struct.pack("=BB", family, 0) + struct.pack(">H", res_id) + b"".join(attrs)
    return struct.pack("=IHHII", 16 + len(body), msg_type, 0, 0, 0) + body


def be16(v):
    return struct.pack(">H", v)


def be32(v):
    return struct.pack(">I", v)


def be64(v):
    return struct.pack(">Q", v)


def write(sub, name, data):
    os.makedirs(os.path.join(ROOT, sub), exist_ok=True)
    with open(os.path.join(ROOT, sub, name), "wb") as f:
        f.write(data)


# conntrack tuples, in events and in NFLOG's NFULA_CT ---------------------------
ORIG, REPLY, ID, CTMARK, ZONE, CNT_ORIG, CNT_REPLY, TSTAMP = 1, 2, 12, 8, 18, 9, 10, 20


def tuple_attr(kind, family, src, dst, proto, sport, dport):
    a = (1, 2) if family == AF_INET else (3, 4)
    ip = nest(1, attr(a[0], src), attr(a[1], dst))
    p = [attr(1, bytes([proto]))]
    if sport is not None:
        p += [attr(2, be16(sport)), attr(3, be16(dport))]
    return nest(kind, ip, nest(2, *p))


lan4, apple4, wan4 = bytes([192, 168, 1, 20]), bytes([17, 1, 2, 3]), bytes([203, 0, 113, 1])
lan6 = bytes([0xfd, 0]) + bytes(13) + b"\x14"
apple6 = bytes([0x26, 0x20, 1, 0x49]) + bytes(11) + b"\7"


# NFLOG ----------------------------------------------------------------------
ULOG_PACKET = 4 << 8 | 0
PACKET_HDR, MARK, INDEV, OUTDEV, PAYLOAD, PREFIX, CT, CT_INFO = 1, 2, 4, 5, 9, 10, 18, 19
IP_CT_NEW, IP_CT_ESTABLISHED_REPLY, IP_CT_UNTRACKED = 2, 3, 7
ETH_P_IP, ETH_P_IPV6 = 0x0800, 0x86DD

udp4 = bytes([0x45, 0, 0, 28, 0, 1, 0, 0, 64, UDP, 0, 0, 192, 168, 1, 20, 17, 1, 2, 3,
              0xeb, 0xa1, 0x40, 0x01, 0, 8, 0, 0])
tcp6 = (bytes([0x60, 0, 0, 0, 0, 20, TCP, 64]) + bytes(15) + b"\1" + bytes([0x26, 0x20, 1, 0x49]) + bytes(11)
        + b"\7" + struct.pack(">HHIIBBHHH", 50000, 5223, 1, 0, 0x50, 0x02, 1024, 0, 0))


def nflog(hw, payload, *extra, group=1):
    attrs = [attr(PACKET_HDR, struct.pack(">HBB", hw, 3, 0))]
    if payload is not None:
        attrs.append(attr(PAYLOAD, payload))
    return message(ULOG_PACKET, AF_INET if hw == ETH_P_IP else AF_INET6, group, attrs + list(extra))


ct_nest = nest(CT, attr(12, be32(1234)), attr(8, be32(0x55)), attr(18, be16(3)))
write("nflog", "udp4-all-attributes",
      nflog(ETH_P_IP, udp4, attr(PREFIX, b"drop\0"), attr(INDEV, be32(1)), attr(OUTDEV, be32(999999)), ct_nest))
write("nflog", "tcp6-prefix-unterminated", nflog(ETH_P_IPV6, tcp6, attr(PREFIX, b"a\x01b\xffc\n"), group=65535))
write("nflog", "two-messages", nflog(ETH_P_IP, udp4) + nflog(ETH_P_IPV6, tcp6))
write("nflog", "family-mismatch", nflog(ETH_P_IPV6, udp4))
write("nflog", "no-payload", nflog(ETH_P_IP, None))
write("nflog", "truncated-udp", nflog(ETH_P_IP, udp4[:22]))
write("nflog", "ct-short-id", nflog(ETH_P_IP, udp4, nest(CT, attr(12, be16(1)))))
# the packet's connection: a reply, masqueraded; a forward to a LAN server;
# a tuple of the other family; a short direction; an untracked packet
router4 = bytes([192, 168, 1, 1])
write("nflog", "ct-reply-snat", nflog(ETH_P_IP, udp4, nest(
    CT, tuple_attr(ORIG, AF_INET, lan4, apple4, UDP, 60321, 16385),
    tuple_attr(REPLY, AF_INET, apple4, wan4, UDP, 16385, 61000), attr(12, be32(5))),
    attr(CT_INFO, be32(IP_CT_ESTABLISHED_REPLY))))
write("nflog", "ct-dnat6", nflog(ETH_P_IPV6, tcp6, nest(
    CT, tuple_attr(ORIG, AF_INET6, apple6, lan6, TCP, 50000, 5223),
    tuple_attr(REPLY, AF_INET6, lan6, apple6, TCP, 548, 50000)), attr(CT_INFO, be32(IP_CT_NEW))))
write("nflog", "ct-tuple-other-family", nflog(ETH_P_IP, udp4, nest(
    CT, tuple_attr(ORIG, AF_INET6, lan6, apple6, UDP, 1, 2)), attr(CT_INFO, be32(0))))
write("nflog", "ct-info-short", nflog(ETH_P_IP, udp4, nest(
    CT, tuple_attr(ORIG, AF_INET, lan4, router4, UDP, 60321, 53)), attr(CT_INFO, be16(3))))
write("nflog", "ct-untracked", nflog(ETH_P_IP, udp4, attr(CT_INFO, be32(IP_CT_UNTRACKED))))
write("nflog", "config-message", message(4 << 8 | 1, AF_INET, 1, [attr(1, b"\1")]))
m = bytearray(nflog(ETH_P_IP, udp4))
struct.pack_into("=H", m, 16 + 4 + 8, 200)      # payload attribute longer than the message
write("nflog", "attribute-overrun", bytes(m))
write("nflog", "message-cut", nflog(ETH_P_IP, udp4)[:-5])

# conntrack ------------------------------------------------------------------
CT_NEW, CT_DELETE = 1 << 8 | 0, 1 << 8 | 2


write("conntrack", "new-tcp4-snat", message(CT_NEW, AF_INET, 0, [
    tuple_attr(ORIG, AF_INET, lan4, apple4, TCP, 50000, 5223),
    tuple_attr(REPLY, AF_INET, apple4, wan4, TCP, 5223, 61000),
    attr(ID, be32(77)), attr(CTMARK, be32(1)), attr(ZONE, be16(2))]))
write("conntrack", "new-tcp4-dnat", message(CT_NEW, AF_INET, 0, [
    tuple_attr(ORIG, AF_INET, apple4, wan4, TCP, 50000, 8548),
    tuple_attr(REPLY, AF_INET, lan4, apple4, TCP, 548, 50000)]))
write("conntrack", "destroy-udp6-counters", message(CT_DELETE, AF_INET6, 0, [
    tuple_attr(ORIG, AF_INET6, lan6, apple6, UDP, 60321, 16385),
    tuple_attr(REPLY, AF_INET6, apple6, lan6, UDP, 16385, 60321),
    nest(CNT_ORIG, attr(1, be64(10)), attr(2, be64(1400))),
    nest(CNT_REPLY, attr(3, be32(12)), attr(4, be32(1600))),
    nest(TSTAMP, attr(1, be64(1 << 60)), attr(2, be64((1 << 60) + 5)))]))
write("conntrack", "icmp-ignored", message(CT_NEW, AF_INET, 0, [
    tuple_attr(ORIG, AF_INET, lan4, apple4, ICMP, None, None)]))
write("conntrack", "no-ports", message(CT_NEW, AF_INET, 0, [
    tuple_attr(ORIG, AF_INET, lan4, apple4, TCP, None, None)]))
write("conntrack", "v6-address-in-v4", message(CT_NEW, AF_INET, 0, [
    tuple_attr(ORIG, AF_INET6, lan6, apple6, TCP, 1, 2)]))
write("conntrack", "counter-3-bytes", message(CT_DELETE, AF_INET, 0, [
    tuple_attr(ORIG, AF_INET, lan4, apple4, UDP, 1, 2), nest(CNT_ORIG, attr(1, b"\0\0\1"))]))
write("conntrack", "two-messages-and-tail",
      message(CT_NEW, AF_INET, 0, [tuple_attr(ORIG, AF_INET, lan4, apple4, UDP, 1, 2)])
      + message(CT_DELETE, AF_INET, 0, [tuple_attr(ORIG, AF_INET, lan4, apple4, TCP, 3, 4)]) + b"\0\0\0")
write("conntrack", "other-subsystem", message(4 << 8, AF_INET, 0, []))

# rtnetlink addresses ---------------------------------------------------------
RTM_NEWADDR, RTM_DELADDR, NLMSG_DONE = 20, 21, 3
IFA_ADDRESS, IFA_LOCAL, IFA_LABEL = 1, 2, 3
RT_SCOPE_HOST = 254


def ifaddr(msg_type, family, prefixlen, scope, index, *attrs):
    body = struct.pack("=BBBBI", family, prefixlen, 0, scope, index) + b"".join(attrs)
    return struct.pack("=IHHII", 16 + len(body), msg_type, 0, 0, 0) + body


router_wan4, router6 = bytes([198, 51, 100, 1]), bytes([0xfd, 0]) + bytes(13) + b"\1"
write("local-addresses", "dump-v4-v6-done",
      ifaddr(RTM_NEWADDR, AF_INET, 8, RT_SCOPE_HOST, 1, attr(IFA_ADDRESS, bytes([127, 0, 0, 1])),
             attr(IFA_LOCAL, bytes([127, 0, 0, 1])), attr(IFA_LABEL, b"lo\0"))
      + ifaddr(RTM_NEWADDR, AF_INET6, 64, 0, 2, attr(IFA_ADDRESS, router6))
      + struct.pack("=IHHII", 20, NLMSG_DONE, 2, 1, 0) + bytes(4))
write("local-addresses", "point-to-point",
      ifaddr(RTM_NEWADDR, AF_INET, 32, 0, 3, attr(IFA_ADDRESS, wan4), attr(IFA_LOCAL, router_wan4)))
write("local-addresses", "new-then-delete",
      ifaddr(RTM_NEWADDR, AF_INET, 24, 0, 2, attr(IFA_LOCAL, router_wan4))
      + ifaddr(RTM_DELADDR, AF_INET, 24, 0, 2, attr(IFA_LOCAL, router_wan4)))
write("local-addresses", "v4-bytes-in-v6", ifaddr(RTM_NEWADDR, AF_INET6, 64, 0, 2, attr(IFA_ADDRESS, router_wan4)))
write("local-addresses", "prefix-too-long", ifaddr(RTM_NEWADDR, AF_INET, 33, 0, 2, attr(IFA_LOCAL, router_wan4)))
write("local-addresses", "message-cut", ifaddr(RTM_NEWADDR, AF_INET, 24, 0, 2, attr(IFA_LOCAL, router_wan4))[:-3])

# state ----------------------------------------------------------------------
# Keys of the catalogue tests/fuzz/fuzz.h loads, and two it does not know.
ENTRIES = ["apns", "facetime-rtp", "https", "bonjour", "apple-other"]
PRODUCTS = ["APNs", "FaceTime", "Game Center", "iCloud", "Messages", "Bonjour", 'Zürich "Quoted"\\Name']


def state(entries, products, version=1, crc=True, tail=b""):
    body = b"AFDSTATS" + struct.pack("<III", version, len(entries), len(products))
    for i, key in enumerate(entries + products):
        k = key.encode() if isinstance(key, str) else key
        body += bytes([len(k)]) + k + struct.pack("<QQQQ", i + 1, 2 * i, 2**64 - 1 - i, 7)
    body += tail
    return body + struct.pack("<I", zlib.crc32(body) if crc else 0)


write("state", "valid", state(ENTRIES, PRODUCTS))
write("state", "foreign-keys", state(["gone", "apns"], ["ichat", "push", "NoSuchProduct"]))
write("state", "empty", state([], []))
write("state", "bad-checksum", state(ENTRIES, [], crc=False))
write("state", "version-2", state(ENTRIES, [], version=2))
write("state", "trailing-bytes", state(["apns"], [], tail=b"\0"))
write("state", "key-with-nul", state(["ap\0ns"], []))
write("state", "key-48-bytes", state(["a" * 48], []))
write("state", "truncated", state(ENTRIES, PRODUCTS)[:60])
s = bytearray(state(["apns"], []))
struct.pack_into("<I", s, 12, 4097)             # more entries than a catalogue may hold
s[-4:] = struct.pack("<I", zlib.crc32(bytes(s[:-4])))
write("state", "too-many-entries", bytes(s))

# dns ------------------------------------------------------------------------
def dns_name(name):
    return b"".join(bytes([len(label)]) + label.encode() for label in name.split(".") if label) + b"\0"


def dns_answer(qname, records, qd=1, an=None, flags=0x8180):
    head = struct.pack(">HHHHHH", 0x1234, flags, qd, len(records) if an is None else an, 0, 0)
    return head + dns_name(qname) + struct.pack(">HH", 1, 1) + b"".join(records)


def rr(owner, kind, rdata, ttl=300):
    owner = owner if isinstance(owner, bytes) else dns_name(owner)
    return owner + struct.pack(">HHIH", kind, 1, ttl, len(rdata)) + rdata


A, CNAME, AAAA = 1, 5, 28
cdn = bytes([203, 0, 113, 40])
write("dns", "crafted-pointer-self", dns_answer("a.icloud.com", [b"\xc0\x1e" + struct.pack(">HHIH", A, 1, 60, 4) + cdn]))
write("dns", "crafted-pointer-forward", dns_answer("a.icloud.com", [b"\xc0\x30" + struct.pack(">HHIH", A, 1, 60, 4) + cdn]))
write("dns", "crafted-pointer-header", dns_answer("a.icloud.com", [b"\xc0\x04" + struct.pack(">HHIH", A, 1, 60, 4) + cdn]))
write("dns", "crafted-cname-loop", dns_answer("a.icloud.com", [rr("a.icloud.com", CNAME, dns_name("b.example.net")),
                                                              rr("b.example.net", CNAME, dns_name("a.icloud.com"))]))
write("dns", "crafted-chain-long", dns_answer("n0.icloud.com",
      [rr(f"n{i}.icloud.com", CNAME, dns_name(f"n{i + 1}.icloud.com")) for i in range(10)] + [rr("n10.icloud.com", A, cdn)]))
write("dns", "crafted-count-high", dns_answer("a.icloud.com", [rr("a.icloud.com", A, cdn)], an=5))
write("dns", "crafted-a-5-bytes", dns_answer("a.icloud.com", [rr("a.icloud.com", A, cdn + b"\1")]))
write("dns", "crafted-label-64", dns_answer("a" * 64 + ".com", []))
write("dns", "crafted-name-256", dns_answer(".".join(["b" * 63] * 4), []))
write("dns", "crafted-compressed-cname", dns_answer("www.icloud.com", [
      b"\xc0\x0c" + struct.pack(">HHIH", CNAME, 1, 300, 6) + b"\3cdn\xc0\x10",
      b"\xc0\x2c" + struct.pack(">HHIH", AAAA, 1, 20, 16) + bytes(15) + b"\1"]))
write("dns", "crafted-query", dns_answer("a.icloud.com", [], flags=0x0100))
