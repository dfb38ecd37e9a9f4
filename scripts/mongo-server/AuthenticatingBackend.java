import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.bson.BinData;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.MongoServerError;
import de.bwaldvogel.mongo.wire.message.MongoMessage;
import de.bwaldvogel.mongo.wire.message.MongoQuery;
import io.netty.channel.Channel;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Puts SCRAM-SHA-256 in front of a mongo-java-server backend, which has no authentication of its
 * own. Every connection (netty Channel) starts unauthenticated and may only run the handshake
 * (hello/isMaster, buildInfo, ping, endSessions) and the SASL exchange; anything else gets MongoDB's
 * error 13 "Unauthorized" until that connection has proved the password. The proof belongs to the
 * connection: another connection, even from the same client, must prove it again.
 */
final class AuthenticatingBackend implements MongoBackend {
    /** Lower-case names of the commands an unauthenticated connection may run, as in MongoDB. */
    private static final Set<String> OPEN = Set.of("hello", "ismaster", "buildinfo", "ping", "saslstart", "saslcontinue", "endsessions");
    /** Credentials live in the admin database, so clients connect with authSource=admin. */
    private static final String AUTH_DB = "admin";

    /** A SASL exchange in progress on one connection. `proved`: only the empty closing message is left. */
    private record Pending(int id, ScramSha256.Conversation conversation, boolean skipEmptyExchange, boolean proved) { }

    private final MongoBackend backend;
    private final ScramSha256 scram;
    private final Set<Channel> authenticated = ConcurrentHashMap.newKeySet();
    private final Map<Channel, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicInteger conversationIds = new AtomicInteger();

    AuthenticatingBackend(MongoBackend backend, ScramSha256 scram) {
        this.backend = backend;
        this.scram = scram;
    }

    @Override public Document handleMessage(MongoMessage message) {
        Document body = message.getDocument();
        String command = body == null || body.isEmpty() ? "" : body.keySet().iterator().next();
        return answer(message.getChannel(), message.getDatabaseName(), command, body, () -> backend.handleMessage(message));
    }

    @Override public Document handleCommand(Channel channel, String database, String command, Document query) {
        return answer(channel, database, command, query, () -> backend.handleCommand(channel, database, command, query));
    }

    /** The one gate both ways in (OP_MSG and legacy OP_QUERY commands) go through. */
    private Document answer(Channel channel, String database, String command, Document body, java.util.function.Supplier<Document> proceed) {
        String name = command.toLowerCase(Locale.ROOT);
        switch (name) {
            case "saslstart": return saslStart(channel, database, body);
            case "saslcontinue": return saslContinue(channel, body);
            case "hello":
            case "ismaster": return hello(channel, body, proceed.get());
            default:
                if (!authenticated.contains(channel) && !OPEN.contains(name)) return unauthorized(command);
                return proceed.get();
        }
    }

    /**
     * The handshake answer, plus what a driver asks for before it authenticates: the mechanisms of
     * its user (saslSupportedMechs) and the first SCRAM step it sent along (speculativeAuthenticate),
     * which saves it a round trip. A speculative step that fails is left out: the driver then runs
     * saslStart and hears the failure there.
     */
    private Document hello(Channel channel, Document query, Document response) {
        if (query == null || response == null || !isOk(response)) return response;
        if ((AUTH_DB + "." + scram.user()).equals(query.get("saslSupportedMechs"))) {
            response.put("saslSupportedMechs", List.of(ScramSha256.MECHANISM));
        }
        Object speculative = query.get("speculativeAuthenticate");
        if (speculative instanceof Document) {
            Document step = (Document) speculative;
            Document first = saslStart(channel, String.valueOf(step.get("db")), step);
            if (isOk(first)) response.put("speculativeAuthenticate", first);
        }
        return response;
    }

    private Document saslStart(Channel channel, String database, Document command) {
        Object mechanism = command.get("mechanism");
        if (!ScramSha256.MECHANISM.equals(mechanism)) {
            return error(334, "MechanismUnavailable", "Received authentication for mechanism " + mechanism + " which is not enabled");
        }
        if (!AUTH_DB.equals(database)) return authenticationFailed(channel, "authentication database is " + database + ", not " + AUTH_DB);
        ScramSha256.Conversation conversation;
        try {
            conversation = scram.start(payload(command));
        } catch (ScramSha256.Refused e) {
            return authenticationFailed(channel, e.getMessage());
        }
        Object options = command.get("options");
        boolean skipEmptyExchange = options instanceof Document && Boolean.TRUE.equals(((Document) options).get("skipEmptyExchange"));
        int id = conversationIds.incrementAndGet();
        pending.put(channel, new Pending(id, conversation, skipEmptyExchange, false));
        return step(id, false, conversation.serverFirst());
    }

