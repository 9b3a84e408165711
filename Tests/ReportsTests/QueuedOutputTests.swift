import Foundation
import Reports
import Testing

// Issue 14 finding 2: live's interval lines are written by a thread of their own. A reader of
// standard output that does not read costs lines (dropped and counted), never the capture loop.

/// Reads `fd` to its end on a thread of its own; `wait()` returns the bytes.
private final class Drain: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)
    init(_ fd: Int32) {
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = read(fd, &buffer, buffer.count)
                if n <= 0 { break }
                data.append(contentsOf: buffer[0..<n])
            }
            done.signal()
        }
    }
    func wait() -> Data {
        done.wait()
        return data
    }
}

struct QueuedOutputTests {
    /// 200 lines of 100 kB into a pipe nobody reads: every `enqueue` returns (the loop that
    /// calls it goes on), the lines beyond the bound are dropped and counted, and once the pipe
    /// is read every accepted line arrives whole and in order.
    @Test(.timeLimit(.minutes(1))) func aPipeNobodyReadsCostsLinesNotTheCaller() throws {
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        let q = QueuedOutput(fd: fds[1], maxBytes: 1 << 20)
        var accepted: [Int] = []
        for i in 0..<200 {
            var line = [UInt8](repeating: 0x61 + UInt8(i % 26), count: 100_000)
            line.append(0x0A)
            if q.enqueue(line) { accepted.append(i) }
        }
        #expect(q.dropped == 200 - accepted.count)
        #expect(q.dropped >= 180, "a 1 MB bound and a 64 kB pipe hold about 11 lines")
        #expect(q.pending <= 1 << 20)
        let drain = Drain(fds[0])
        #expect(q.finish() == nil)
        close(fds[1])
        let lines = drain.wait().split(separator: 0x0A)
        #expect(lines.count == accepted.count)
        for (line, i) in zip(lines, accepted) {
            #expect(line.count == 100_000 && line.first == 0x61 + UInt8(i % 26))
        }
        close(fds[0])
    }

    /// Table frames: a new frame replaces those still waiting (counted as dropped); the
    /// newest is always written.
    @Test(.timeLimit(.minutes(1))) func aNewTableFrameReplacesTheWaitingOnes() throws {
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        let q = QueuedOutput(fd: fds[1], maxBytes: 1 << 20)
        for i in 0..<50 {
            var frame = [UInt8](repeating: 0x30 + UInt8(i % 10), count: 200_000)
            frame.append(0x0A)
            #expect(q.enqueue(frame, replacingPending: true))
        }
        let drain = Drain(fds[0])
        #expect(q.finish() == nil)
        close(fds[1])
        let frames = drain.wait().split(separator: 0x0A)
        #expect(frames.count + q.dropped == 50)
        #expect(frames.count <= 3, "the frame being written, at most one more, and the newest")
        #expect(frames.last.map { $0.first == UInt8(0x39) } == true)
        close(fds[0])
    }

    /// A reader that went away: the failure is kept and reported, later lines are refused.
    @Test func aClosedPipeIsAnError() throws {
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        close(fds[0])
        signal(SIGPIPE, SIG_IGN)
        let q = QueuedOutput(fd: fds[1])
        q.enqueue(Array("line\n".utf8))
        let e = q.finish()
        #expect(e != nil && "\(e!)".contains("Broken pipe"), "\(String(describing: e))")
        #expect(!q.enqueue(Array("later\n".utf8)))
        close(fds[1])
    }
}
