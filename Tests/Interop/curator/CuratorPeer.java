/*
 * CuratorPeer: Apache Curator 5.x (Debian's libcurator-*-java) as a command-line peer, so the
 * tests can check that Curator's recipes and zkgate's HTTP recipes coordinate on one ensemble.
 * Tests/TestSupport/Curator.swift compiles and drives it.
 *
 * Usage:
 *   java -cp <classpath> CuratorPeer <connectString> [options] <command> [args...]
 *
 * Options (before the command):
 *   --stop-file PATH      stop in an orderly way (release, close, unregister) once PATH exists;
 *                         a blocked acquire is interrupted, which deletes its contender node
 *   --watch-pid PID       the same once process PID is gone, so a crashed test leaves no peer
 *   --session-ms N        session timeout (default 10000)
 *   --connection-ms N     connection timeout (default 5000)
 *   --serializer MODE     discovery JSON: "compat" (default; what ServiceDiscoveryBuilder uses
 *                         when given no serializer) or "full" (JsonInstanceSerializer(c, false),
 *                         which also writes "enabled")
 *   --uri-spec SPEC       discovery-register: the instance's UriSpec, e.g. "{scheme}://{address}:{port}"
 *   --ssl-port N          discovery-register: the instance's sslPort
 *
 * Commands:
 *   mutex-hold <path> <holdMs>
 *       InterProcessMutex(path).acquire(), hold for holdMs or until stopped, release.
 *   mutex-try <path> <waitMs>
 *       acquire(waitMs, ms); on success release at once.
 *   latch <path> <participantId> <runMs>
 *       LeaderLatch(path, participantId): report leadership at start and on every change, for
 *       runMs or until stopped; close.
 *   latch-leader <path>
 *       the leader as Curator computes it (a LeaderLatch that is never started).
 *   latch-participants <path>
 *       every participant as Curator computes them, in Curator's order.
 *   discovery-register <basePath> <service> <id> <address> <port> <payloadJson> <runMs>
 *       ServiceDiscovery registers a DYNAMIC ServiceInstance<Object> whose payload is
 *       payloadJson parsed by Jackson (any JSON value); stays for runMs or until stopped.
 *   discovery-list <basePath> <service>
 *       queryForInstances(service), as Curator deserializes them.
 *   discovery-names <basePath>
 *       queryForNames().
 *
 * Output: one event per line on stdout, flushed after each (the tests read a file, line by
 * line, while the peer runs). Curator's own logging is discarded (slf4j-nop on the classpath),
 * so nothing else reaches stdout.
 *   ready                              connected; the command starts
 *   connection <STATE>                 Curator's connection state after that (SUSPENDED, LOST, ...)
 *   contending <nodeName> <czxid>      mutex: our contender node exists, before waiting on others
 *   acquired <nodeName> <czxid>        mutex: held
 *   timeout                            mutex-try: not acquired within waitMs
 *   released                           mutex: released
 *   cancelled                          stopped while still connecting or waiting for the mutex
 *   leader <participantId>             latch: we lead; latch-leader: the current leader
 *   follower <leaderId>|-              latch: another leads ("-" while none is visible)
 *   closed                             latch closed
 *   none                               latch-leader: no participant
 *   {"id":...,"leader":...}            latch-participants, one per participant
 *   registered <znodePath>             discovery-register: the instance node exists
 *   unregistered                       discovery-register: removed again
 *   {"name":...,"id":...,...}          discovery-list, one instance per line, payload as plain JSON
 *   name <service>                     discovery-names, one per line
 *   error <message>                    then exit status 2 (64: bad usage, 3: no connection)
 * Exit status 0 once the command has finished in order.
 */

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.recipes.leader.Participant;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.StandardLockInternalsDriver;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.utils.ZKPaths;
import org.apache.curator.x.discovery.ServiceDiscovery;
import org.apache.curator.x.discovery.ServiceDiscoveryBuilder;
import org.apache.curator.x.discovery.ServiceInstance;
import org.apache.curator.x.discovery.ServiceInstanceBuilder;
import org.apache.curator.x.discovery.ServiceType;
import org.apache.curator.x.discovery.UriSpec;
import org.apache.curator.x.discovery.details.JsonInstanceSerializer;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

public final class CuratorPeer {
    // System.out may buffer; the tests poll the file while the peer still runs.
    private static final PrintStream OUT =
        new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
    // Only for printing: without Curator's type annotations, so payloads print as plain JSON.
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String stopFile;
    private static long watchPid = -1;
    private static int sessionMs = 10_000;
    private static int connectionMs = 5_000;
    private static boolean fullSerializer = false;
    private static String uriSpec;
    private static Integer sslPort;

