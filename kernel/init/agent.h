/*
 * The boot's start of the management agent (init/agent.c).
 */
#ifndef INIT_AGENT_H
#define INIT_AGENT_H

/* When the per-run data has an "agent" entry: make /dev/monos and
 * /proc/monos, load the agent and start it as its own process (not PID 1's
 * child, as root).  Call once, from the boot, just before the program is
 * loaded; a program that cannot load is logged and the boot goes on.
 * `cmdline`: the kernel command line, shown in /proc/monos/cmdline. */
void init_agent_start(const char *cmdline);

#endif
