package io.raftkv.check;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a Jepsen compare-and-set register history as logged by {@code jepsen.util}:
 * {@code INFO  jepsen.util - <process> <type> <f> <value>}.
 *
 * <p>Fields are split on any whitespace, not just tabs, because some recorded files use spaces;
 * the value is the rest of the line since a cas value ({@code [1 2]}) contains a space. The line
 * number is the time. Lines that are not client events (other loggers, the nemesis) are skipped;
 * a malformed client event is an error rather than silently ignored, since dropping an event
 * could change the verdict.
 *
 * <p>{@code :ok} completes the process's pending invocation, {@code :fail} discards it (it did not
 * happen), {@code :info} makes it an unknown-outcome operation, as does reaching the end of the log
 * with the invocation still pending.
 */
public final class JepsenLogParser {

  private static final Pattern EVENT =
      Pattern.compile("^INFO\\s+jepsen\\.util\\s+-\\s+(\\S+)\\s+(:\\S+)\\s+(:\\S+)\\s*(.*?)\\s*$");
  private static final Pattern CAS_VALUE = Pattern.compile("^\\[\\s*(-?\\d+)\\s+(-?\\d+)\\s*]$");

  private JepsenLogParser() {}

  public static List<Operation<RegisterModel.Op, RegisterModel.Result>> parse(String text) {
    try {
      return parse(new BufferedReader(new StringReader(text)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static List<Operation<RegisterModel.Op, RegisterModel.Result>> parse(BufferedReader in)
      throws IOException {
    Map<Integer, Pending> pending = new HashMap<>();
    List<Operation<RegisterModel.Op, RegisterModel.Result>> history = new ArrayList<>();
    long lineNo = 0;
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      lineNo++;
      Matcher m = EVENT.matcher(line);
      if (!m.matches()) {
        continue;
      }
      int process;
      try {
        process = Integer.parseInt(m.group(1));
      } catch (NumberFormatException e) {
        continue; // :nemesis and friends are not clients
      }
      String type = m.group(2);
      String f = m.group(3);
      String value = m.group(4);
      Pending p = pending.get(process);
      switch (type) {
        case ":invoke":
          if (p != null) {
            throw malformed(lineNo, line, "process " + process + " invoked twice");
          }
          pending.put(process, new Pending(f, input(f, value, lineNo, line), lineNo));
          break;
        case ":ok":
          requireMatching(p, process, f, lineNo, line);
          pending.remove(process);
          history.add(
              Operation.completed(
                  process, p.input, output(f, value, lineNo, line), p.callTime, lineNo));
          break;
        case ":fail":
          requireMatching(p, process, f, lineNo, line);
          pending.remove(process);
          break;
        case ":info":
          requireMatching(p, process, f, lineNo, line);
          pending.remove(process);
          history.add(Operation.unknown(process, p.input, p.callTime));
          break;
        default:
          throw malformed(lineNo, line, "unknown event type " + type);
      }
    }
    for (Map.Entry<Integer, Pending> e : pending.entrySet()) {
      // Never answered before the log ended: the outcome is as unknown as a timeout's.
      history.add(Operation.unknown(e.getKey(), e.getValue().input, e.getValue().callTime));
    }
    history.sort(Comparator.comparingLong(Operation::callTime));
    return history;
  }

  private static RegisterModel.Op input(String f, String value, long lineNo, String line) {
    switch (f) {
      case ":read":
        return RegisterModel.READ;
      case ":write":
        return new RegisterModel.Write(integer(value, lineNo, line));
      case ":cas":
        Matcher m = CAS_VALUE.matcher(value);
        if (!m.matches()) {
          throw malformed(lineNo, line, "cas value is not [expected new]");
        }
        return new RegisterModel.Cas(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
      default:
        throw malformed(lineNo, line, "unknown function " + f);
    }
  }

  private static RegisterModel.Result output(String f, String value, long lineNo, String line) {
    if (f.equals(":read")) {
      return new RegisterModel.ReadResult(value.equals("nil") ? null : integer(value, lineNo, line));
    }
    // An ok write was applied; an ok cas swapped. The echoed value carries nothing new.
    return RegisterModel.OK;
  }

  private static int integer(String value, long lineNo, String line) {
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw malformed(lineNo, line, "not an integer: " + value);
    }
  }

  private static void requireMatching(Pending p, int process, String f, long lineNo, String line) {
    if (p == null) {
      throw malformed(lineNo, line, "completion without an invocation by process " + process);
    }
    if (!p.f.equals(f)) {
      throw malformed(lineNo, line, "completes " + f + " but the invocation was " + p.f);
    }
  }

  private static IllegalArgumentException malformed(long lineNo, String line, String why) {
    return new IllegalArgumentException("line " + lineNo + ": " + why + ": " + line);
  }

  private static final class Pending {
    final String f;
    final RegisterModel.Op input;
    final long callTime;

    Pending(String f, RegisterModel.Op input, long callTime) {
      this.f = f;
      this.input = input;
      this.callTime = callTime;
    }
  }
}