    private static final AtomicBoolean stopping = new AtomicBoolean(false);
    // Set while the main thread sits in a call that only an interrupt ends (acquire()).
    private static volatile boolean interruptible = false;
    private static Thread mainThread;

    static synchronized void emit(String line) {
        OUT.println(line);
        OUT.flush();
    }

    static final class UsageError extends Exception {
        private static final long serialVersionUID = 1L;
        UsageError(String message) { super(message); }
    }

    public static void main(String[] argv) {
        mainThread = Thread.currentThread();
        int status;
        CuratorFramework client = null;
        try {
            List<String> args = new ArrayList<>(List.of(argv));
            if (args.size() < 2) throw new UsageError("usage: CuratorPeer <connectString> [options] <command> [args...]");
            String connectString = args.remove(0);
            while (!args.isEmpty() && args.get(0).startsWith("--")) {
                String option = args.remove(0);
                if (args.isEmpty()) throw new UsageError(option + " needs a value");
                String value = args.remove(0);
                switch (option) {
                    case "--stop-file": stopFile = value; break;
                    case "--watch-pid": watchPid = Long.parseLong(value); break;
                    case "--session-ms": sessionMs = Integer.parseInt(value); break;
                    case "--connection-ms": connectionMs = Integer.parseInt(value); break;
                    case "--serializer":
                        if (!value.equals("compat") && !value.equals("full")) throw new UsageError("--serializer compat|full");
                        fullSerializer = value.equals("full");
                        break;
                    case "--uri-spec": uriSpec = value; break;
                    case "--ssl-port": sslPort = Integer.parseInt(value); break;
                    default: throw new UsageError("unknown option " + option);
                }
            }
            if (args.isEmpty()) throw new UsageError("no command");
            String command = args.remove(0);
            startWatchdog();

            client = CuratorFrameworkFactory.builder()
                .connectString(connectString)
                .sessionTimeoutMs(sessionMs)
                .connectionTimeoutMs(connectionMs)
                .retryPolicy(new ExponentialBackoffRetry(200, 10, 2_000))
                .build();
            client.start();
            boolean connected;
            interruptible = true;
            try {
                connected = client.blockUntilConnected(Math.max(connectionMs * 3, 15_000), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                emit("cancelled");
                connected = false;
                stopping.set(true);
            } finally {
                interruptible = false;
                Thread.interrupted();
            }
            if (stopping.get() && !connected) {
                status = 0;
            } else if (!connected) {
                emit("error not connected to " + connectString);
                status = 3;
            } else {
                // CONNECTED (the first connection) may still be queued for listeners; "ready"
                // says it already, and only later changes are news.
                client.getConnectionStateListenable().addListener((c, state) -> {
                    if (state != ConnectionState.CONNECTED) emit("connection " + state);
                });
                emit("ready");
                status = run(client, command, args);
            }
        } catch (UsageError e) {
            emit("error " + oneLine(e.getMessage()));
            status = 64;
        } catch (Throwable e) {
            emit("error " + oneLine(e.toString()));
            status = 2;
        }
        if (client != null) {
            try { client.close(); } catch (Throwable ignored) { }
        }
        OUT.flush();
        // Curator's and ZooKeeper's non-daemon threads would keep the JVM alive.
        Runtime.getRuntime().halt(status);
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replace('\n', ' ').replace('\r', ' ');
    }

    static int run(CuratorFramework client, String command, List<String> a) throws Exception {
        switch (command) {
            case "mutex-hold": need(a, 2, "mutex-hold <path> <holdMs>"); return mutexHold(client, a.get(0), Long.parseLong(a.get(1)));
            case "mutex-try": need(a, 2, "mutex-try <path> <waitMs>"); return mutexTry(client, a.get(0), Long.parseLong(a.get(1)));
            case "latch": need(a, 3, "latch <path> <participantId> <runMs>"); return latch(client, a.get(0), a.get(1), Long.parseLong(a.get(2)));
            case "latch-leader": need(a, 1, "latch-leader <path>"); return latchLeader(client, a.get(0));
            case "latch-participants": need(a, 1, "latch-participants <path>"); return latchParticipants(client, a.get(0));
            case "discovery-register":
                need(a, 7, "discovery-register <basePath> <service> <id> <address> <port> <payloadJson> <runMs>");
                return discoveryRegister(client, a.get(0), a.get(1), a.get(2), a.get(3), Integer.parseInt(a.get(4)), a.get(5),
                    Long.parseLong(a.get(6)));
            case "discovery-list": need(a, 2, "discovery-list <basePath> <service>"); return discoveryList(client, a.get(0), a.get(1));
            case "discovery-names": need(a, 1, "discovery-names <basePath>"); return discoveryNames(client, a.get(0));
            default: throw new UsageError("unknown command " + command);
        }
    }

    static void need(List<String> a, int n, String usage) throws UsageError {
        if (a.size() != n) throw new UsageError("usage: " + usage);
    }

    // --- stopping ------------------------------------------------------------------------------

    static boolean stopRequested() {
        if (stopping.get()) return true;
        boolean stop = (stopFile != null && new File(stopFile).exists())
            || (watchPid > 0 && !ProcessHandle.of(watchPid).map(ProcessHandle::isAlive).orElse(false));
        if (stop) stopping.set(true);
        return stop;
    }

    // Notices a stop while the main thread is blocked in Curator, and interrupts it there.
    static void startWatchdog() {
        Thread t = new Thread(() -> {
            while (true) {
                if (stopRequested() && interruptible) mainThread.interrupt();
                try { Thread.sleep(50); } catch (InterruptedException e) { return; }
            }
        }, "peer-watchdog");
        t.setDaemon(true);
        t.start();
    }

    // Sleeps until the deadline or a stop; true when stopped early.
    static boolean sleepUntil(long deadlineNanos) throws InterruptedException {
        while (System.nanoTime() < deadlineNanos) {
            if (stopRequested()) return true;
            Thread.sleep(Math.max(1, Math.min(50, (deadlineNanos - System.nanoTime()) / 1_000_000)));
        }
        return stopRequested();
    }

    static long deadline(long ms) { return System.nanoTime() + ms * 1_000_000L; }

    // --- mutex ---------------------------------------------------------------------------------

    // Reports our contender node as soon as it exists, before Curator waits for predecessors.
    static final class ReportingDriver extends StandardLockInternalsDriver {
        @Override
        public String createsTheLock(CuratorFramework client, String path, byte[] lockNodeBytes) throws Exception {
            String ours = super.createsTheLock(client, path, lockNodeBytes);
            emit("contending " + ZKPaths.getNodeFromPath(ours) + " " + czxid(client, ours));
            return ours;
        }
    }

    // getLockPath() is protected; it is the only way to our own node once acquired.
    static final class Mutex extends InterProcessMutex {
        Mutex(CuratorFramework client, String path) { super(client, path, new ReportingDriver()); }
        String ourPath() { return getLockPath(); }
    }

    static long czxid(CuratorFramework client, String path) throws Exception {
        Stat stat = client.checkExists().forPath(path);
        return stat == null ? -1 : stat.getCzxid();
    }

    static void emitAcquired(CuratorFramework client, Mutex mutex) throws Exception {
        String ours = mutex.ourPath();
        emit("acquired " + ZKPaths.getNodeFromPath(ours) + " " + czxid(client, ours));
    }

    static int mutexHold(CuratorFramework client, String path, long holdMs) throws Exception {
        Mutex mutex = new Mutex(client, path);
        interruptible = true;
        try {
            if (stopRequested()) throw new InterruptedException();
            mutex.acquire();
        } catch (InterruptedException e) {
            emit("cancelled");
            return 0;
        } finally {
            interruptible = false;
            Thread.interrupted();
        }
        emitAcquired(client, mutex);
        sleepUntil(deadline(holdMs));
        mutex.release();
        emit("released");
        return 0;
    }

    static int mutexTry(CuratorFramework client, String path, long waitMs) throws Exception {
        Mutex mutex = new Mutex(client, path);
        boolean got;
        interruptible = true;
        try {
            got = mutex.acquire(waitMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            emit("cancelled");
            return 0;
        } finally {
            interruptible = false;
            Thread.interrupted();
        }
        if (!got) {
            emit("timeout");
            return 0;
        }
        emitAcquired(client, mutex);
        mutex.release();
        emit("released");
        return 0;
    }

    // --- leader latch --------------------------------------------------------------------------

    static int latch(CuratorFramework client, String path, String id, long runMs) throws Exception {
        LeaderLatch latch = new LeaderLatch(client, path, id);
        Object changed = new Object();
        latch.addListener(new LeaderLatchListener() {
            @Override public void isLeader() { synchronized (changed) { changed.notifyAll(); } }
            @Override public void notLeader() { synchronized (changed) { changed.notifyAll(); } }
        });
        latch.start();
        long end = deadline(runMs);
        String last = null;
        boolean reportedNode = false;
        // The listener only says when we gain or lose leadership; a follower also wants to know
        // who leads, which only polling getLeader() tells.
        while (System.nanoTime() < end && !stopRequested()) {
            if (!reportedNode && latch.getOurPath() != null) {
                reportedNode = true;
                String ours = latch.getOurPath();
                emit("contending " + ZKPaths.getNodeFromPath(ours) + " " + czxid(client, ours));
            }
            String now;
            if (latch.hasLeadership()) {
                now = "leader " + id;
            } else if (latch.getOurPath() == null) {
                now = null;   // not in the election yet: nothing to say
            } else {
                String leader;
                try {
                    Participant p = latch.getLeader();
                    leader = p.isLeader() && !p.getId().isEmpty() ? p.getId() : "-";
                } catch (KeeperException.NoNodeException e) {
                    leader = "-";
                }
                now = "follower " + leader;
            }
            if (now != null && !now.equals(last)) {
                emit(now);
                last = now;
            }
            synchronized (changed) { changed.wait(100); }
        }
        latch.close();
        emit("closed");
        return 0;
    }

    static int latchLeader(CuratorFramework client, String path) throws Exception {
        LeaderLatch probe = new LeaderLatch(client, path);
        Participant p;
        try {
            p = probe.getLeader();
        } catch (KeeperException.NoNodeException e) {
            p = null;
        }
        emit(p != null && p.isLeader() ? "leader " + p.getId() : "none");
        return 0;
    }

    static int latchParticipants(CuratorFramework client, String path) throws Exception {
        LeaderLatch probe = new LeaderLatch(client, path);
        Collection<Participant> all;
        try {
            all = probe.getParticipants();
        } catch (KeeperException.NoNodeException e) {
            all = List.of();
        }
        for (Participant p : all) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("id", p.getId());
            line.put("leader", p.isLeader());
            emit(JSON.writeValueAsString(line));
        }
        return 0;
    }

    // --- service discovery ---------------------------------------------------------------------

    static ServiceDiscovery<Object> discovery(CuratorFramework client, String basePath) throws Exception {
        ServiceDiscoveryBuilder<Object> builder = ServiceDiscoveryBuilder.builder(Object.class).client(client).basePath(basePath);
        if (fullSerializer) builder.serializer(new JsonInstanceSerializer<>(Object.class, false));
        ServiceDiscovery<Object> d = builder.build();
        d.start();
        return d;
    }

    static int discoveryRegister(CuratorFramework client, String basePath, String service, String id, String address, int port,
                                 String payloadJson, long runMs) throws Exception {
        // Object: Curator's payload carries @JsonTypeInfo(CLASS, defaultImpl = Object), so any
        // JSON value parses, and a payload without "@class" reads back as a Map.
        Object payload = JSON.readValue(payloadJson, Object.class);
        ServiceInstanceBuilder<Object> builder = ServiceInstance.<Object>builder()
            .name(service).id(id).address(address).port(port).payload(payload).serviceType(ServiceType.DYNAMIC);
        if (uriSpec != null) builder.uriSpec(new UriSpec(uriSpec));
        if (sslPort != null) builder.sslPort(sslPort);
        ServiceInstance<Object> instance = builder.build();
        ServiceDiscovery<Object> d = discovery(client, basePath);
        d.registerService(instance);
        emit("registered " + ZKPaths.makePath(ZKPaths.makePath(basePath, service), id));
        sleepUntil(deadline(runMs));
        d.unregisterService(instance);
        d.close();
        emit("unregistered");
        return 0;
    }

    static int discoveryList(CuratorFramework client, String basePath, String service) throws Exception {
        ServiceDiscovery<Object> d = discovery(client, basePath);
        for (ServiceInstance<Object> i : d.queryForInstances(service)) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("name", i.getName());
            line.put("id", i.getId());
            line.put("address", i.getAddress());
            line.put("port", i.getPort());
            line.put("sslPort", i.getSslPort());
            line.put("payload", i.getPayload());
            line.put("payloadClass", i.getPayload() == null ? null : i.getPayload().getClass().getName());
            line.put("registrationTimeUTC", i.getRegistrationTimeUTC());
            line.put("serviceType", i.getServiceType() == null ? null : i.getServiceType().name());
            // Filled in from the instance, as a Curator client would use it.
            line.put("uriSpec", i.getUriSpec() == null ? null : i.buildUriSpec());
            line.put("enabled", i.isEnabled());
            emit(JSON.writeValueAsString(line));
        }
        d.close();
        return 0;
    }

    static int discoveryNames(CuratorFramework client, String basePath) throws Exception {
        ServiceDiscovery<Object> d = discovery(client, basePath);
        for (String name : d.queryForNames()) emit("name " + name);
        d.close();
        return 0;
    }
}
