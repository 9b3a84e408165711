#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an export destination cannot be used.
public struct ExportError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A connected UDP socket (a class: the descriptor is closed once, when the last copy goes) to a collector (`HOST:PORT`, `[IPv6]:PORT`), from the C library.
public final class UDPSocket: Sendable {
    let fd: Int32
    /// The collector as given.
    public let destination: String

    /// Splits "HOST:PORT" / "[V6]:PORT" into its host and port.
    public static func split(_ text: String) -> (host: String, port: UInt16)? {
        var host: Substring
        var portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { return nil }  // an IPv6 address needs brackets
        }
        guard !host.isEmpty, let port = UInt16(portText), port != 0 else { return nil }
        return (String(host), port)
    }

    public init(_ text: String) throws(ExportError) {
        destination = text
        fd = try Self.open(text)
    }

    static func open(_ text: String) throws(ExportError) -> Int32 {
        guard let (host, port) = Self.split(text) else {
            throw ExportError("'\(text)' is not HOST:PORT (an IPv6 address as [ADDRESS]:PORT)")
        }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        #else
        hints.ai_socktype = SOCK_DGRAM
        #endif
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw ExportError("cannot resolve '\(host)': \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var lastError: Int32 = 0
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let ai = cursor {
            let s = socket(ai.pointee.ai_family, ai.pointee.ai_socktype, ai.pointee.ai_protocol)
            if s >= 0 {
                if connect(s, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0 { return s }
                lastError = errno
                close(s)
            } else {
                lastError = errno
            }
            cursor = ai.pointee.ai_next
        }
        throw ExportError("cannot open a UDP socket to \(text): \(String(cString: strerror(lastError)))")
    }

    /// Sends one datagram; the errno on failure (ECONNREFUSED after an ICMP port unreachable from a
    /// collector that is down: the caller counts it and goes on).
    public func send(_ bytes: UnsafeRawBufferPointer) -> Int32? {
        let n = sysSend(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
        return n == bytes.count ? nil : (n < 0 ? errno : EMSGSIZE)
    }

    deinit { close(fd) }
}

/// The C library's send (the method above shadows the name).
private func sysSend(_ fd: Int32, _ p: UnsafeRawPointer?, _ n: Int, _ flags: Int32) -> Int {
    send(fd, p, n, flags)
}
