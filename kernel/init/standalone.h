/*
 * A boot without the monos CLI: a disk `monos export` wrote, booted by GRUB
 * (Multiboot2) on a PC with no isa-debug-exit device and no host to report
 * to.  The kernel command line GRUB passes (the export's grub.cfg) says so.
 */
#ifndef INIT_STANDALONE_H
#define INIT_STANDALONE_H

#include <stdint.h>

/*
 * standalone_init - when `cmdline` holds monos.restart=no|on-failure|always
 * (the image manifest's restart policy), read the ACPI tables the RSDP at
 * `rsdp_paddr` leads to and make the program's end power the machine off
 * or reset it as the policy says: "no" powers off, "always" resets,
 * "on-failure" resets unless the program exited with status 0.  Without
 * the option nothing changes.  Boot only, after paging_init.
 */
void standalone_init(const char *cmdline, uint64_t rsdp_paddr);

/*
 * standalone_start - on the trial boot of an updated slot (monos.trial=1,
 * monos.slot=a|b, monos.grubenv=OFFSET, monos.grace=SECONDS): start the
 * grace period; the slot is marked good in GRUB's environment block when it
 * ends with the program still running, or when the program exits with
 * status 0 first; any other end resets the machine (GRUB falls back).  Call
 * after the disks are probed, before the program starts.  Process context.
 */
void standalone_start(void);

#endif
