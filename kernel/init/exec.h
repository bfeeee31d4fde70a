/*
 * `monos exec`: processes the host starts beside the program (init/exec.c).
 */
#ifndef INIT_EXEC_H
#define INIT_EXEC_H

/* Under the framed channel: take the host's MONOS_CHAN_EXEC requests from
 * now on (a kernel thread starts each process, once init_exec_open).  Call once, from the boot,
 * after process_init and before the program is loaded; out of memory ends
 * the boot. */
void init_exec_start(void);

/* The boot has mounted the volumes and shares PID 1's program will see:
 * requests received so far (held) and later ones are started from now
 * on.  Call once, just before the program is loaded. */
void init_exec_open(void);

#endif
