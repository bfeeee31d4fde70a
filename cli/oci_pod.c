/*
 * A Pod's sandbox container under monos-runtime (contracts in oci.h).
 *
 * A Pod's containers share one network namespace, held by its sandbox
 * (podman's infra container, Kubernetes' pause container): a container
 * like the others to the runtime, whose only task is to live as long as
 * the Pod and keep the namespaces.  One virtual machine per container
 * cannot share a network interface, so the sandbox boots no VM: the
 * runtime forks a pause process in the namespace (what /pause and
 * `catatonit -P` do: wait, and exit 0 on SIGINT or SIGTERM), the Pod's one
 * application container then takes the namespace's interface for its VM
 * (oci_net.c), and a second one is refused there.  One VM holding a whole
 * Pod, as Kata Containers does, is not done.
 *
 * A sandbox is known by what its managers write: containerd's CRI plugin
 * and CRI-O annotate it (io.kubernetes.cri.container-type,
 * io.kubernetes.cri-o.ContainerType: "sandbox"); podman 4.3's infra
 * container carries neither, and is known by its program, `catatonit -P`
 * (podman's pause image) or a bare `pause` (Kubernetes' pause image).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci.h"
#include "lib/json.h"

/* The annotations by which container managers mark a Pod's sandbox. */
static const char *const pod_annotations[] = {
	"io.kubernetes.cri.container-type",  /* containerd's CRI plugin */
	"io.kubernetes.cri-o.ContainerType", /* CRI-O, and podman for CRI-O's tools */
};
#define POD_SANDBOX "sandbox"

/* The last path component of @path. */
static const char *pod_base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

bool oci_pod_is_sandbox(const struct json_node *root, char *const *args)
{
	const struct json_node *ann = json_get(root, "annotations");

	for (size_t i = 0; ann && ann->kind == JSON_OBJECT && i < 2; i++) {
		const char *v = json_cstr(json_get(ann, pod_annotations[i]));

		if (v)
			return !strcmp(v, POD_SANDBOX);
	}
	if (!args || !args[0])
		return false;
	if (!strcmp(pod_base(args[0]), "catatonit"))
		return args[1] && !strcmp(args[1], "-P") && !args[2];
	return !strcmp(pod_base(args[0]), "pause") && !args[1];
}

/* The pause process: its own session, signals waited for, not handled. */
static void pod_pause(void)
{
	sigset_t set;
	int sig = 0;

	setsid();
	sigfillset(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	while (sigwait(&set, &sig) == 0 && sig != SIGINT && sig != SIGTERM)
		;
	_exit(0);
}

pid_t oci_pod_pause_spawn(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		/* No stdio of the caller's kept open: the manager's pipes
		 * close when the runtime exits. */
		for (int fd = 0; null >= 0 && fd <= 2; fd++)
			dup2(null, fd);
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		pod_pause();
	}
	return pid;
}

bool oci_pod_pause_alive(pid_t pid)
{
	char path[64], stat[256];
	ssize_t n;
	int fd;

	if (pid <= 0 || (kill(pid, 0) < 0 && errno != EPERM))
		return false;
	/* A zombie (ended, not yet reaped by the manager) has ended. */
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, stat, sizeof(stat) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return true;
	stat[n] = '\0';
	/* "PID (COMM) STATE ...": COMM may hold spaces and parentheses. */
	return !strrchr(stat, ')') || strrchr(stat, ')')[2] != 'Z';
}

void oci_pod_pause_end(pid_t pid)
{
	if (!oci_pod_pause_alive(pid))
		return;
	kill(pid, SIGKILL);
	/* Not our child (the manager reaps it): wait until it is gone. */
	for (int i = 0; i < 500 && oci_pod_pause_alive(pid); i++)
		usleep(10000);
}
