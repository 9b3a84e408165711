import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// The exposition a scrape returns: the capture loop publishes a whole rendered page every
/// interval; a scrape takes the last one under the lock. A scrape never sees half an interval,
/// and the capture never waits for a scrape longer than one array swap.
public final class MetricsPage: Sendable {
    private let page = NIOLockedValueBox<[UInt8]>([])

    public init() {}

    public func publish(_ bytes: [UInt8]) { page.withLockedValue { $0 = bytes } }

    public var current: [UInt8] { page.withLockedValue { $0 } }
}

/// `live --metrics ADDR:PORT`: an HTTP/1.1 server on one event-loop thread of its own (swift-nio;
/// NIO's codec parses the requests). GET /metrics answers the published page in the text
/// exposition format; anything else is 404, a method other than GET or HEAD 405.
public final class MetricsServer: Sendable {
    let group: MultiThreadedEventLoopGroup
    let channel: any Channel

    /// Binds `host`:`port` (port 0: any free port) or throws NIO's error.
    public init(host: String, port: Int, page: MetricsPage) throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(MetricsHandler(page: page))
                }
            }
        do {
            channel = try bootstrap.bind(host: host, port: port).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
    }

    /// The address bound, as "ADDR:PORT" ("[ADDR]:PORT" for IPv6).
    public var boundAddress: String {
        guard let a = channel.localAddress, let ip = a.ipAddress, let port = a.port else { return "?" }
        return a.protocol == .inet6 ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    public func close() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }
}

final class MetricsHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let page: MetricsPage
    private var head: HTTPRequestHead?

    init(page: MetricsPage) { self.page = page }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let h = head else { return }
            head = nil
            respond(context, h)
        }
    }

    private func respond(_ context: ChannelHandlerContext, _ h: HTTPRequestHead) {
        let path = h.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? h.uri
        let status: HTTPResponseStatus
        let body: [UInt8]
        var headers = HTTPHeaders()
        if h.method != .GET && h.method != .HEAD {
            status = .methodNotAllowed
            body = Array("only GET\n".utf8)
            headers.add(name: "Allow", value: "GET, HEAD")
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        } else if path == "/metrics" {
            status = .ok
            body = page.current
            headers.add(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")
        } else {
            status = .notFound
            body = Array("not found: the metrics are at /metrics\n".utf8)
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        }
        headers.add(name: "Content-Length", value: String(body.count))
        let keepAlive = h.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: h.version, status: status, headers: headers))), promise: nil)
        if h.method != .HEAD {
            var buffer = context.channel.allocator.buffer(capacity: body.count)
            buffer.writeBytes(body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        let done = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
        if !keepAlive {
            let channel = context.channel
            done.futureResult.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
