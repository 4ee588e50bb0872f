package io.raftkv.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class JepsenLogParserTest {

  @Test
  void parsesEventsWithTabsOrSpaces() {
    String log =
        String.join(
            "\n",
            "some other logger line",
            "INFO  jepsen.util - 0\t:invoke\t:read\tnil",
            "INFO  jepsen.util - 1   :invoke :write  3",
            "INFO  jepsen.util - 0\t:ok\t:read\tnil",
            "INFO  jepsen.util - 1   :ok     :write  3",
            "INFO  jepsen.util - 2\t:invoke\t:cas\t[3 4]",
            "INFO  jepsen.util - :nemesis\t:info\t:start\tnil",
            "INFO  jepsen.util - 2\t:ok\t:cas\t[3 4]",
            "INFO  jepsen.util - 0\t:invoke\t:read\tnil",
            "INFO  jepsen.util - 0\t:ok\t:read\t4");
    List<Operation<RegisterModel.Op, RegisterModel.Result>> h = JepsenLogParser.parse(log);
    assertEquals(4, h.size());
    assertEquals(Operation.completed(0, RegisterModel.READ, new RegisterModel.ReadResult(null), 2, 4), h.get(0));
    assertEquals(Operation.completed(1, new RegisterModel.Write(3), RegisterModel.OK, 3, 5), h.get(1));
    assertEquals(Operation.completed(2, new RegisterModel.Cas(3, 4), RegisterModel.OK, 6, 8), h.get(2));
    assertEquals(Operation.completed(0, RegisterModel.READ, new RegisterModel.ReadResult(4), 9, 10), h.get(3));
  }

  @Test
  void failedOperationsAreDroppedAndInfoOrPendingOnesAreUnknown() {
    String log =
        String.join(
            "\n",
            "INFO  jepsen.util - 0\t:invoke\t:cas\t[1 2]",
            "INFO  jepsen.util - 0\t:fail\t:cas\t[1 2]",
            "INFO  jepsen.util - 1\t:invoke\t:write\t1",
            "INFO  jepsen.util - 1\t:info\t:write\t:timed-out",
            "INFO  jepsen.util - 2\t:invoke\t:write\t2");
    List<Operation<RegisterModel.Op, RegisterModel.Result>> h = JepsenLogParser.parse(log);
    assertEquals(
        List.of(
            Operation.unknown(1, new RegisterModel.Write(1), 3),
            Operation.unknown(2, new RegisterModel.Write(2), 5)),
        h);
  }

  @Test
  void malformedClientEventsAreErrors() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> JepsenLogParser.parse("INFO  jepsen.util - 0\t:ok\t:read\t1"));
    assertTrue(e.getMessage().startsWith("line 1:"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            JepsenLogParser.parse(
                "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:ok\t:write\t1"));
    assertThrows(
        IllegalArgumentException.class,
        () -> JepsenLogParser.parse("INFO  jepsen.util - 0\t:invoke\t:cas\t[1]"));
  }
}
