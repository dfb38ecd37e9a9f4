import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.io.File;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * Runs mongo-java-server on a chosen loopback port, in memory or on an H2 file, and prints one
 * "READY mongodb://host:port/" line once it accepts connections, so a parent process can wait for it.
 */
public final class MongoServerLauncher {
    public static void main(String[] args) throws Exception {
        String host = "127.0.0.1";
        int port = 27017;
        String data = null;
        boolean watchStdin = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--port": port = Integer.parseInt(args[++i]); break;
                case "--host": host = args[++i]; break;
                case "--data": data = args[++i]; break;
                case "--watch-stdin": watchStdin = true; break;
                default: throw new IllegalArgumentException("unknown argument: " + args[i]);
            }
        }
        MongoBackend backend;
        if (data != null) {
            File dir = new File(data);
            if (!dir.isDirectory() && !dir.mkdirs()) throw new IllegalStateException("cannot create data directory " + dir);
            backend = new H2Backend(new File(dir, "mongo.mv").getAbsolutePath());
        } else {
            backend = new MemoryBackend();
        }
        // The Node driver 7 refuses servers below wire version 9 (MongoDB 4.4); the library's newest
        // emulation stops at 8, so announce 4.4. Its command set is what 4.4 clients rely on.
        backend.version(new MongoVersion() {
            @Override public List<Integer> getVersionArray() { return List.of(4, 4, 0); }
            @Override public int getWireVersion() { return 9; }
        });
        MongoServer server = new MongoServer(backend);
        server.bind(host, port);
        InetSocketAddress address = server.getLocalAddress();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.shutdownNow();
            backend.close();
        }));
        System.out.println("READY mongodb://" + host + ":" + address.getPort() + "/ mongo-java-server 1.47.0 (" + (data != null ? "h2:" + data : "in-memory") + ")");
        System.out.flush();
        if (watchStdin) {
            // A parent that dies without killing us closes our stdin: exit instead of lingering.
            while (System.in.read() != -1) { }
            System.exit(0);
        }
        Thread.currentThread().join();
    }
}
