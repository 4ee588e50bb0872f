package io.raftkv.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class HostPortTest {

  @Test
  void parsesNamesIpv4AndBracketedIpv6() {
    assertEquals(new HostPort("localhost", 80), HostPort.parse("localhost:80"));
    assertEquals(new HostPort("127.0.0.1", 0), HostPort.parse("127.0.0.1:0"));
    HostPort v6 = HostPort.parse("[::1]:7001");
    assertEquals("::1", v6.host());
    assertEquals("[::1]:7001", v6.toString());
  }

  @Test
  void rejectsMalformed() {
    for (String bad :
        new String[] {"abc", ":1", "host:", "host:-1", "host:65536", "host:1x", "::1:7001", "a b:1", "[::1]7001", "[]:1"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HostPort.parse(bad), bad);
      assertEquals(true, e.getMessage().startsWith("expected host:port, got \"" + bad + "\""), e.getMessage());
    }
  }

  @Test
  void portZeroIsNotConnectable() {
    assertThrows(IllegalArgumentException.class, () -> HostPort.parse("h:0").requireConnectable());
    assertEquals(1, HostPort.parse("h:1").requireConnectable().port());
  }
}
