package io.raftkv;

public final class Main {
  public static void main(String[] args) {
  }
}
