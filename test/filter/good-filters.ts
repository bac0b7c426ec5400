/**
 * Filters that must compile, on the 6.18 format fixtures, with the canonical text they compile to
 * (the compile and kernel tests share them).
 */
import { EXEC, IPI, OPENAT, SWITCH } from './events.js';

/** A filter that must compile. */
export interface GoodFilter {
  readonly event: string;
  readonly expression: string;
  /** The canonical text; the expression itself when omitted. */
  readonly canonical?: string;
}

/** Every kind of value, operator, field and connective, on the events of the 6.18 fixtures. */
export const GOOD_FILTERS: readonly GoodFilter[] = [
  { event: SWITCH, expression: 'prev_pid == 1' },
  { event: SWITCH, expression: 'prev_pid==1&&next_pid==2', canonical: 'prev_pid == 1 && next_pid == 2' },
  { event: SWITCH, expression: 'prev_pid != 0 && next_pid > 100' },
  { event: SWITCH, expression: 'prev_prio <= 120 || next_prio >= 100 || prev_prio < 0 || next_prio > 139' },
  { event: SWITCH, expression: 'prev_state & 1' },
  { event: SWITCH, expression: 'prev_state &0x402', canonical: 'prev_state & 0x402' },
  { event: SWITCH, expression: 'prev_pid == -1' },
  { event: SWITCH, expression: 'next_pid >= 0X1F' },
  { event: SWITCH, expression: 'prev_pid == 010' },
  { event: SWITCH, expression: 'prev_pid == 0xffffffff' },
  { event: SWITCH, expression: 'prev_pid == -0x10' },
  { event: SWITCH, expression: 'prev_state == -9223372036854775808' },
  { event: SWITCH, expression: 'common_type == 0xffff' },
  { event: SWITCH, expression: 'prev_comm == "bash"' },
  { event: SWITCH, expression: "prev_comm != 'sh'", canonical: 'prev_comm != "sh"' },
  { event: SWITCH, expression: `prev_comm == 'say "hi"'` },
  { event: SWITCH, expression: `prev_comm == "it's"` },
  { event: SWITCH, expression: 'prev_comm == ""' },
  { event: SWITCH, expression: 'next_comm ~ "kworker/*"' },
  { event: SWITCH, expression: 'next_comm ~ "*sh"' },
  { event: SWITCH, expression: 'next_comm ~ "*ash*"' },
  { event: SWITCH, expression: 'next_comm ~ "b?sh"' },
  { event: SWITCH, expression: 'next_comm ~ "[bz]sh"' },
  { event: SWITCH, expression: 'next_comm ~ "!swapper*"' },
  { event: SWITCH, expression: 'next_comm ~ "[0]*"' },
  { event: SWITCH, expression: 'next_comm ~ "12"' },
  { event: SWITCH, expression: 'prev_comm == "é"' },
  { event: SWITCH, expression: 'common_pid == 42' },
  { event: SWITCH, expression: 'common_flags & 0x8' },
  { event: SWITCH, expression: 'common_pid != 0 && !(prev_comm == "x")' },
  { event: SWITCH, expression: '!prev_pid == 1', canonical: '!(prev_pid == 1)' },
  { event: SWITCH, expression: '!!prev_pid == 1', canonical: '!!(prev_pid == 1)' },
  { event: SWITCH, expression: '! ( prev_pid == 1 )', canonical: '!(prev_pid == 1)' },
  { event: SWITCH, expression: '(prev_pid == 1 || next_pid == 1) && CPU == 0' },
  {
    event: SWITCH,
    expression: '(prev_pid == 1 && next_pid == 1) || CPU == 0',
    canonical: 'prev_pid == 1 && next_pid == 1 || CPU == 0',
  },
  {
    event: SWITCH,
    expression: 'prev_pid == 1 && (next_pid == 2 && CPU == 0)',
    canonical: 'prev_pid == 1 && next_pid == 2 && CPU == 0',
  },
  {
    event: SWITCH,
    expression: '!(prev_pid == 1 || !next_pid == 2)',
    canonical: '!(prev_pid == 1 || !(next_pid == 2))',
  },
  { event: SWITCH, expression: '((((prev_pid == 1))))', canonical: 'prev_pid == 1' },
  { event: SWITCH, expression: '\tprev_pid\n==\r1 ', canonical: 'prev_pid == 1' },
  { event: SWITCH, expression: 'CPU == 0' },
  { event: SWITCH, expression: 'cpu < 2' },
  { event: SWITCH, expression: 'common_cpu != 1' },
  { event: SWITCH, expression: 'CPU == -1' },
  { event: SWITCH, expression: 'COMM ~ "node*"' },
  { event: SWITCH, expression: 'comm == "node"' },
  { event: SWITCH, expression: 'CPU & CPUS{0-1}' },
  { event: SWITCH, expression: 'CPU == CPUS{0}' },
  { event: SWITCH, expression: 'CPU & CPUS{0-N}' },
  { event: SWITCH, expression: 'CPU & CPUS{all}' },
  { event: SWITCH, expression: 'CPU & CPUS{0-1:1/2}' },
  { event: SWITCH, expression: 'prev_pid == CPUS{1}' },
  { event: SWITCH, expression: 'prev_state.function == schedule', canonical: 'prev_state.function == schedule ' },
  {
    event: SWITCH,
    expression: '(prev_state.function == schedule ) && CPU == 0',
    canonical: 'prev_state.function == schedule && CPU == 0',
  },
  { event: OPENAT, expression: 'filename.ustring ~ "/etc/*"' },
  { event: OPENAT, expression: 'flags & 1 && filename.ustring ~ "/etc/*"' },
  { event: OPENAT, expression: 'dfd == 0xffffffffffffff9c' },
  { event: OPENAT, expression: '__syscall_nr == 257' },
  { event: OPENAT, expression: 'mode == 0644' },
  { event: EXEC, expression: 'filename ~ "/usr/bin/*"' },
  { event: EXEC, expression: 'old_pid >= 100 || pid < 0' },
  { event: IPI, expression: 'cpumask & CPUS{1}' },
  { event: IPI, expression: 'cpumask == CPUS{0,1}' },
  { event: IPI, expression: 'callsite.function != schedule', canonical: 'callsite.function != schedule ' },
  { event: IPI, expression: 'callback != 0' },
  { event: 'workqueue:workqueue_queue_work', expression: 'cpu == 1 && workqueue ~ "events*"' },
  { event: 'signal:signal_generate', expression: 'comm == "bash" && sig == 9 && errno == -1' },
  { event: 'kmem:kmalloc', expression: 'bytes_req > 4096 && gfp_flags & 0x400 && node == -1' },
  { event: 'timer:hrtimer_start', expression: 'was_armed == 1 && expires < -1' },
  { event: 'task:task_rename', expression: 'oom_score_adj == -1000 && newcomm ~ "*d"' },
  { event: 'irq:irq_handler_entry', expression: 'irq == 11 || name == "eth0"' },
  { event: 'raw_syscalls:sys_enter', expression: 'id == 257' },
];
