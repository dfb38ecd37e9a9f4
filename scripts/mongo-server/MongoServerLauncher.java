import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.wire.message.MongoMessage;
import de.bwaldvogel.mongo.wire.message.MongoQuery;
import io.netty.channel.Channel;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.h2.mvstore.MVStore;

/**
 * Runs mongo-java-server on a chosen loopback port, in memory or on an H2 file, and prints one
 * "READY mongodb://host:port/" line once it accepts connections, so a parent process can wait for it.
 * With --auth-stdin it reads a user name and a password (one line each) from stdin first and
 * requires SCRAM-SHA-256 authentication (AuthenticatingBackend); stdin keeps them out of the
 * command line and the environment, which other processes can list.
 */
public final class MongoServerLauncher {
    /**
     * The stock H2 backend lets MVStore commit in the background about once a second, so a kill
     * loses what it acknowledged since, and a commit taken in the middle of a write can store a
     * document without its index entry ("Found no position for ... in H2UniqueIndex" after restart).
     * Here every request runs alone and whatever it changed is committed, and by default forced to
     * disk, before its answer is sent: an acknowledged write survives kill -9 (and power loss with
     * fsync), and every stored version has documents and indexes in step.
     */
    static final class DurableH2Backend extends H2Backend {
        private final MVStore store;
        private final boolean fsync;
        private final Object lock = new Object();
        /** Newest version committed to the file, and newest forced to disk (group commit below). */
        private volatile long committed;
        private long synced;
        private final Object syncLock = new Object();

        DurableH2Backend(MVStore store, boolean fsync) {
            super(store);
            this.store = store;
            this.fsync = fsync;
        }

        /** Under `lock`: what the request changed goes to the file as one new version. */
        private long commitChanges() {
            if (!store.isClosed() && store.hasUnsavedChanges()) committed = store.commit();
            return committed;
        }

        /**
         * Outside `lock`, before the answer: forces the file up to `version`. Requests that wait
         * here together share one fsync (group commit), and other requests run meanwhile.
         */
        private void awaitDisk(long version) {
            if (!fsync) return;
            synchronized (syncLock) {
                if (synced >= version || store.isClosed()) return;
                long covered = committed;
                store.sync();
                synced = covered;
            }
        }

        /** Background commits are off, so old chunks are rewritten here, between requests. */
        void compact() {
            long version;
            synchronized (lock) {
                if (store.isClosed()) return;
                store.compact(80, 16 * 1024 * 1024);
                version = commitChanges();
            }
            awaitDisk(version);
        }

        /**
         * Runs one request alone, commits what it changed, then waits for the disk. A request the
         * library dispatches from inside another (handleMessage calls handleCommand) joins the outer one.
         */
        private <T> T durably(Supplier<T> request) {
            if (Thread.holdsLock(lock)) return request.get();
            T answer;
            long version;
            synchronized (lock) {
                try { answer = request.get(); } finally { version = commitChanges(); }
            }
            awaitDisk(version);
            return answer;
        }

        /**
         * Commands that only read run without the lock (MVStore maps are safe to read while a write
         * goes on): a long query or a $group over a big collection then delays no write, and the
         * driver's heartbeat (hello) is answered at once instead of timing out behind a long write.
         */
        private static final Set<String> READS = Set.of("hello", "ismaster", "ping", "buildinfo", "serverstatus", "whatsmyuri",
            "hostinfo", "getlog", "getparameter", "getcmdlineopts", "connectionstatus", "listdatabases", "listcollections",
            "listindexes", "find", "getmore", "count", "distinct", "dbstats", "collstats", "endsessions", "killcursors", "getfreemonitoringstatus");

        private static boolean readsOnly(String command, Document body) {
            String name = command.toLowerCase(Locale.ROOT);
            if (READS.contains(name)) return true;
            if (!name.equals("aggregate") || body == null) return false;
            String pipeline = String.valueOf(body.get("pipeline"));
            return !pipeline.contains("$out") && !pipeline.contains("$merge");
        }

        @Override public Document handleMessage(MongoMessage message) {
            Document body = message.getDocument();
            String command = body == null || body.keySet().isEmpty() ? "" : body.keySet().iterator().next();
            if (!Thread.holdsLock(lock) && readsOnly(command, body)) return super.handleMessage(message);
            return durably(() -> super.handleMessage(message));
        }

        @Override public Document handleCommand(Channel channel, String database, String command, Document query) {
            if (!Thread.holdsLock(lock) && readsOnly(command, query)) return super.handleCommand(channel, database, command, query);
            return durably(() -> super.handleCommand(channel, database, command, query));
        }

