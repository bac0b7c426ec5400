/*
 * perf-bridge load generator: makes an exactly known number of kernel events.
 *
 *   loadgen getppid COUNT [--rate N] [--cpu C]   COUNT getppid() syscalls
 *   loadgen call COUNT [--rate N] [--cpu C]      COUNT calls of pb_target(label, value)
 *   loadgen nested COUNT                          COUNT calls of pb_nested(&call): the same label and
 *                                                 value behind a pointer, for nested dereferences
 *   loadgen exec COUNT PATH [ARGS...]            fork + exec PATH COUNT times, one after another
 *
 * --rate N paces the work at N events per second (default: as fast as possible);
 * --cpu C pins the generator to CPU C; --gate waits for one byte on stdin before starting, so a
 * tracer can attach to the pid first. On exit it prints one JSON line on stdout:
 *   {"mode":"getppid","produced":COUNT,"seconds":S,"pid":PID,"userSeconds":U,"systemSeconds":S}
 * (its own CPU time, so a tool that starts it can subtract it exactly).
 * pb_target's arguments are a pure function of the call index i (see pb_label / pb_value), so a
 * test can recompute every value the uprobe must have seen.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile long pb_sink;

/* The uprobe target: not inlined, not optimised away, with a string and a signed integer. */
__attribute__((noinline, used)) long pb_target(const char *label, long value) {
  pb_sink += value + (long)label[0];
  __asm__ volatile("" ::: "memory");
  return pb_sink;
}

/* What pb_nested receives: a pointer to this, so reaching the label takes two dereferences. */
struct pb_call {
  const char *label;
  long value;
};

__attribute__((noinline, used)) long pb_nested(const struct pb_call *call) {
  return pb_target(call->label, call->value);
}

/* The label of call i: "item-<i % 1000>", plus a longer tail every 7th call. */
static void pb_label(long i, char *out, size_t size) {
  if (i % 7 == 0) snprintf(out, size, "item-%ld/with-a-longer-tail-%ld", i % 1000, i);
  else snprintf(out, size, "item-%ld", i % 1000);
}

/* The value of call i: negative for odd i, so signed decoding is exercised. */
static long pb_value(long i) { return (i % 2 == 0) ? i * 3 : -i; }

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sleeps until event i is due at `rate` per second from `start`. */
static void pace(long i, double rate, double start) {
  if (rate <= 0) return;
  double due = start + i / rate;
  double wait = due - now_seconds();
  if (wait > 0.0002) {
    struct timespec ts = {(time_t)wait, (long)((wait - (time_t)wait) * 1e9)};
    nanosleep(&ts, NULL);
  }
}

static int usage(void) {
  fprintf(stderr, "usage: loadgen getppid|call|nested COUNT [--rate N] [--cpu C] [--gate] | loadgen exec COUNT PATH [ARGS...]\n");
  return 2;
}

int main(int argc, char **argv) {
  if (argc < 3) return usage();
  const char *mode = argv[1];
  char *end;
  long count = strtol(argv[2], &end, 10);
  if (*end != '\0' || count < 0) return usage();
  double rate = 0;
  int cpu = -1;
  int gate = 0;
  int next = 3;
  if (strcmp(mode, "exec") != 0) {
    for (; next < argc; next++) {
      if (strcmp(argv[next], "--rate") == 0 && next + 1 < argc) rate = atof(argv[++next]);
      else if (strcmp(argv[next], "--cpu") == 0 && next + 1 < argc) cpu = atoi(argv[++next]);
      else if (strcmp(argv[next], "--gate") == 0) gate = 1;
      else return usage();
    }
  }
  if (cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) {
      fprintf(stderr, "loadgen: cannot pin to CPU %d: %s\n", cpu, strerror(errno));
      return 1;
    }
  }

  if (gate) {
    char byte;
    if (read(0, &byte, 1) != 1) {
      fprintf(stderr, "loadgen: --gate: stdin closed before the start byte\n");
      return 1;
    }
  }
  double start = now_seconds();
  if (strcmp(mode, "getppid") == 0) {
    for (long i = 0; i < count; i++) {
      pace(i, rate, start);
      syscall(SYS_getppid);
    }
  } else if (strcmp(mode, "call") == 0) {
    char label[96];
    for (long i = 0; i < count; i++) {
      pace(i, rate, start);
      pb_label(i, label, sizeof label);
      pb_target(label, pb_value(i));
    }
  } else if (strcmp(mode, "nested") == 0) {
    char label[96];
    for (long i = 0; i < count; i++) {
      pace(i, rate, start);
      pb_label(i, label, sizeof label);
      struct pb_call call = {label, pb_value(i)};
      pb_nested(&call);
    }
  } else if (strcmp(mode, "exec") == 0) {
    if (argc < 4) return usage();
    for (long i = 0; i < count; i++) {
      pid_t child = fork();
      if (child < 0) return perror("fork"), 1;
      if (child == 0) {
        execv(argv[3], argv + 3);
        _exit(127);
      }
      int status;
      waitpid(child, &status, 0);
      if (!WIFEXITED(status) || WEXITSTATUS(status) == 127) {
        fprintf(stderr, "loadgen: exec of %s failed\n", argv[3]);
        return 1;
      }
    }
  } else {
    return usage();
  }
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  printf("{\"mode\":\"%s\",\"produced\":%ld,\"seconds\":%.6f,\"pid\":%d,\"userSeconds\":%.6f,\"systemSeconds\":%.6f}\n", mode, count,
         now_seconds() - start, getpid(), usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6,
         usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6);
  return 0;
}
