/*
 * portolan-ref: the C yardstick for `portolan analyze`.
 *
 * The floor of the analyzer's per-packet work, not all of it: walk a mapped pcap or pcapng file
 * in place, decode Ethernet (+802.1Q/802.1ad tags), IPv4/IPv6 (with extension headers),
 * TCP/UDP/ICMP/ICMPv6 (and the header quoted by ICMP errors), update an open-addressing flow
 * table keyed by the bidirectional 5-tuple (+ outer VLAN) with per-direction counters and
 * flags, decide the server side, and look the server port up in a 65,536-entry table per
 * transport. It keeps no TCP state machine, no Zeek history, no evidence frames, no accounting
 * by layer, and makes no verdicts or report: what portolan does beyond it is measured against
 * this floor (Benchmarks/PERFORMANCE.md).
 * It prints the totals so a run can be checked against portolan's accounting.
 *
 *   portolan-ref [--libpcap] [--read-only] FILE
 *     --libpcap    read with libpcap's pcap_next_ex instead of walking the mapping
 *     --read-only  only walk the records (no decode, no flows): the file-walking floor
 *
 * Build: cc -O2 -march=native -o portolan-ref portolan-ref.c -lpcap   (see Makefile)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static inline uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t be64(const uint8_t *p) { return (uint64_t)be32(p) << 32 | be32(p + 4); }
static inline uint32_t rd32(const uint8_t *p, int swap) {
    uint32_t v;
    memcpy(&v, p, 4);
    return swap ? __builtin_bswap32(v) : v;
}
static inline uint16_t rd16(const uint8_t *p, int swap) {
    uint16_t v;
    memcpy(&v, p, 2);
    return swap ? __builtin_bswap16(v) : v;
}

/* ---- decoded summary (what PacketSummary carries, reduced to what the flow needs) ---- */
typedef struct {
    uint64_t src_hi, src_lo, dst_hi, dst_lo;
    uint16_t sport, dport, vlan;
    uint8_t version, proto, has_ports, tcp_flags, icmp_type, icmp_code;
    uint8_t quoted; /* ICMP error: the 5-tuple below is the quoted packet's */
} summary_t;

enum { STOP_NONE, STOP_NONIP, STOP_TRUNC, STOP_OTHER };

