/*
 * The `monos` command: dispatch to a subcommand: run, volume, the instance
 * commands of detached runs (cmd_*.c), and the image store's build, images,
 * inspect, rmi, tag, save and load (store*.c).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <monos/bootinfo.h>
#include <monos/channel.h>

#include "cli.h"
#include "export.h"
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
	"  run [OPTIONS] IMAGE [ARGS...]     boot an image of the store\n"
	"  run [OPTIONS] -f monos.yaml       boot what a manifest describes\n"
	"  build [-f FILE] [-t NAME[:TAG]]   pack a manifest into an image of the store\n"
	"  images                            list the images of the store\n"
	"  inspect IMAGE...                  show images (or instances, or disks) as JSON\n"
	"  rmi IMAGE...                      remove images (or tags)\n"
	"  tag IMAGE NAME[:TAG]              name an image\n"
	"  save IMAGE... -o FILE             write images to a tar archive\n"
	"  load -i FILE                      read images from such an archive\n"
	"  export IMAGE -o FILE [--format F] write an image as a bootable disk (GRUB,\n"
	"                                    BIOS and UEFI; raw, qcow2)\n"
	"  update DISK IMAGE                 write an image into a disk's other slot,\n"
	"                                    tried once at its next boot\n"
	"  volume COMMAND                    named ext4 volumes: create, ls, inspect, rm\n"
	"  create, start, ps, logs, stop, kill, wait, rm, inspect, stats\n"
	"                                    instances started with 'run -d' (see\n"
	"                                    'monos help ps')\n"
	"  exec [-i] [-t] [-e K=V] [-w DIR] [-u UID[:GID]] NAME CMD [ARG...]\n"
	"                                    run CMD in a running instance, as\n"
	"                                    docker exec ('monos help exec')\n"
	"  help [COMMAND]                    show this help, or a command's help\n"
	"\n"
	"Options:\n"
	"  -h, --help       show this help\n"
	"      --version    show the version and protocol versions\n"
	"\n";

/* The image store's commands (store*.c). */
static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} store_cmds[] = {
	{ "build", store_build_main },	   { "images", store_images_main },
	{ "inspect", store_inspect_main }, { "rmi", store_rmi_main },
	{ "tag", store_tag_main },	   { "save", store_save_main },
	{ "load", store_load_main },
};

static bool store_cmd(const char *name)
{
	for (size_t i = 0; i < sizeof(store_cmds) / sizeof(store_cmds[0]); i++)
		if (!strcmp(name, store_cmds[i].name))
			return true;
	return false;
}

/* Make sure fds 0-2 are open, so no file of ours lands on them. */
static void ensure_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0)
			open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
}

/* inspect: instances (docker's order: containers first) when the first name
 * is one, disks `monos export` wrote when it is a disk file (export_inspect.c),
 * else images. */
static int inspect_main(int argc, char **argv)
{
	struct state_record *r = malloc(sizeof(*r));
	char err[512];
	bool instance = r && argc > 0 && state_find(argv[0], r, err, sizeof(err)) == 0;

	free(r);
	if (!instance && argc > 0 && export_is_disk(argv[0]))
		return export_inspect_main(argc, argv);
	return instance ? cmd_inspect_main(argc, argv) : store_inspect_main(argc, argv);
}

/* The instance commands (cmd_*.c): each takes the arguments after it. */
static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} main_cmds[] = {
	{ "run", run_main },
	{ "volume", volume_main },
	{ "ps", cmd_ps_main },
	{ "export", cmd_export_main },
	{ "update", cmd_update_main },
	{ "logs", cmd_ps_logs },
	{ "stop", cmd_ctl_stop },
	{ "kill", cmd_ctl_kill },
	{ "wait", cmd_ctl_wait },
	{ "rm", cmd_ctl_rm },
	{ "inspect", inspect_main },
	{ "stats", cmd_inspect_stats },
	{ "create", run_create_main },
	{ "start", cmd_ctl_start },
	{ "exec", cmd_exec_main },
};

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
	for (size_t i = 0; i < sizeof(main_cmds) / sizeof(main_cmds[0]); i++)
		if (!strcmp(cmd, main_cmds[i].name))
			return main_cmds[i].fn(argc - 2, argv + 2);
	for (size_t i = 0; i < sizeof(store_cmds) / sizeof(store_cmds[0]); i++)
		if (strcmp(cmd, store_cmds[i].name) == 0)
			return store_cmds[i].fn(argc - 2, argv + 2);
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		if (argc > 2 && !strcmp(cmd, "help") && !strcmp(argv[2], "run"))
			fputs(options_run_help, stdout);
		else if (argc > 2 && !strcmp(cmd, "help") && !strcmp(argv[2], "volume"))
			fputs(volume_help, stdout);
		else if (argc > 2 && !strcmp(cmd, "help") && !strcmp(argv[2], "exec"))
			fputs(cmd_exec_help, stdout);
		else if (argc > 2 && !strcmp(cmd, "help") && store_cmd(argv[2]) &&
			 strcmp(argv[2], "inspect"))
			fputs(store_help, stdout);
		else if (argc > 2 && !strcmp(cmd, "help"))
			printf("%s%s", cmd_instances_help,
			       strcmp(argv[2], "inspect") ? "" : store_help);
		else /* every flag, once */
			printf("%s%s\n%s\n%s%s", main_help, options_run_help, cmd_instances_help,
			       cmd_exec_help, store_help);
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
