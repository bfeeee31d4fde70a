/*
 * The management agent's device and counters (linux/monos_dev.c): /dev/monos
 * for commands, /proc/monos/counters for numbers.  See the .c file's first
 * comment for the formats.
 */
#ifndef LINUX_MONOS_DEV_H
#define LINUX_MONOS_DEV_H

#include <monos/channel.h>

/* Make /dev/monos (root's, 0600) and the files of /proc/monos; `cmdline`
 * (the kernel command line) must live for good.  Boot only, after devfs
 * and procfs are up; out of memory ends the boot. */
void monos_dev_init(const char *cmdline);

/* monos_dev_instance_end - PID 1 has ended: tell the process that asked
 * for it ("linger MS") with SIGTERM and wait for its "done", MS at most
 * (design.md contract 23: the agent removes the instance's etcd key
 * before power-off).  Returns at once when none asked, or it has ended.
 * Process context (PID 1's last thread, in instance_end). */
void monos_dev_instance_end(void);

/* monos_dev_set_health_hook - `fn` hears every health state the agent
 * writes (channel.h's states), in the writer's process context (it may sleep): a disk boot's
 * trial waits on it (init/standalone.c).  Boot only. */
void monos_dev_set_health_hook(void (*fn)(enum monos_chan_health state));

#endif
