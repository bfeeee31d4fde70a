/*
 * The `monos` command: dispatch to a subcommand.  Today there is `run`;
 * build, ps, stop and logs come later (design.md).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <monos/bootinfo.h>
#include <monos/channel.h>

#include "cli.h"
#include "oci.h"

#define MAIN_RUNTIME_NAME "monos-runtime" /* contract 24: the OCI runtime is this name */

const char main_help[] =
	"Usage: monos COMMAND [ARGS...]\n"
	"\n"
	"monos runs one unmodified Linux x86-64 program per virtual machine: a static\n"
	"one, or a dynamic one, packed with its interpreter and libraries.\n"
	"\n"
	"Commands:\n"
	"  run [OPTIONS] PROGRAM [ARGS...]   boot PROGRAM in a new instance and relay\n"
	"                                    its input, output and exit status\n"
	"  volume COMMAND                    named ext4 volumes: create, ls, inspect, rm\n"
	"  help [COMMAND]                    show this help, or a command's help\n"
	"\n"
	"Options:\n"
	"  -h, --help       show this help\n"
	"      --version    show the version and protocol versions\n"
	"\n";

/* Make sure fds 0-2 are open, so no file of ours lands on them. */
static void ensure_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0)
			open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	ensure_std_fds();
	if (argc > 0 &&
	    !strcmp(strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0], MAIN_RUNTIME_NAME))
		return cmd_runtime_main(argc, argv);
	if (!cmd) {
		fputs(main_help, stderr);
		return CLI_EXIT_ERROR;
	}
	if (strcmp(cmd, "run") == 0)
		return run_main(argc - 2, argv + 2);
	if (strcmp(cmd, "volume") == 0)
		return volume_main(argc - 2, argv + 2);
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		if (argc > 2 && !strcmp(cmd, "help") && !strcmp(argv[2], "run"))
			fputs(options_run_help, stdout);
		else if (argc > 2 && !strcmp(cmd, "help") && !strcmp(argv[2], "volume"))
			fputs(volume_help, stdout);
		else
			printf("%s%s", main_help, options_run_help); /* every flag, once */
		return 0;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("monos 0.1 (channel protocol %d, boot information %d)\n", MONOS_CHAN_VERSION,
		       MONOS_BOOTINFO_VERSION);
		return 0;
	}
	msg_error("unknown command '%s' (see 'monos --help')", cmd);
	return CLI_EXIT_ERROR;
}
