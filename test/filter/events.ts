/** Names of the fixture events the filter tests use most. */
export const SWITCH = 'sched:sched_switch';
export const OPENAT = 'syscalls:sys_enter_openat';
export const EXEC = 'sched:sched_process_exec';
export const IPI = 'ipi:ipi_send_cpumask';