    private Document saslContinue(Channel channel, Document command) {
        Pending current = pending.get(channel);
        Object id = command.get("conversationId");
        if (current == null || !(id instanceof Number) || ((Number) id).intValue() != current.id()) {
            return error(17, "ProtocolError", "No SASL session state found");
        }
        if (current.proved()) {
            pending.remove(channel);
            return step(current.id(), true, new byte[0]);
        }
        byte[] serverFinal;
        try {
            serverFinal = current.conversation().finish(payload(command));
        } catch (ScramSha256.Refused e) {
            pending.remove(channel);
            return authenticationFailed(channel, e.getMessage());
        }
        authenticated.add(channel);
        if (current.skipEmptyExchange()) pending.remove(channel);
        else pending.put(channel, new Pending(current.id(), current.conversation(), false, true));
        return step(current.id(), current.skipEmptyExchange(), serverFinal);
    }

    private static byte[] payload(Document command) throws ScramSha256.Refused {
        Object payload = command.get("payload");
        if (payload instanceof BinData) return ((BinData) payload).getData();
        if (payload instanceof byte[]) return (byte[]) payload;
        if (payload instanceof String) return ((String) payload).getBytes(StandardCharsets.UTF_8);
        throw new ScramSha256.Refused("no payload");
    }

    private static Document step(int id, boolean done, byte[] payload) {
        Document response = new Document("conversationId", id);
        response.put("done", done);
        response.put("payload", new BinData(payload));
        Utils.markOkay(response);
        return response;
    }

    private static boolean isOk(Document response) {
        Object ok = response.get("ok");
        return ok instanceof Number && ((Number) ok).doubleValue() == 1.0;
    }

    private Document authenticationFailed(Channel channel, String why) {
        // Our log says why; the client hears what MongoDB says, which tells a guesser nothing.
        System.err.println("authentication failed for " + channel.remoteAddress() + ": " + why);
        return error(18, "AuthenticationFailed", "Authentication failed.");
    }

    private static Document unauthorized(String command) {
        return error(13, "Unauthorized", "command " + command + " requires authentication");
    }

    private static Document error(int code, String codeName, String message) {
        Document response = new Document("ok", 0);
        response.put("errmsg", message);
        response.put("code", code);
        response.put("codeName", codeName);
        return response;
    }

    @Override public void handleClose(Channel channel) {
        authenticated.remove(channel);
        pending.remove(channel);
        backend.handleClose(channel);
    }

    /** Legacy OP_QUERY reads of a collection: refused by closing the connection (the library's way for errors there). */
    @Override public QueryResult handleQuery(MongoQuery query) {
        if (!authenticated.contains(query.getChannel())) throw new MongoServerError(13, "Unauthorized", "query requires authentication");
        return backend.handleQuery(query);
    }

    @Override public Collection<Document> getCurrentOperations(MongoQuery query) {
        return authenticated.contains(query.getChannel()) ? backend.getCurrentOperations(query) : List.of();
    }

    /**
     * Called by the library only for a legacy OP_QUERY serverStatus, with no connection to check
     * (over OP_MSG the command comes through the gate above). No client we serve sends that, so it
     * is refused for everyone rather than telling strangers about the host.
     */
    @Override public Document getServerStatus() {
        throw new MongoServerError(13, "Unauthorized", "serverStatus over OP_QUERY requires authentication");
    }

    // Not reachable by a client's request: delegated as they are.
    @Override public void dropDatabase(String database) { backend.dropDatabase(database); }
    @Override public void close() { backend.close(); }
    @Override public void closeCursors(List<Long> cursorIds) { backend.closeCursors(cursorIds); }
    @Override public Clock getClock() { return backend.getClock(); }
    @Override public void enableOplog() { backend.enableOplog(); }
    @Override public void disableOplog() { backend.disableOplog(); }
    @Override public MongoDatabase resolveDatabase(String database) { return backend.resolveDatabase(database); }
    @Override public MongoBackend version(MongoVersion version) {
        backend.version(version);
        return this;
    }
}
