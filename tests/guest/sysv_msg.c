/*
 * Guest test, area System V IPC: message queues.  msgget (keys), msgsnd and
 * msgrcv (msgtyp selection: 0, positive, negative, MSG_EXCEPT; IPC_NOWAIT,
 * MSG_NOERROR, E2BIG, MSG_COPY; a blocked receive woken by another thread's
 * send, a blocked send woken by a receive, and a receiver woken by
 * IPC_RMID), msgctl (IPC_STAT, IPC_SET of msg_qbytes, IPC_INFO, MSG_INFO).
 * Queues are IPC_PRIVATE but one, and all are removed.
 */
#include "guest.h"
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <time.h>

/* This test's one named queue: per process, since the variants' native runs
 * may overlap (pids stay below 2^22, PID_MAX_LIMIT). */
#define KEY ((key_t)(0x6d000000 | (3 << 22) | (getpid() & 0x3fffff)))

#define MSG_COPY 040000 /* linux/msg.h */

struct msgbuf_ {
	long type;
	char text[200];
};

static int qid;

static int send(int id, long type, const char *text, int flags)
{
	struct msgbuf_ m = { type, "" };
	strcpy(m.text, text);
	return msgsnd(id, &m, strlen(text) + 1, flags);
}

/* Receive and print what came, or the error. */
static void recv_line(const char *what, long type, size_t size, int flags)
{
	struct msgbuf_ m = { 0, "" };
	ssize_t n = msgrcv(qid, &m, size, type, flags);

	if (n < 0)
		printf("%s: %s\n", what,
		       errno == ENOMSG	? "ENOMSG"
		       : errno == E2BIG ? "E2BIG"
					: guest_errname(errno));
	else
		printf("%s: type %ld, %zd bytes, \"%.*s\"\n", what, m.type, n, (int)n, m.text);
}

static void stat_line(const char *what)
{
	struct msqid_ds ds;

	if (msgctl(qid, IPC_STAT, &ds) < 0) {
		printf("%s: IPC_STAT %s\n", what, guest_errname(errno));
		return;
	}
	printf("%s: qnum %lu cbytes %lu qbytes %lu mode %o lspid-is-us %d\n", what,
	       (unsigned long)ds.msg_qnum, (unsigned long)ds.__msg_cbytes,
	       (unsigned long)ds.msg_qbytes, (unsigned)ds.msg_perm.mode, ds.msg_lspid == getpid());
}