/* Decodes an IPv4/IPv6 header and the transport header after it. Returns STOP_* */
static int decode_ip(const uint8_t *p, size_t n, summary_t *s, int depth) {
    if (n < 1) return STOP_TRUNC;
    uint8_t v = p[0] >> 4;
    const uint8_t *l4;
    size_t l4n;
    uint8_t proto;
    int first_fragment = 1;
    if (v == 4) {
        if (n < 20) return STOP_TRUNC;
        size_t ihl = (size_t)(p[0] & 15) * 4;
        if (ihl < 20 || ihl > n) return STOP_TRUNC;
        size_t total = be16(p + 2);
        if (total < ihl) return STOP_OTHER;
        if (total > n || total == 0) total = n; /* snaplen / TSO */
        uint16_t frag = be16(p + 6);
        first_fragment = (frag & 0x1FFF) == 0;
        proto = p[9];
        s->version = 4;
        s->src_hi = 0; s->src_lo = 0x0000FFFF00000000ull | be32(p + 12);
        s->dst_hi = 0; s->dst_lo = 0x0000FFFF00000000ull | be32(p + 16);
        l4 = p + ihl;
        l4n = total - ihl;
    } else if (v == 6) {
        if (n < 40) return STOP_TRUNC;
        size_t plen = be16(p + 4);
        if (40 + plen < n && plen != 0) n = 40 + plen;
        proto = p[6];
        s->version = 6;
        s->src_hi = be64(p + 8); s->src_lo = be64(p + 16);
        s->dst_hi = be64(p + 24); s->dst_lo = be64(p + 32);
        size_t off = 40;
        for (int i = 0; i < 8; i++) { /* HBH, routing, fragment, destination options */
            if (proto == 0 || proto == 43 || proto == 60) {
                if (off + 8 > n) return STOP_TRUNC;
                size_t len = ((size_t)p[off + 1] + 1) * 8;
                proto = p[off];
                off += len;
            } else if (proto == 44) {
                if (off + 8 > n) return STOP_TRUNC;
                first_fragment = (be16(p + off + 2) & 0xFFF8) == 0;
                proto = p[off];
                off += 8;
            } else break;
        }
        if (off > n) return STOP_TRUNC;
        l4 = p + off;
        l4n = n - off;
    } else {
        return STOP_OTHER;
    }
    s->proto = proto;
    if (!first_fragment) return STOP_NONE;
    if (proto == 6 || proto == 17) {
        if (l4n < 8) return STOP_TRUNC;
        s->sport = be16(l4);
        s->dport = be16(l4 + 2);
        s->has_ports = 1;
        if (proto == 6 && l4n >= 14) s->tcp_flags = l4[13];
    } else if ((proto == 1 && v == 4) || (proto == 58 && v == 6)) {
        if (l4n < 8) return STOP_TRUNC;
        s->icmp_type = l4[0];
        s->icmp_code = l4[1];
        int error = v == 4 ? (l4[0] == 3 || l4[0] == 11 || l4[0] == 12 || l4[0] == 5 || l4[0] == 4)
                           : (l4[0] >= 1 && l4[0] <= 4);
        if (error && depth == 0) {
            summary_t q = {0};
            if (decode_ip(l4 + 8, l4n - 8, &q, 1) != STOP_OTHER && q.has_ports) {
                s->src_hi = q.src_hi; s->src_lo = q.src_lo; s->dst_hi = q.dst_hi; s->dst_lo = q.dst_lo;
                s->sport = q.sport; s->dport = q.dport; s->proto = q.proto; s->has_ports = 1;
                s->quoted = 1;
            }
        } else if (!error) {
            /* echo: key by identifier on both sides, as flow tools do */
            s->sport = s->dport = be16(l4 + 4);
            s->has_ports = 1;
        }
    }
    return STOP_NONE;
}

static int decode_ethernet(const uint8_t *p, size_t n, summary_t *s) {
    if (n < 14) return STOP_TRUNC;
    size_t off = 12;
    uint16_t et = be16(p + off);
    int tags = 0;
    while ((et == 0x8100 || et == 0x88A8 || et == 0x9100) && tags < 4) {
        if (off + 6 > n) return STOP_TRUNC;
        if (tags == 0) s->vlan = be16(p + off + 2) & 0x0FFF;
        off += 4;
        et = be16(p + off);
        tags++;
    }
    off += 2;
    if (et != 0x0800 && et != 0x86DD) return STOP_NONIP;
    return decode_ip(p + off, n - off, s, 0);
}

/* ---- flow table: open addressing (linear probing) of 32-bit slots into a dense array ---- */
typedef struct {
    uint64_t a_hi, a_lo, b_hi, b_lo;
    uint16_t a_port, b_port, vlan;
    uint8_t proto, version;
    uint8_t flags_ab, flags_ba, server_is_b, server_known;
    uint32_t pkts_ab, pkts_ba;
    uint64_t bytes_ab, bytes_ba;
    uint64_t first_frame;
    int64_t first_ts, last_ts;
    uint32_t icmp_errors;
    int32_t entry;
} flow_t;

typedef struct { uint32_t hash, index; } slot_t; /* index 0 = empty, else flow index + 1 */

static slot_t *slots;
static uint32_t slot_mask;
static flow_t *flows;
static uint32_t flow_count, flow_cap;

static inline uint64_t mix(uint64_t x) {
    x ^= x >> 33; x *= 0xff51afd7ed558ccdull; x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ull; x ^= x >> 33;
    return x;
}

static void grow(void) {
    uint32_t cap = (slot_mask + 1) * 2;
    slot_t *ns = calloc(cap, sizeof(slot_t));
    for (uint32_t i = 0; i <= slot_mask; i++) {
        if (!slots[i].index) continue;
        uint32_t j = slots[i].hash & (cap - 1);
        while (ns[j].index) j = (j + 1) & (cap - 1);
        ns[j] = slots[i];
    }
    free(slots);
    slots = ns;
    slot_mask = cap - 1;
}

