import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A child started by `spawnChild`: its pid and the read ends of its stdout and stderr.
public struct SpawnedChild: Sendable {
    public var pid: pid_t
    public var stdout: Int32
    public var stderr: Int32
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which Swift does not import
/// (it is behind _GNU_SOURCE). Closing every inherited descriptor in the child matters here:
/// tests run in parallel, and a server that inherited another test's client socket or pipe
/// would keep it open after that test closed it.
private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
private let addCloseFrom: AddCloseFrom? = {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
    else { return nil }
    return unsafeBitCast(symbol, to: AddCloseFrom.self)
}()

/// Starts `path` with `arguments`: stdin from /dev/null, stdout and stderr to pipes, default
/// signal handling and an empty signal mask, and no other inherited descriptors.
public func spawnChild(_ path: String, _ arguments: [String]) throws -> SpawnedChild {
    let (outRead, outWrite) = try makePipe()
    let (errRead, errWrite) = try makePipe()
    defer {
        close(outWrite)
        close(errWrite)
    }
    do {
        let pid = try spawnProcess(path, arguments) { actions in
            posix_spawn_file_actions_adddup2(&actions, outWrite, 1)
            posix_spawn_file_actions_adddup2(&actions, errWrite, 2)
        }
        return SpawnedChild(pid: pid, stdout: outRead, stderr: errRead)
    } catch {
        close(outRead)
        close(errRead)
        throw error
    }
}

/// Starts `path` with stdin from /dev/null, stdout and stderr appended to files (the same
/// file for both is fine), and `environment` over the test process's own.
public func spawnToFiles(
    _ path: String, _ arguments: [String], stdout: String, stderr: String, environment: [String: String] = [:]
) throws -> pid_t {
    try spawnProcess(path, arguments, environment: environment) { actions in
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        if stderr == stdout {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        }
    }
}

/// posix_spawn with stdin from /dev/null, the outputs `redirect` sets up, default signal
/// handling, an empty signal mask and no other inherited descriptors.
private func spawnProcess(
    _ path: String, _ arguments: [String], environment overrides: [String: String] = [:],
    redirect: (inout posix_spawn_file_actions_t) -> Void
) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    redirect(&actions)
    _ = addCloseFrom?(&actions, 3)

    // The test runner may block or ignore signals; children must start with defaults (the
    // server blocks SIGTERM/SIGINT itself and takes them with sigwait).
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigmask(&attributes, &empty)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for s in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGQUIT, SIGXFSZ] { sigaddset(&defaults, s) }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

    let environment = ProcessInfo.processInfo.environment.merging(overrides) { $1 }
    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
    let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        argv.forEach { free($0) }
        envp.forEach { free($0) }
    }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
    guard rc == 0 else { throw ZKGateProcessError.spawnFailed(rc) }
    return pid
}

private func makePipe() throws -> (read: Int32, write: Int32) {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { throw ZKGateProcessError.spawnFailed(errno) }
    // Also CLOEXEC, for children that others start with fork/exec meanwhile.
    for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    return (fds[0], fds[1])
}

/// waitpid on one pid (never -1: other tests' children are not ours to reap). Returns the
/// status once it has ended; nil while it runs (or if it is not our child).
func reapChild(_ pid: pid_t, block: Bool) -> ExitStatus? {
    var raw: Int32 = 0
    while true {
        let r = waitpid(pid, &raw, block ? 0 : WNOHANG)
        if r == pid { return ExitStatus(waitStatus: raw) }
        if r < 0 && errno == EINTR { continue }
        return nil
    }
}
