/*
 * CuratorLoop: the reference for bench/recipes.sh's lock cycles. C threads share one
 * CuratorFramework (one ZooKeeper session, as the gateway holds one), and each loops
 * InterProcessMutex.acquire() + release() on a lock path of its own, so no thread ever waits
 * for another: the rate is what an uncontended Curator lock costs on this ensemble.
 *
 * Usage: java -cp <classes>:<jars> CuratorLoop <connectString> <threads> <warmupSeconds>
 *            <seconds> <basePath>
 *   The locks are <basePath>/t1 .. t<threads>. Every thread loops for warmupSeconds + seconds;
 *   only the cycles that end inside the last `seconds` count, so the JIT and the connection
 *   settle first. Runs stop at the deadline after their cycle in flight ends.
 *
 * Output (stdout): "window start" and "window end" as the counted seconds begin and end (so
 * that a caller can sample the machine over exactly that window), then one line: result cycles=N seconds=S rate=R p50_ms=A p99_ms=B max_ms=M
 *   all_cycles=T cpu_us_per_cycle=U errors=E
 *   a cycle runs from acquire() being called to release() returning (System.nanoTime);
 *   all_cycles counts the warm-up's too (to divide the ensemble's request counts by);
 *   cpu_us_per_cycle is this JVM's CPU time (every thread, the JIT and GC included) over the
 *   measured seconds, per measured cycle.
 * Exit status 0; 2 on an error (its message on stderr), 3 when the ensemble is unreachable.
 * Curator's logging goes to slf4j-nop (on the classpath), so nothing else reaches stdout.
 */

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.ExponentialBackoffRetry;

public final class CuratorLoop {
    public static void main(String[] argv) throws Exception {
        if (argv.length != 5) {
            System.err.println("usage: CuratorLoop <connectString> <threads> <warmupSeconds> <seconds> <basePath>");
            System.exit(64);
        }
        String connect = argv[0];
        int threads = Integer.parseInt(argv[1]);
        double warmup = Double.parseDouble(argv[2]);
        double seconds = Double.parseDouble(argv[3]);
        String base = argv[4];

        CuratorFramework client = CuratorFrameworkFactory.builder()
            .connectString(connect)
            .sessionTimeoutMs(10_000)
            .connectionTimeoutMs(5_000)
            .retryPolicy(new ExponentialBackoffRetry(100, 3))
            .build();
        client.start();
        if (!client.blockUntilConnected(30, TimeUnit.SECONDS)) {
            System.err.println("error: no connection to " + connect);
            client.close();
            System.exit(3);
        }

        // Every thread takes its lock once before the clock starts: the parent containers are
        // created by then, which a steady loop never pays for.
        List<InterProcessMutex> mutexes = new ArrayList<>();
        for (int i = 1; i <= threads; i++) {
            InterProcessMutex m = new InterProcessMutex(client, base + "/t" + i);
            m.acquire();
            m.release();
            mutexes.add(m);
        }

        long start = System.nanoTime();
        long measureFrom = start + (long) (warmup * 1e9);
        long measureTo = measureFrom + (long) (seconds * 1e9);
        // The process's CPU time at both ends of the measured window, read by a thread of its own.
        com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long[] cpu = new long[2];
        Thread sampler = new Thread(() -> {
            try {
                sleepUntil(measureFrom);
                cpu[0] = os.getProcessCpuTime();
                System.out.println("window start");
                System.out.flush();
                sleepUntil(measureTo);
                cpu[1] = os.getProcessCpuTime();
                System.out.println("window end");
                System.out.flush();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "cpu-sampler");
        sampler.start();
        AtomicLong allCycles = new AtomicLong();
        long[][] samples = new long[threads][];
        int[] counts = new int[threads];
        AtomicLong errors = new AtomicLong();
        AtomicReference<Throwable> firstError = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            final int id = t;
            Thread thread = new Thread(() -> {
                InterProcessMutex m = mutexes.get(id);
                long[] lat = new long[1 << 14];
                int n = 0;
                try {
                    while (true) {
                        long t0 = System.nanoTime();
                        if (t0 >= measureTo) break;
                        try {
                            m.acquire();
                            m.release();
                        } catch (Exception e) {
                            errors.incrementAndGet();
                            firstError.compareAndSet(null, e);
                            continue;
                        }
                        long t1 = System.nanoTime();
                        allCycles.incrementAndGet();
                        if (t1 > measureFrom && t1 <= measureTo) {
                            if (n == lat.length) lat = Arrays.copyOf(lat, n * 2);
                            lat[n++] = t1 - t0;
                        }
                    }
                } finally {
                    samples[id] = lat;
                    counts[id] = n;
                    done.countDown();
                }
            }, "loop-" + t);
            thread.start();
        }
        done.await();
        sampler.join();
        client.close();

        int total = 0;
        for (int c : counts) total += c;
        long[] all = new long[total];
        int k = 0;
        for (int t = 0; t < threads; t++) {
            System.arraycopy(samples[t], 0, all, k, counts[t]);
            k += counts[t];
        }
        Arrays.sort(all);
        if (firstError.get() != null) {
            System.err.println("error (" + errors.get() + " in all): " + firstError.get());
        }
        System.out.printf("result cycles=%d seconds=%.3f rate=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f "
            + "all_cycles=%d cpu_us_per_cycle=%.1f errors=%d%n",
            total, seconds, total / seconds, pct(all, 50) / 1e6, pct(all, 99) / 1e6,
            (total > 0 ? all[total - 1] : 0) / 1e6, allCycles.get(),
            total > 0 ? (cpu[1] - cpu[0]) / 1e3 / total : 0.0, errors.get());
        System.out.flush();
        System.exit(errors.get() > 0 ? 2 : 0);
    }

    static void sleepUntil(long nanoTime) throws InterruptedException {
        long left;
        while ((left = nanoTime - System.nanoTime()) > 0) {
            Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
        }
    }

    /** Nearest-rank percentile of an ascending array (0 when it is empty). */
    static long pct(long[] sorted, double p) {
        if (sorted.length == 0) return 0;
        int rank = (int) Math.ceil(sorted.length * p / 100.0);
        return sorted[Math.max(1, rank) - 1];
    }
}
