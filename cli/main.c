/*
 * The `monos` command: dispatch to a subcommand: run, volume, and the
 * instance commands of detached runs (cmd_*.c).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <monos/bootinfo.h>
#include <monos/channel.h>

#include "cli.h"

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
	"  create, start, ps, logs, stop, kill, wait, rm, inspect, stats\n"
	"                                    instances started with 'run -d' (see\n"
	"                                    'monos help ps')\n"
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

/* The instance commands (cmd_*.c): each takes the arguments after it. */
static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} main_cmds[] = {
	{ "run", run_main },
	{ "volume", volume_main },
	{ "ps", cmd_ps_main },
	{ "logs", cmd_ps_logs },
	{ "stop", cmd_ctl_stop },
	{ "kill", cmd_ctl_kill },
	{ "wait", cmd_ctl_wait },
	{ "rm", cmd_ctl_rm },
	{ "inspect", cmd_inspect_main },
	{ "stats", cmd_inspect_stats },
	{ "create", run_create_main },
	{ "start", cmd_ctl_start },
};

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	ensure_std_fds();
	if (!cmd) {
		fputs(main_help, stderr);
		return CLI_EXIT_ERROR;
	}
	for (size_t i = 0; i < sizeof(main_cmds) / sizeof(main_cmds[0]); i++)
		if (!strcmp(cmd, main_cmds[i].name))
			return main_cmds[i].fn(argc - 2, argv + 2);
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		if (argc > 2 && !strcmp(cmd, "help") && !strcmp(argv[2], "run"))
			fputs(options_run_help, stdout);
		else if (argc > 2 && !strcmp(cmd, "help") && !strcmp(argv[2], "volume"))
			fputs(volume_help, stdout);
		else if (argc > 2 && !strcmp(cmd, "help"))
			fputs(cmd_instances_help, stdout);
		else /* every flag, once */
			printf("%s%s\n%s", main_help, options_run_help, cmd_instances_help);
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