/* ---- catalog: 65,536 entries per transport, entry id or -1 ---- */
static int16_t port_table[2][65536];

static void build_catalog(void) {
    memset(port_table, 0xFF, sizeof port_table);
    /* DC/OS 1.8 and Dynatrace Managed ports (the built-in catalogs' single ports and ranges). */
    static const uint16_t tcp[] = {61003, 61053, 61420, 61421, 62053, 62080, 62501, 62502, 62503, 53, 80, 443,
                                   1050, 1337, 2181, 3888, 5050, 7070, 8080, 8101, 8123, 8181, 8200, 9090, 9990,
                                   8888, 15055, 15101, 15201, 62500, 5051, 61001, 61002, 8443, 8018, 8019, 8020,
                                   8021, 8022, 9042, 7000, 7001, 7199, 9200, 9300};
    static const uint16_t udp[] = {61053, 62053, 64000, 53};
    int16_t id = 0;
    for (size_t i = 0; i < sizeof tcp / sizeof tcp[0]; i++) port_table[0][tcp[i]] = id++;
    for (size_t i = 0; i < sizeof udp / sizeof udp[0]; i++) port_table[1][udp[i]] = id++;
    static const uint16_t ranges[][2] = {{1025, 2180}, {2182, 3887}, {3889, 5049}, {5052, 8079}, {8082, 8180},
                                         {8182, 32000}, {5701, 5711}};
    for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++, id++)
        for (uint32_t p = ranges[r][0]; p <= ranges[r][1]; p++)
            if (port_table[0][p] < 0) port_table[0][p] = id;
}

/* ---- totals ---- */
static uint64_t packets, bytes, non_ip, stops, non_flow_ip, icmp_matched, icmp_unmatched, catalogued;

static void account(const uint8_t *frame, uint32_t caplen, uint32_t wirelen, int64_t ts, uint64_t frame_no) {
    packets++;
    bytes += wirelen;
    summary_t s;
    memset(&s, 0, sizeof s);
    int stop = decode_ethernet(frame, caplen, &s);
    if (stop == STOP_NONIP) { non_ip++; return; }
    if (stop != STOP_NONE) { stops++; return; }
    if (!s.has_ports) { non_flow_ip++; return; }

    /* canonical bidirectional key: the smaller (address, port) endpoint first */
    int swap = s.src_hi != s.dst_hi ? s.src_hi > s.dst_hi
             : s.src_lo != s.dst_lo ? s.src_lo > s.dst_lo : s.sport > s.dport;
    uint64_t a_hi = swap ? s.dst_hi : s.src_hi, a_lo = swap ? s.dst_lo : s.src_lo;
    uint64_t b_hi = swap ? s.src_hi : s.dst_hi, b_lo = swap ? s.src_lo : s.dst_lo;
    uint16_t a_port = swap ? s.dport : s.sport, b_port = swap ? s.sport : s.dport;
    uint64_t h64 = mix(a_hi ^ mix(a_lo ^ mix(b_hi ^ mix(b_lo ^ ((uint64_t)a_port << 48 | (uint64_t)b_port << 32 |
                                                               (uint64_t)s.vlan << 16 | (uint64_t)s.proto << 8 |
                                                               s.version)))));
    uint32_t h = (uint32_t)h64;
    uint32_t j = h & slot_mask;
    flow_t *f = NULL;
    for (;;) {
        uint32_t idx = slots[j].index;
        if (!idx) break;
        if (slots[j].hash == h) {
            flow_t *c = &flows[idx - 1];
            if (c->a_lo == a_lo && c->b_lo == b_lo && c->a_hi == a_hi && c->b_hi == b_hi && c->a_port == a_port &&
                c->b_port == b_port && c->proto == s.proto && c->vlan == s.vlan && c->version == s.version) {
                f = c;
                break;
            }
        }
        j = (j + 1) & slot_mask;
    }
    if (s.quoted) {
        if (f) { f->icmp_errors++; icmp_matched++; } else icmp_unmatched++;
        return;
    }
    if (!f) {
        if (flow_count == flow_cap) {
            flow_cap = flow_cap ? flow_cap * 2 : 1024;
            flows = realloc(flows, (size_t)flow_cap * sizeof(flow_t));
        }
        f = &flows[flow_count];
        memset(f, 0, sizeof *f);
        f->a_hi = a_hi; f->a_lo = a_lo; f->b_hi = b_hi; f->b_lo = b_lo;
        f->a_port = a_port; f->b_port = b_port; f->vlan = s.vlan; f->proto = s.proto; f->version = s.version;
        f->first_frame = frame_no;
        f->first_ts = ts;
        f->entry = -1;
        slots[j].hash = h;
        slots[j].index = ++flow_count;
        if ((uint64_t)flow_count * 4 > (uint64_t)(slot_mask + 1) * 3) grow();
    }
    f->last_ts = ts;
    if (swap) { f->pkts_ba++; f->bytes_ba += wirelen; f->flags_ba |= s.tcp_flags; }
    else { f->pkts_ab++; f->bytes_ab += wirelen; f->flags_ab |= s.tcp_flags; }
    /* server: the SYN's destination; else the side whose port the catalog knows; else the lower port */
    if (!f->server_known) {
        int t = s.proto == 6 ? 0 : 1;
        if (s.proto == 6 && (s.tcp_flags & 0x12) == 0x02) { f->server_is_b = !swap; f->server_known = 1; }
        else if (port_table[t][b_port] >= 0) f->server_is_b = 1;
        else if (port_table[t][a_port] >= 0) f->server_is_b = 0;
        else f->server_is_b = b_port < a_port;
    }
    uint16_t server_port = f->server_is_b ? f->b_port : f->a_port;
    f->entry = s.proto == 6 || s.proto == 17 ? port_table[s.proto == 6 ? 0 : 1][server_port] : -1;
}

