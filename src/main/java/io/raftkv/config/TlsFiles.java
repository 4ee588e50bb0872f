package io.raftkv.config;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Reads PEM files as openssl writes them into what the JDK's TLS wants, with the JDK alone:
 * certificate chains, unencrypted private keys (PKCS#8 {@code BEGIN PRIVATE KEY} of any algorithm
 * the JDK knows, or PKCS#1 {@code BEGIN RSA PRIVATE KEY}), key managers and trust managers.
 *
 * <p>Every problem is an {@link IllegalArgumentException} whose message names the file and says
 * what is wrong with it, so the config loader can report it against the key that named the file.
 */
public final class TlsFiles {
  private static final Pattern BLOCK =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \\1-----");
  private static final String[] KEY_ALGORITHMS = {"RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS"};
  /** Only guards an in-memory key store that never leaves this process. */
  private static final char[] STORE_PASSWORD = "raftkv".toCharArray();

  private TlsFiles() {}

  /**
   * Reads every file {@code tls} names once, so that a missing file, a bad PEM or a key that does
   * not belong to its certificate stops the node at start with the key named, instead of failing
   * the first handshake of a node that looks healthy.
   *
   * @throws InvalidSettingException naming the key of the file at fault
   */
  static void check(TlsConfig tls) {
    if (tls.httpTls()) {
      pair("cert_file", tls.certFile(), "key_file", tls.keyFile());
      if (tls.trustedCaFile() != null) read("trusted_ca_file", () -> certificates(tls.trustedCaFile()));
    }
    if (tls.peerTls()) {
      pair("peer_cert_file", tls.peerCertFile(), "peer_key_file", tls.peerKeyFile());
      read("peer_trusted_ca_file", () -> certificates(tls.peerTrustedCaFile()));
    }
  }

  private static void pair(String certKey, Path certFile, String keyKey, Path keyFile) {
    List<X509Certificate> chain = read(certKey, () -> certificates(certFile));
    PrivateKey key = read(keyKey, () -> privateKey(keyFile));
    read(keyKey, () -> {
      requirePair(key, chain.get(0), keyFile, certFile);
      return key;
    });
  }

  private static <T> T read(String key, Supplier<T> reader) {
    try {
      return reader.get();
    } catch (InvalidSettingException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      throw new InvalidSettingException(key, e.getMessage());
    }
  }

  /** The certificates of a PEM file, in file order (a chain starts with the leaf). */
  public static List<X509Certificate> certificates(Path file) {
    List<X509Certificate> out = new ArrayList<>();
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      for (Block b : blocks(file)) {
        if (!b.label.equals("CERTIFICATE")) continue;
        out.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(b.der)));
      }
    } catch (CertificateException e) {
      throw new IllegalArgumentException(file + " holds a CERTIFICATE block that does not parse: " + e.getMessage(), e);
    }
    if (out.isEmpty()) throw new IllegalArgumentException(file + " holds no PEM CERTIFICATE block");
    return out;
  }

  /** The one private key of a PEM file. */
  public static PrivateKey privateKey(Path file) {
    for (Block b : blocks(file)) {
      switch (b.label) {
        case "PRIVATE KEY":
          return pkcs8(file, b.der);
        case "RSA PRIVATE KEY":
          return pkcs8(file, rsaPkcs1ToPkcs8(b.der));
        case "ENCRYPTED PRIVATE KEY":
          throw new IllegalArgumentException(file + " holds an encrypted key; the node needs it unencrypted"
              + " (openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pem)");
        case "EC PRIVATE KEY":
          throw new IllegalArgumentException(file + " holds an EC key in the SEC1 format; convert it to PKCS#8"
              + " (openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pem)");
        default:
          break;
      }
    }
    throw new IllegalArgumentException(file + " holds no PEM PRIVATE KEY block");
  }

  /** Throws unless {@code key} is the private half of {@code cert}'s public key. */
  public static void requirePair(PrivateKey key, X509Certificate cert, Path keyFile, Path certFile) {
    String algorithm = signatureAlgorithm(key.getAlgorithm());
    if (algorithm == null) return; // an algorithm we cannot sign with here; the handshake will tell
    try {
      byte[] probe = "raftkv key pair check".getBytes(StandardCharsets.US_ASCII);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(cert.getPublicKey());
      verifier.update(probe);
      if (verifier.verify(signature)) return;
    } catch (GeneralSecurityException e) {
      // a key of another type than the certificate's: not a pair either
    }
    throw new IllegalArgumentException(keyFile + " is not the private key of the certificate in " + certFile);
  }

  /** Key managers that present the chain in {@code certFile} with the key in {@code keyFile}. */
  public static KeyManager[] keyManagers(Path certFile, Path keyFile) {
    List<X509Certificate> chain = certificates(certFile);
    PrivateKey key = privateKey(keyFile);
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("node", key, STORE_PASSWORD, chain.toArray(new X509Certificate[0]));
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(store, STORE_PASSWORD);
      return kmf.getKeyManagers();
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalArgumentException("cannot use " + keyFile + " with " + certFile + ": " + e.getMessage(), e);
    }
  }

  /** A trust manager that accepts exactly the chains that end at a certificate in {@code caFile}. */
  public static X509ExtendedTrustManager trustManager(Path caFile) {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      int i = 0;
      for (X509Certificate ca : certificates(caFile)) store.setCertificateEntry("ca" + i++, ca);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      for (TrustManager tm : tmf.getTrustManagers()) {
        if (tm instanceof X509ExtendedTrustManager x) return x;
      }
      throw new IllegalStateException("the JDK offers no X.509 trust manager");
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalArgumentException("cannot trust the certificates in " + caFile + ": " + e.getMessage(), e);
    }
  }

  /**
   * A server's TLS context: it presents the chain in {@code certFile} with {@code keyFile}, and
   * checks client certificates against {@code caFile} when that is not null.
   */
  public static SSLContext serverContext(Path certFile, Path keyFile, Path caFile) {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keyManagers(certFile, keyFile), caFile == null ? null : new TrustManager[] {trustManager(caFile)}, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot set up TLS with " + certFile + ": " + e.getMessage(), e);
    }
  }

  private record Block(String label, byte[] der) {}

  private static List<Block> blocks(Path file) {
    String text;
    try {
      // PEM is ASCII; reading bytes as Latin-1 never fails, so any other file is "not PEM".
      text = Files.readString(file, StandardCharsets.ISO_8859_1);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("cannot read " + file + ": no such file", e);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e, e);
    }
    List<Block> out = new ArrayList<>();
    Matcher m = BLOCK.matcher(text);
    while (m.find()) {
      try {
        out.add(new Block(m.group(1), Base64.getMimeDecoder().decode(m.group(2).strip())));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(file + " holds a " + m.group(1) + " block that is not base64", e);
      }
    }
    if (out.isEmpty()) throw new IllegalArgumentException(file + " is not a PEM file (no -----BEGIN ...----- block)");
    return out;
  }

  private static PrivateKey pkcs8(Path file, byte[] der) {
    for (String algorithm : KEY_ALGORITHMS) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (InvalidKeySpecException | java.security.NoSuchAlgorithmException | ClassCastException e) {
        // try the next algorithm
      }
    }
    throw new IllegalArgumentException(file + " holds a PRIVATE KEY block that is no RSA, EC or EdDSA key");
  }

  private static String signatureAlgorithm(String keyAlgorithm) {
    switch (keyAlgorithm) {
      case "RSA":
        return "SHA256withRSA";
      case "EC":
        return "SHA256withECDSA";
      case "Ed25519":
      case "Ed448":
      case "EdDSA":
        return keyAlgorithm;
      default:
        return null;
    }
  }

  /**
   * Wraps a PKCS#1 RSA key (what older openssl writes as {@code BEGIN RSA PRIVATE KEY}) in the
   * PKCS#8 envelope the JDK reads: SEQUENCE { INTEGER 0, SEQUENCE { rsaEncryption OID, NULL },
   * OCTET STRING { the PKCS#1 key } }.
   */
  static byte[] rsaPkcs1ToPkcs8(byte[] pkcs1) {
    byte[] version = {0x02, 0x01, 0x00};
    byte[] algorithm = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01,
        0x01, 0x05, 0x00};
    byte[] octets = der(0x04, pkcs1);
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(version);
    body.writeBytes(algorithm);
    body.writeBytes(octets);
    return der(0x30, body.toByteArray());
  }

  private static byte[] der(int tag, byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(tag);
    int n = content.length;
    if (n < 0x80) {
      out.write(n);
    } else {
      int bytes = n > 0xffffff ? 4 : n > 0xffff ? 3 : n > 0xff ? 2 : 1;
      out.write(0x80 | bytes);
      for (int i = bytes - 1; i >= 0; i--) out.write((n >>> (8 * i)) & 0xff);
    }
    out.writeBytes(content);
    return out.toByteArray();
  }
}
