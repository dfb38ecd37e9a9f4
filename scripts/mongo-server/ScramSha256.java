import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The server side of SCRAM-SHA-256 (RFC 5802 with RFC 7677's hash) for the one user the launcher
 * was given. Only the salted keys are kept (as a MongoDB server stores them), never the password.
 * No SASLprep: the launcher accepts printable ASCII passwords only, for which SASLprep changes nothing.
 */
final class ScramSha256 {
    static final String MECHANISM = "SCRAM-SHA-256";
    /** MongoDB's default for SCRAM-SHA-256; the Node driver refuses fewer than 4096. */
    static final int ITERATIONS = 15000;

    /** A refused exchange; the message is for our log, the client only hears "Authentication failed." */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;
        Refused(String message) { super(message); }
    }

    private record Keys(byte[] storedKey, byte[] serverKey) { }

    private final String user;
    private final byte[] salt;
    /**
     * Derived in the background: 15000 rounds take ~0.4 s in a cold JVM, which would delay the
     * server's start; they are only needed once a client sends its proof.
     */
    private final CompletableFuture<Keys> keys;
    private final SecureRandom random = new SecureRandom();

    ScramSha256(String user, String password) {
        this.user = user;
        this.salt = new byte[32];
        random.nextBytes(salt);
        byte[] passwordBytes = password.getBytes(StandardCharsets.UTF_8);
        this.keys = CompletableFuture.supplyAsync(() -> {
            byte[] saltedPassword = hi(passwordBytes, salt, ITERATIONS);
            return new Keys(sha256(hmac(saltedPassword, "Client Key")), hmac(saltedPassword, "Server Key"));
        });
    }

    String user() { return user; }

    /** One client's exchange: client-first → server-first, then client-final → server-final. */
    final class Conversation {
        private final String gs2Header;
        private final String clientFirstBare;
        private final String nonce;
        private final String serverFirst;

        private Conversation(String gs2Header, String clientFirstBare, String nonce, String serverFirst) {
            this.gs2Header = gs2Header;
            this.clientFirstBare = clientFirstBare;
            this.nonce = nonce;
            this.serverFirst = serverFirst;
        }

        byte[] serverFirst() { return serverFirst.getBytes(StandardCharsets.UTF_8); }

        /** Checks the client's proof; on success returns server-final (our signature, which the client checks). */
        byte[] finish(byte[] clientFinalBytes) throws Refused {
            String clientFinal = new String(clientFinalBytes, StandardCharsets.UTF_8);
            int proofAt = clientFinal.lastIndexOf(",p=");
            if (proofAt < 0) throw new Refused("client-final has no proof");
            String withoutProof = clientFinal.substring(0, proofAt);
            String[] parts = withoutProof.split(",", -1);
            if (parts.length < 2 || !parts[0].startsWith("c=") || !parts[1].startsWith("r=")) throw new Refused("client-final is malformed");
            String expectedBinding = Base64.getEncoder().encodeToString(gs2Header.getBytes(StandardCharsets.UTF_8));
            if (!parts[0].substring(2).equals(expectedBinding)) throw new Refused("channel binding does not match the first message");
            if (!constantTimeEquals(parts[1].substring(2), nonce)) throw new Refused("nonce does not match");
            byte[] proof;
            try {
                proof = Base64.getDecoder().decode(clientFinal.substring(proofAt + 3));
            } catch (IllegalArgumentException e) {
                throw new Refused("proof is not base64");
            }
            byte[] storedKey = keys.join().storedKey();
            byte[] serverKey = keys.join().serverKey();
            if (proof.length != storedKey.length) throw new Refused("proof has the wrong length");
            String authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
            byte[] clientSignature = hmac(storedKey, authMessage);
            byte[] clientKey = new byte[proof.length];
            for (int i = 0; i < proof.length; i++) clientKey[i] = (byte) (proof[i] ^ clientSignature[i]);
            if (!MessageDigest.isEqual(sha256(clientKey), storedKey)) throw new Refused("wrong password");
            String serverFinal = "v=" + Base64.getEncoder().encodeToString(hmac(serverKey, authMessage));
            return serverFinal.getBytes(StandardCharsets.UTF_8);
        }
    }

    /** Parses client-first ("n,,n=user,r=nonce") and answers with our salt, iterations and nonce. */
    Conversation start(byte[] clientFirstBytes) throws Refused {
        String clientFirst = new String(clientFirstBytes, StandardCharsets.UTF_8);
        // gs2 header: "n" (no channel binding) or "y" (client could, thinks we cannot); "p=" asks for
        // binding, which we do not offer. The authorization identity must be empty.
        if (!clientFirst.startsWith("n,,") && !clientFirst.startsWith("y,,")) throw new Refused("unsupported gs2 header");
        String gs2Header = clientFirst.substring(0, 3);
        String bare = clientFirst.substring(3);
        String[] attributes = bare.split(",", -1);
        if (attributes.length < 2 || !attributes[0].startsWith("n=") || !attributes[1].startsWith("r=")) {
            throw new Refused("client-first is malformed");
        }
        if (attributes.length > 2) throw new Refused("client-first carries extensions we do not support");
        String name = unescapeName(attributes[0].substring(2));
        String clientNonce = attributes[1].substring(2);
        if (clientNonce.isEmpty()) throw new Refused("empty client nonce");
        if (!name.equals(user)) throw new Refused("unknown user");
        byte[] ours = new byte[24];
        random.nextBytes(ours);
        String nonce = clientNonce + Base64.getEncoder().encodeToString(ours);
        String serverFirst = "r=" + nonce + ",s=" + Base64.getEncoder().encodeToString(salt) + ",i=" + ITERATIONS;
        return new Conversation(gs2Header, bare, nonce, serverFirst);
    }

    /** RFC 5802 saslname: "=2C" is a comma, "=3D" an equals sign, any other "=" is invalid. */
    private static String unescapeName(String saslName) throws Refused {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < saslName.length(); i++) {
            char c = saslName.charAt(i);
            if (c != '=') {
                out.append(c);
                continue;
            }
            String escape = saslName.length() >= i + 3 ? saslName.substring(i, i + 3) : "";
            if (escape.equals("=2C")) out.append(',');
            else if (escape.equals("=3D")) out.append('=');
            else throw new Refused("invalid escape in user name");
            i += 2;
        }
        return out.toString();
    }

    private static boolean constantTimeEquals(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    /** RFC 5802's Hi(): PBKDF2 with HMAC-SHA-256 and one output block (32 bytes). */
    static byte[] hi(byte[] password, byte[] salt, int iterations) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(password, "HmacSHA256"));
            mac.update(salt);
            byte[] u = mac.doFinal(new byte[] { 0, 0, 0, 1 });
            byte[] result = u.clone();
            for (int i = 1; i < iterations; i++) {
                u = mac.doFinal(u);
                for (int j = 0; j < result.length; j++) result[j] ^= u[j];
            }
            return result;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable", e);
        }
    }

    static byte[] hmac(byte[] key, String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable", e);
        }
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is unavailable", e);
        }
    }
}
