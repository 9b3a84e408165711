import FlowExport
import Testing

// The IPFIX encoder's bytes against RFC 7011's layout, read back field by field here (the
// end-to-end check against Debian's nfcapd is in PortolanCLITests/FleetExportTests).

private func u16(_ b: [UInt8], _ i: Int) -> Int { Int(b[i]) << 8 | Int(b[i + 1]) }
private func u32(_ b: [UInt8], _ i: Int) -> Int { u16(b, i) << 16 | u16(b, i + 2) }

private func record(component: String = "Marathon", v6: Bool = false) -> IPFIXRecord {
    IPFIXRecord(ipVersion: v6 ? 6 : 4, source: IPAddressBits(high: 0, low: 0x0A0A_0015),
                destination: IPAddressBits(high: 0, low: 0x0A0A_000B), sourcePort: 56544, destinationPort: 8080, proto: 6,
                tcpFlags: 0x1B, vlan: 100, startMillis: 1_700_000_000_123, endMillis: 1_700_000_001_456, packets: 6,
                octets: 495, component: Array(component.utf8)[...], catalog: Array("dcos-1.8".utf8)[...],
                verdict: Array("expected".utf8)[...])
}

@Suite struct IPFIXEncoderTests {
    @Test func messageHeaderTemplatesAndOneRecord() {
        var e = IPFIXEncoder(observationDomain: 7)
        e.begin(exportSeconds: 1_700_000_002)
        e.appendTemplates()
        let fits = e.append(record())
        #expect(fits)
        e.finish()
        let b = Array(e.buffer[0..<e.count])
        #expect(u16(b, 0) == 10)  // version
        #expect(u16(b, 2) == b.count)  // length
        #expect(u32(b, 4) == 1_700_000_002)
        #expect(u32(b, 8) == 0)  // no record before this message
        #expect(u32(b, 12) == 7)
        // Template set: id 2, two templates of 14 fields (11 IANA × 4 bytes, 3 enterprise × 8).
        #expect(u16(b, 16) == 2)
        let templateSet = u16(b, 18)
        #expect(templateSet == 4 + 2 * (4 + 11 * 4 + 3 * 8))
        #expect(u16(b, 20) == 256 && u16(b, 22) == 14)
        #expect(u16(b, 24) == 8 && u16(b, 26) == 4)  // sourceIPv4Address
        // The first enterprise field: component, PEN 32473, variable length.
        let firstEnterprise = 24 + 11 * 4
        #expect(u16(b, firstEnterprise) == 0x8001 && u16(b, firstEnterprise + 2) == 0xFFFF)
        #expect(u32(b, firstEnterprise + 4) == 32473)
        // Data set 256: the record's fields in template order.
        let d = 16 + templateSet
        #expect(u16(b, d) == 256)
        #expect(u16(b, d + 2) == b.count - d)
        let r = d + 4
        #expect(u32(b, r) == 0x0A0A_0015 && u32(b, r + 4) == 0x0A0A_000B)
        #expect(u16(b, r + 8) == 56544 && u16(b, r + 10) == 8080 && b[r + 12] == 6)
        #expect(u16(b, r + 13) == 0x1B && u16(b, r + 15) == 100)
        #expect(u32(b, r + 17) << 32 | u32(b, r + 21) == 1_700_000_000_123)
        #expect(u32(b, r + 25) << 32 | u32(b, r + 29) == 1_700_000_001_456)
        #expect(u32(b, r + 33 + 4) == 6 && u32(b, r + 41 + 4) == 495)
        let s = r + 49
        #expect(b[s] == 8 && String(decoding: b[(s + 1)..<(s + 9)], as: UTF8.self) == "Marathon")
        #expect(b[s + 9] == 8 && b[s + 18] == 8)
        #expect(s + 27 == b.count)
    }

    @Test func sequenceNumbersCountRecordsAndMessagesStayUnder1400Bytes() {
        var e = IPFIXEncoder()
        var sent = 0
        var sequences: [Int] = []
        var lengths: [Int] = []
        e.begin(exportSeconds: 0)
        e.appendTemplates()
        for i in 0..<100 {
            if !e.append(record(v6: i % 3 == 0)) {
                e.finish()
                sequences.append(u32(Array(e.buffer[0..<16]), 8))
                lengths.append(e.count)
                e.begin(exportSeconds: 0)
                let fits = e.append(record(v6: i % 3 == 0))
                #expect(fits)
            }
            sent += 1
        }
        e.finish()
        sequences.append(u32(Array(e.buffer[0..<16]), 8))
        lengths.append(e.count)
        #expect(lengths.allSatisfy { $0 <= IPFIXEncoder.maxMessage })
        #expect(sequences.first == 0 && sequences.count > 3)
        #expect(e.sequence == 100)
        // Each message's sequence number is the records sent before it: increasing.
        #expect(zip(sequences, sequences.dropFirst()).allSatisfy { $0 < $1 })
    }

    @Test func longStringsUseThreeByteLengths() {
        var e = IPFIXEncoder()
        e.begin(exportSeconds: 0)
        let long = String(repeating: "x", count: 300)
        let fits = e.append(record(component: long))
        #expect(fits)
        e.finish()
        let b = Array(e.buffer[0..<e.count])
        let s = 16 + 4 + 49
        #expect(b[s] == 255 && u16(b, s + 1) == 300)
    }
}
