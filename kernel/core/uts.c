/*
 * The system's changeable names (core/uts.h): kept in core so that the
 * syscall layer that changes them and /proc that shows them both reach
 * them from above.
 */
#include "core/uts.h"

/* What `monos run` also writes to /etc/hostname and $HOSTNAME
 * (cli/rundata.c). */
char uts_nodename[UTS_LEN] = "monos";
char uts_domainname[UTS_LEN] = "(none)";
