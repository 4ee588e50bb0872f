package io.raftkv;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The package layering of docs/architecture.md, checked against the compiled production classes.
 * A layer's rule names every raftkv package it may use; libraries (the JDK, Pekko, RocksDB,
 * Jackson) are governed by the rule only where it says {@link #onlyTheJdk}.
 *
 * <p>To add a layer, add one rule naming what it may use: {@link #onlyTheJdk} for one that must stay
 * free of frameworks, {@link #layer} for one that may use libraries; then list it where other
 * layers may or may not reach it. {@link #noPackageCycles} covers a new package by itself.
 */
class ArchitectureTest {
  private static final JavaClasses PRODUCTION = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("io.raftkv");

  /**
   * The Raft protocol is a pure state machine: no threads, clock, I/O or framework, so the
   * simulator can run it deterministically and nothing outside can change its behavior.
   */
  @Test
  void theRaftCoreUsesOnlyTheJdk() {
    onlyTheJdk("raft.core").check(PRODUCTION);
  }

  /**
   * The driver makes every decision between the core's Ready and the outside world, and reaches
   * storage, peers, timers and the clock only through its ports: no Pekko, gRPC or RocksDB, so
   * the simulator runs it as it runs in production. It logs through slf4j.
   */
  @Test
  void theDriverUsesNoFramework() {
    String[] allowed = Stream.concat(Stream.of("java..", "org.slf4j.."),
        Arrays.stream(packages("raft.driver", "raft.core", "storage", "api", "kv", "transport"))).toArray(String[]::new);
    classes().that().resideInAPackage("io.raftkv.raft.driver..")
        .should().onlyDependOnClassesThat(resideInAnyPackage(allowed))
        .as("raft.driver uses only the JDK, slf4j, raft.core, storage, api, kv and transport")
        .check(PRODUCTION);
  }

  /** The key-value commands and their encoding are plain data, shared by storage, transport and HTTP. */
  @Test
  void kvUsesOnlyTheJdk() {
    onlyTheJdk("kv").check(PRODUCTION);
  }

  /** The client API is the boundary between HTTP and the node: its own types, plus the kv data they carry. */
  @Test
  void theClientApiUsesOnlyKv() {
    layer("api", "kv").check(PRODUCTION);
  }

  /**
   * HTTP reaches the node only through the client API, so a change inside the node (or its
   * storage, or its transport) never changes what clients see. It uses kv for the commands and
   * results it renders as JSON.
   */
  @Test
  void httpUsesTheNodeOnlyThroughTheClientApi() {
    layer("http", "api", "kv").check(PRODUCTION);
  }

  /** Storage keeps the core's log and the kv state machine, and knows nothing of who drives it. */
  @Test
  void storageUsesOnlyTheCoreAndKv() {
    layer("storage", "raft.core", "kv").check(PRODUCTION);
  }

  /**
   * The node-to-node transport carries the core's messages and the outcomes of forwarded client
   * requests; it reads its limits from config and never reaches into the node that uses it.
   */
  @Test
  void transportUsesOnlyTheCoreApiKvAndConfig() {
    layer("transport", "raft.core", "api", "kv", "config").check(PRODUCTION);
  }

  /** Configuration is read and validated on its own: every other layer may use it, it uses none. */
  @Test
  void configUsesNoOtherLayer() {
    layer("config").check(PRODUCTION);
  }

  /** Neither storage nor the node-to-node transport knows that clients speak HTTP. */
  @Test
  void storageAndTransportNeverUseHttp() {
    noClasses().that().resideInAnyPackage(packages("storage", "transport"))
        .should().dependOnClassesThat().resideInAnyPackage(packages("http"))
        .check(PRODUCTION);
  }

  /**
   * transport.grpc is the code generated from raft.proto and nothing else: the hand-written
   * transport uses it, never the other way round.
   */
  @Test
  void theGeneratedProtocolCodeUsesNoRaftkvCode() {
    noClasses().that().resideInAPackage("io.raftkv.transport.grpc")
        .should().dependOnClassesThat(resideInAPackage("io.raftkv..").and(not(resideInAPackage("io.raftkv.transport.grpc"))))
        .check(PRODUCTION);
  }

  /**
   * No two packages depend on each other, directly or through others, at any depth (raft.core and
   * raft.node count as two, as do transport and transport.grpc): each package can be read, and
   * tested, knowing only the packages below it.
   */
  @Test
  void noPackageCycles() {
    slices().matching("io.raftkv.(**)").should().beFreeOfCycles().check(PRODUCTION);
  }

  /** Classes of {@code pkg} use no other raftkv package than {@code allowed}, and only the JDK. */
  private static ArchRule onlyTheJdk(String pkg, String... allowed) {
    String[] own = packages(Stream.concat(Stream.of(pkg), Arrays.stream(allowed)).toArray(String[]::new));
    return classes().that().resideInAPackage(own[0])
        .should().onlyDependOnClassesThat(resideInAnyPackage(Stream.concat(Stream.of("java.."), Arrays.stream(own))
            .toArray(String[]::new)))
        .as(pkg + " uses only the JDK" + (allowed.length == 0 ? "" : " and " + String.join(", ", allowed)));
  }

  /** Classes of {@code pkg} use no other raftkv package than {@code allowed}; any library is fine. */
  private static ArchRule layer(String pkg, String... allowed) {
    String[] own = packages(Stream.concat(Stream.of(pkg), Arrays.stream(allowed)).toArray(String[]::new));
    return classes().that().resideInAPackage(own[0])
        .should().onlyDependOnClassesThat(not(resideInAPackage("io.raftkv..")).or(resideInAnyPackage(own)))
        .as(pkg + " uses no raftkv package but " + (allowed.length == 0 ? "itself" : String.join(", ", allowed)));
  }

  /** {@code io.raftkv.<name>..} for each name: the package and its subpackages. */
  private static String[] packages(String... names) {
    return Arrays.stream(names).map(n -> "io.raftkv." + n + "..").toArray(String[]::new);
  }
}
