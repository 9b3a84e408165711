import Testing
@testable import PortCatalog
import PacketWire

@Suite struct BuiltInCatalogSmokeTests {
    @Test func builtInsLoadAndCompile() throws {
        let compiled = try CompiledCatalog.builtIn()
        #expect(compiled.catalogs.map(\.id) == ["dcos-1.8", "dynatrace-managed"])
        #expect(compiled.roleNames == ["dcos-master", "dcos-agent", "dynatrace-node"])
        #expect(compiled.entries.count == 44 + 14)
        #expect(compiled.overlayUDPPorts == [64000])
        #expect(compiled.outboundEntries.count == 1)
    }
}