/* ---- file walking ---- */
/* Like portolan's reader: pages behind the walk leave the resident set every 32 MiB, so peak
 * RSS measures the flow table, not the file. */
static const uint8_t *map_base;
static size_t release_mark = 32u << 20;
static inline void release_behind(size_t off) {
    if (off < release_mark) return;
    madvise((void *)map_base, off & ~(size_t)4095, MADV_DONTNEED);
    release_mark = off + (32u << 20);
}

static int walk_pcap(const uint8_t *m, size_t size, int read_only) {
    uint32_t magic;
    memcpy(&magic, m, 4);
    int swap = magic == 0xD4C3B2A1 || magic == 0x4D3CB2A1;
    int nano = magic == 0xA1B23C4D || magic == 0x4D3CB2A1;
    size_t off = 24;
    uint64_t n = 0;
    while (off + 16 <= size) {
        const uint8_t *r = m + off;
        uint32_t caplen = rd32(r + 8, swap), wirelen = rd32(r + 12, swap);
        if (caplen > 262144 || off + 16 + caplen > size) { fprintf(stderr, "bad record at offset %zu\n", off); return 2; }
        int64_t ts = (int64_t)rd32(r, swap) * 1000000000 + (int64_t)rd32(r + 4, swap) * (nano ? 1 : 1000);
        n++;
        if (read_only) { packets++; bytes += wirelen; }
        else account(r + 16, caplen, wirelen, ts, n);
        off += 16 + caplen;
        release_behind(off);
    }
    return 0;
}

