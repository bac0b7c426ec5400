/*
 * rusage-exec: runs a command and reports what it cost, for the benchmark's peer tools.
 *
 *   rusage-exec OUT.json CMD [ARGS...]
 *
 * Node reaps its children at once, so it cannot learn a child's final CPU time. This wrapper is
 * the tool's parent instead: when the tool exits it first looks at the zombie (waitid WNOWAIT)
 * to read the tool's own CPU ticks from /proc/<pid>/stat (fields 14-17 keep the tool's own time
 * apart from that of children it reaped, such as a workload bpftrace -c started), then reaps it
 * with wait4 for the microsecond rusage and the peak RSS. SIGINT, SIGTERM and SIGHUP are passed
 * on to the tool, so signalling the wrapper's pid stops the tool the normal way.
 *
 * OUT.json gets one line:
 *   {"pid":P,"exitCode":C,"signal":S,"userUs":U,"sysUs":S,"maxRssKb":M,
 *    "ownUserTicks":T,"ownSysTicks":T,"childUserTicks":K,"childSysTicks":K,"ticksPerSecond":H}
 * userUs/sysUs/maxRssKb come from wait4 and include reaped children; own*Ticks exclude them.
 * The wrapper exits with the tool's exit code (128 + signal when it was killed).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile pid_t child_pid = -1;

static void forward(int sig) {
  if (child_pid > 0) kill(child_pid, sig);
}

/* Reads utime, stime, cutime and cstime (clock ticks) of pid into t[0..3]; returns 0 on success. */
static int read_ticks(pid_t pid, long long t[4]) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (f == NULL) return -1;
  char buf[4096];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  /* The command name may hold spaces and parentheses: fields start after the last ')'. */
  char *p = strrchr(buf, ')');
  if (p == NULL) return -1;
  p += 2; /* now at field 3 (state) */
  unsigned long long v[15];
  /* fields 3..17: state is a char, the rest numbers; skip the state. */
  if (sscanf(p, "%*c %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
             &v[6], &v[7], &v[8], &v[9], &v[10], &v[11], &v[12], &v[13]) != 14)
    return -1;
  /* v[0] is field 4 (ppid), so field k is v[k - 4]. */
  for (int i = 0; i < 4; i++) t[i] = (long long)v[10 + i];
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: rusage-exec OUT.json CMD [ARGS...]\n");
    return 2;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);

  pid_t pid = fork();
  if (pid < 0) return perror("rusage-exec: fork"), 1;
  if (pid == 0) {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    execvp(argv[2], argv + 2);
    fprintf(stderr, "rusage-exec: cannot run %s: %s\n", argv[2], strerror(errno));
    _exit(127);
  }
  child_pid = pid;

  siginfo_t info;
  for (;;) {
    memset(&info, 0, sizeof info);
    if (waitid(P_PID, pid, &info, WEXITED | WNOWAIT) == 0) break;
    if (errno != EINTR) return perror("rusage-exec: waitid"), 1;
  }
  long long ticks[4] = {-1, -1, -1, -1};
  read_ticks(pid, ticks);

  struct rusage ru;
  int status = 0;
  while (wait4(pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) return perror("rusage-exec: wait4"), 1;
  }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;

  FILE *out = fopen(argv[1], "w");
  if (out == NULL) return perror("rusage-exec: output"), 1;
  fprintf(out,
          "{\"pid\":%d,\"exitCode\":%d,\"signal\":%d,\"userUs\":%lld,\"sysUs\":%lld,\"maxRssKb\":%ld,"
          "\"ownUserTicks\":%lld,\"ownSysTicks\":%lld,\"childUserTicks\":%lld,\"childSysTicks\":%lld,\"ticksPerSecond\":%ld}\n",
          (int)pid, code, sig, (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
          (long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec, ru.ru_maxrss, ticks[0], ticks[1], ticks[2], ticks[3],
          sysconf(_SC_CLK_TCK));
  fclose(out);
  return sig ? 128 + sig : code;
}