static void test_get(void)
{
	int id = msgget(KEY, 0);

	if (id >= 0)
		msgctl(id, IPC_RMID, NULL); /* left by a run that died */
	guest_check_err("msgget of a missing key", msgget(KEY, 0), ENOENT);
	id = msgget(KEY, IPC_CREAT | 0600);
	guest_check("msgget creates a keyed queue", id >= 0);
	guest_check_err("IPC_CREAT|IPC_EXCL", msgget(KEY, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
	guest_check("msgget finds it", msgget(KEY, 0) == id);
	guest_check("IPC_RMID", msgctl(id, IPC_RMID, NULL) == 0);
	guest_check_err("msgsnd to a removed queue", send(id, 1, "x", 0), EINVAL);
}

static void test_select(void)
{
	qid = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	send(qid, 3, "three", 0);
	send(qid, 1, "one", 0);
	send(qid, 2, "two", 0);
	send(qid, 1, "one again", 0);
	send(qid, 5, "five", 0);
	stat_line("five sent");
	recv_line("MSG_COPY of number 1", 1, 200, MSG_COPY | IPC_NOWAIT);
	recv_line("msgtyp 0 (the first)", 0, 200, 0);
	recv_line("msgtyp 2", 2, 200, 0);
	recv_line("msgtyp -4 (the lowest up to 4)", -4, 200, 0);
	recv_line("msgtyp 1 MSG_EXCEPT", 1, 200, MSG_EXCEPT);
	recv_line("msgtyp 1", 1, 200, 0);
	recv_line("msgtyp 1 again, IPC_NOWAIT", 1, 200, IPC_NOWAIT);
	recv_line("MSG_COPY without IPC_NOWAIT", 0, 200, MSG_COPY);

	send(qid, 7, "a longer message", 0);
	recv_line("into 4 bytes", 0, 4, 0);
	recv_line("into 4 bytes, MSG_NOERROR", 0, 4, MSG_NOERROR);
	stat_line("empty again");

	static char big[8200 + sizeof(long)];
	guest_check_err("msgsnd of 8193 bytes", msgsnd(qid, big, 8193, 0), EINVAL);
	guest_check_err("msgsnd of type 0", send(qid, 0, "x", 0), EINVAL);
	guest_check_err("msgrcv of a bad id", msgrcv(-1, big, 10, 0, 0), EINVAL);
	guest_check_err("msgsnd from a bad pointer", msgsnd(qid, (void *)8, 10, 0), EFAULT);
	guest_check_err("  a bad pointer comes before a bad size", msgsnd(qid, (void *)8, 8193, 0),
			EFAULT);
	guest_check_err("IPC_STAT to a bad pointer", msgctl(qid, IPC_STAT, (void *)8), EFAULT);
}

static void *receiver(void *arg)
{
	struct msgbuf_ m = { 0, "" };
	ssize_t n = msgrcv(qid, &m, sizeof(m.text), (long)arg, 0);

	if (n < 0)
		return (void *)(long)errno;
	printf("the receiver got type %ld \"%s\"\n", m.type, m.text);
	return NULL;
}

static atomic_int receiver_done;

static void on_usr1(int sig)
{
	(void)sig;
}

static void *interrupted_receiver(void *arg)
{
	struct msgbuf_ m;
	long r = msgrcv(qid, &m, sizeof(m.text), 42, 0);

	(void)arg;
	atomic_store(&receiver_done, 1);
	return (void *)(r < 0 ? (long)errno : 0);
}

/* A signal handler (SA_RESTART or not) ends a sleeping msgrcv with EINTR.
 * Signals are sent until it returns: one that comes before it sleeps only
 * runs the handler. */
static void test_signal(void)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	struct timespec ms = { 0, 10 * 1000 * 1000 };
	pthread_t t;
	void *r;

	sigaction(SIGUSR1, &sa, NULL);
	pthread_create(&t, NULL, interrupted_receiver, NULL);
	while (!atomic_load(&receiver_done)) {
		pthread_kill(t, SIGUSR1);
		nanosleep(&ms, NULL);
	}
	pthread_join(t, &r);
	printf("a signal ends msgrcv (SA_RESTART or not): %s\n", guest_errname((int)(long)r));
}

static void *sender(void *arg)
{
	(void)arg;
	return (void *)(long)(send(qid, 9, "waited for room", 0) ? errno : 0);
}

static void test_blocking(void)
{
	struct timespec ms = { 0, 50 * 1000 * 1000 };
	struct msqid_ds ds;
	struct msginfo info;
	pthread_t t;
	void *r;

	pthread_create(&t, NULL, receiver, (void *)4);
	nanosleep(&ms, NULL); /* it may sleep in msgrcv, or not yet: the same either way */
	send(qid, 3, "not for it", 0);
	send(qid, 4, "for it", 0);
	pthread_join(t, &r);
	guest_check("a blocked msgrcv is woken by a send", r == NULL);
	recv_line("what it left", 0, 200, IPC_NOWAIT);

	msgctl(qid, IPC_STAT, &ds);
	ds.msg_qbytes = 40;
	guest_check("IPC_SET msg_qbytes 40", msgctl(qid, IPC_SET, &ds) == 0);
	guest_check("30 bytes fit", send(qid, 8, "twenty-nine bytes of message", 0) == 0);
	guest_check_err("30 more do not, IPC_NOWAIT",
			send(qid, 8, "twenty-nine bytes of message", IPC_NOWAIT), EAGAIN);
	pthread_create(&t, NULL, sender, NULL);
	nanosleep(&ms, NULL);
	recv_line("a receive makes room", 8, 200, 0);
	pthread_join(t, &r);
	guest_check("  for the blocked sender", r == NULL);
	recv_line("what it sent", 0, 200, IPC_NOWAIT);
	stat_line("after IPC_SET");

	guest_check("IPC_INFO", msgctl(0, IPC_INFO, (struct msqid_ds *)&info) >= 0);
	printf("msgmax %d msgmnb %d msgmni %d\n", info.msgmax, info.msgmnb, info.msgmni);
	send(qid, 1, "counted", 0);
	guest_check("MSG_INFO counts it", msgctl(0, MSG_INFO, (struct msqid_ds *)&info) >= 0 &&
						  info.msgmap >= 1 && info.msgpool >= 1);
	recv_line("drained", 0, 200, 0);

	test_signal();
	pthread_create(&t, NULL, receiver, (void *)99);
	nanosleep(&ms, NULL);
	guest_check("IPC_RMID with a receiver", msgctl(qid, IPC_RMID, NULL) == 0);
	pthread_join(t, &r);
	/* EIDRM if it slept before the removal, EINVAL if it came after. */
	guest_check("  it returns", (long)r == EIDRM || (long)r == EINVAL);
}

int main(void)
{
	test_get();
	test_select();
	test_blocking();
	return guest_finish();
}