static int walk_pcapng(const uint8_t *m, size_t size, int read_only) {
    size_t off = 0;
    int swap = 0;
    uint32_t snap[64] = {0};
    uint32_t ifaces = 0;
    uint64_t n = 0;
    while (off + 12 <= size) {
        const uint8_t *b = m + off;
        uint32_t type = rd32(b, swap);
        if (type == 0x0A0D0D0A) {
            uint32_t bom;
            memcpy(&bom, b + 8, 4);
            swap = bom == 0x4D3C2B1A;
            ifaces = 0;
        }
        uint32_t len = rd32(b + 4, swap);
        if (len < 12 || (len & 3) || off + len > size) { fprintf(stderr, "bad block at offset %zu\n", off); return 2; }
        if (type == 1 && ifaces < 64) {
            snap[ifaces++] = rd32(b + 12, swap);
        } else if (type == 6 && len >= 32) {
            uint32_t caplen = rd32(b + 20, swap), wirelen = rd32(b + 24, swap);
            if (28 + caplen > len - 4) { fprintf(stderr, "bad EPB at offset %zu\n", off); return 2; }
            int64_t ts = (int64_t)((uint64_t)rd32(b + 12, swap) << 32 | rd32(b + 16, swap)); /* ns: if_tsresol 9 */
            n++;
            if (read_only) { packets++; bytes += wirelen; }
            else account(b + 28, caplen, wirelen, ts, n);
        } else if (type == 3 && len >= 16) {
            uint32_t wirelen = rd32(b + 8, swap);
            uint32_t caplen = wirelen;
            if (ifaces && snap[0] && caplen > snap[0]) caplen = snap[0];
            if (caplen > len - 16) caplen = len - 16;
            n++;
            if (read_only) { packets++; bytes += wirelen; }
            else account(b + 12, caplen, wirelen, 0, n);
        }
        (void)rd16;
        off += len;
        release_behind(off);
    }
    return 0;
}

static int walk_libpcap(const char *path, int read_only) {
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
    if (!p) { fprintf(stderr, "%s\n", err); return 2; }
    struct pcap_pkthdr *h;
    const u_char *data;
    uint64_t n = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        n++;
        if (read_only) { packets++; bytes += h->len; }
        else account(data, h->caplen, h->len, (int64_t)h->ts.tv_sec * 1000000000 + h->ts.tv_usec, n);
    }
    if (rc == -1) { fprintf(stderr, "%s\n", pcap_geterr(p)); pcap_close(p); return 2; }
    pcap_close(p);
    return 0;
}

int main(int argc, char **argv) {
    int use_libpcap = 0, read_only = 0;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--libpcap")) use_libpcap = 1;
        else if (!strcmp(argv[i], "--read-only")) read_only = 1;
        else path = argv[i];
    }
    if (!path) { fprintf(stderr, "usage: portolan-ref [--libpcap] [--read-only] FILE\n"); return 2; }
    build_catalog();
    slot_mask = (1u << 16) - 1;
    slots = calloc(slot_mask + 1, sizeof(slot_t));
    int rc;
    if (use_libpcap) {
        rc = walk_libpcap(path, read_only);
    } else {
        int fd = open(path, O_RDONLY);
        if (fd < 0) { perror(path); return 2; }
        struct stat st;
        fstat(fd, &st);
        size_t size = (size_t)st.st_size;
        if (size < 24) { fprintf(stderr, "%s: too short\n", path); return 2; }
        const uint8_t *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) { perror("mmap"); return 2; }
        madvise((void *)m, size, MADV_SEQUENTIAL);
        map_base = m;
        uint32_t magic;
        memcpy(&magic, m, 4);
        if (magic == 0x0A0D0D0A) rc = walk_pcapng(m, size, read_only);
        else if (magic == 0xA1B2C3D4 || magic == 0xA1B23C4D || magic == 0xD4C3B2A1 || magic == 0x4D3CB2A1)
            rc = walk_pcap(m, size, read_only);
        else { fprintf(stderr, "%s: not a pcap or pcapng file\n", path); return 2; }
        munmap((void *)m, size);
        close(fd);
    }
    uint64_t tcp = 0, udp = 0, icmp = 0;
    for (uint32_t i = 0; i < flow_count; i++) {
        if (flows[i].entry >= 0) catalogued++;
        if (flows[i].proto == 6) tcp++; else if (flows[i].proto == 17) udp++; else icmp++;
    }
    printf("packets %llu bytes %llu flows %u (tcp %llu udp %llu icmp %llu) catalogued %llu non-ip %llu "
           "other-ip %llu icmp-errors-matched %llu unmatched %llu decode-stops %llu\n",
           (unsigned long long)packets, (unsigned long long)bytes, flow_count, (unsigned long long)tcp,
           (unsigned long long)udp, (unsigned long long)icmp, (unsigned long long)catalogued,
           (unsigned long long)non_ip, (unsigned long long)non_flow_ip, (unsigned long long)icmp_matched,
           (unsigned long long)icmp_unmatched, (unsigned long long)stops);
    return rc;
}