        @Override public QueryResult handleQuery(MongoQuery query) {
            return durably(() -> super.handleQuery(query));
        }

        @Override public void dropDatabase(String database) {
            durably(() -> { super.dropDatabase(database); return null; });
        }

        @Override public void close() {
            synchronized (lock) {
                synchronized (syncLock) { super.close(); }
            }
        }
    }

    /** One line of stdin, read byte by byte so nothing after it is consumed (--watch-stdin reads on). */
    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b == -1) throw new IllegalArgumentException("--auth-stdin: stdin ended before the user name and password lines");
            if (line.size() >= 1024) throw new IllegalArgumentException("--auth-stdin: line longer than 1024 bytes");
            line.write(b);
        }
        String text = line.toString(StandardCharsets.UTF_8);
        return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
    }

    /**
     * The user name is a plain identifier; the password printable ASCII, for which the SASLprep the
     * client applies changes nothing (ScramSha256 does none). Messages never echo the password.
     */
    private static ScramSha256 readCredentials() throws IOException {
        String user = readLine(System.in);
        String password = readLine(System.in);
        if (!user.matches("[A-Za-z0-9._-]{1,64}")) throw new IllegalArgumentException("--auth-stdin: the user name must be 1-64 letters, digits, '.', '_' or '-'");
        if (!password.matches("[\\x20-\\x7e]{8,256}")) throw new IllegalArgumentException("--auth-stdin: the password must be 8-256 printable ASCII characters");
        return new ScramSha256(user, password);
    }

    public static void main(String[] args) throws Exception {
        String host = "127.0.0.1";
        int port = 27017;
        String data = null;
        boolean watchStdin = false;
        boolean fsync = true;
        boolean authStdin = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--port": port = Integer.parseInt(args[++i]); break;
                case "--host": host = args[++i]; break;
                case "--data": data = args[++i]; break;
                case "--watch-stdin": watchStdin = true; break;
                case "--auth-stdin": authStdin = true; break;
                // Commit each write to the OS before answering but skip the fsync: survives a killed
                // server, not a power cut. Only for measuring what the fsync costs.
                case "--no-fsync": fsync = false; break;
                default: throw new IllegalArgumentException("unknown argument: " + args[i]);
            }
        }
        ScramSha256 scram = authStdin ? readCredentials() : null;
        MongoBackend backend;
        if (data != null) {
            File dir = new File(data);
            if (!dir.isDirectory() && !dir.mkdirs()) throw new IllegalStateException("cannot create data directory " + dir);
            MVStore store = new MVStore.Builder().fileName(new File(dir, "mongo.mv").getAbsolutePath()).autoCommitDisabled().open();
            DurableH2Backend durable = new DurableH2Backend(store, fsync);
            ScheduledExecutorService maintenance = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "h2-compact");
                t.setDaemon(true);
                return t;
            });
            maintenance.scheduleWithFixedDelay(() -> {
                try {
                    durable.compact();
                } catch (RuntimeException e) {
                    System.err.println("h2 compaction failed: " + e);
                }
            }, 30, 30, TimeUnit.SECONDS);
            backend = durable;
        } else {
            backend = new MemoryBackend();
        }
        // The Node driver 7 refuses servers below wire version 9 (MongoDB 4.4); the library's newest
        // emulation stops at 8, so announce 4.4. Its command set is what 4.4 clients rely on.
        backend.version(new MongoVersion() {
            @Override public List<Integer> getVersionArray() { return List.of(4, 4, 0); }
            @Override public int getWireVersion() { return 9; }
        });
        MongoServer server = new MongoServer(scram != null ? new AuthenticatingBackend(backend, scram) : backend);
        server.bind(host, port);
        InetSocketAddress address = server.getLocalAddress();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.shutdownNow();
            backend.close();
        }));
        System.out.println("READY mongodb://" + host + ":" + address.getPort() + "/ mongo-java-server 1.47.0 (" + (data != null ? "h2:" + data + (fsync ? ", durable" : ", commit per write, no fsync") : "in-memory")
            + (scram != null ? ", SCRAM-SHA-256 user " + scram.user() : ", no authentication") + ")");
        System.out.flush();
        if (watchStdin) {
            // A parent that dies without killing us closes our stdin: exit instead of lingering.
            while (System.in.read() != -1) { }
            System.exit(0);
        }
        Thread.currentThread().join();
    }
}
