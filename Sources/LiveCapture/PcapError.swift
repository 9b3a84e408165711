/// A libpcap failure: which call failed, on which device, and libpcap's own message.
///
/// `kind` sorts the failures a user can act on (a missing interface, missing privileges, a filter
/// libpcap rejects, an interface that went down) from everything else; the text is always
/// libpcap's, so it matches what tcpdump would print for the same problem.
public struct PcapError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// `PCAP_ERROR_NO_SUCH_DEVICE`, or an interface that disappeared while capturing.
        case noSuchDevice
        /// `PCAP_ERROR_PERM_DENIED` / `PCAP_ERROR_PROMISC_PERM_DENIED`.
        case permissionDenied
        /// `PCAP_ERROR_IFACE_NOT_UP` at activation.
        case interfaceNotUp
        /// The interface went down (or away) during the capture.
        case interfaceWentDown
        /// `pcap_compile` rejected the capture filter `expression`.
        case badFilter(expression: String)
        /// Anything else libpcap reports (`PCAP_ERROR` and friends), or a system call around it.
        case other
    }

    public var kind: Kind
    /// The C function that failed, e.g. `pcap_activate`.
    public var call: String
    /// The interface the handle was opened on (nil for calls not tied to one).
    public var device: String?
    /// libpcap's message (`pcap_geterr`, the errbuf, or `pcap_statustostr` when those are empty).
    public var message: String
    /// The libpcap status code (negative `PCAP_ERROR_*`), or the errno of a system call, or 0.
    public var status: Int32

    public init(kind: Kind, call: String, device: String?, message: String, status: Int32 = 0) {
        self.kind = kind
        self.call = call
        self.device = device
        self.message = message
        self.status = status
    }

    public var description: String {
        switch kind {
        case .badFilter(let expression):
            return "\(call): bad capture filter \"\(expression)\": \(message)"
        default:
            if let device { return "\(call)(\(device)): \(message)" }
            return "\(call): \(message)"
        }
    }
}
