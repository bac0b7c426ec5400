/*
 * Test program for the output tests: names itself with awkward bytes (prctl PR_SET_NAME), then
 * calls pb_show(text, value) `rounds` times for each of a fixed set of awkward strings (quotes,
 * backslashes, control characters, invalid UTF-8), with 64-bit values at the extremes.
 *
 *   awkward-strings ROUNDS [--gate]   (--gate: wait for a byte on stdin before starting)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static const char *const TEXTS[] = {
    "plain",
    "say \"hi\", then \\leave\\",
    "tab\tnewline\ncr\rbell\abs\bdel\x7f",
    "\xff\xfe invalid \xc3\x28 \xe2\x82 \xf0\x9f\x98",
    "caf\xc3\xa9 \xe2\x9c\x93 ok",
    "",
};
#define TEXT_COUNT (sizeof TEXTS / sizeof TEXTS[0])

volatile long pb_sink;

__attribute__((noinline, used)) long pb_show(const char *text, long value) {
  pb_sink += value + text[0];
  return pb_sink;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  long rounds = atol(argv[1]);
  if (argc > 2 && strcmp(argv[2], "--gate") == 0) {
    char byte;
    if (read(0, &byte, 1) != 1) return 3;
  }
  prctl(PR_SET_NAME, "aw\"k\\\x01\xff", 0, 0, 0);
  for (long i = 0; i < rounds; i++) {
    for (unsigned t = 0; t < TEXT_COUNT; t++) {
      long value = (i + t) % 2 == 0 ? INT64_MIN + (long)t : INT64_MAX - (long)t;
      pb_show(TEXTS[t], value);
    }
  }
  printf("%ld\n", rounds * (long)TEXT_COUNT);
  return 0;
}
