/*
 * Memory across fork, where page tables are shared until one side changes
 * them: a MAP_SHARED page in the same 2 MiB as private pages (stays shared
 * while the private ones are copied), three and four address spaces on one
 * page (siblings, a grandchild), the last one left writing in place,
 * munmap, mprotect (PROT_NONE and back), MADV_DONTNEED and mremap in a
 * child, the kernel writing into a child's page (read from a pipe), and
 * fork after fork of touched memory, each child writing all of it (a leak
 * of one copy per fork runs out of memory).
 */
#include "guest.h"
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define MIB	   (1024 * 1024)
#define REGION	   (4 * MIB) /* two page tables' worth */
#define PAGE	   4096
#define SHARED_AT  (REGION / 2 + 5 * PAGE) /* a shared page among private ones */
#define LOOP_MEM   (8 * MIB)
#define LOOP_FORKS 100

static char *region;

/* The byte every page of the region holds at first: its page number. */
static char pattern(size_t off)
{
	return (char)(off / PAGE);
}

/* Whether every page of [off, off+len) of the region holds `pattern`. */
static int intact(size_t off, size_t len)
{
	for (size_t o = off; o < off + len; o += PAGE)
		if (o != SHARED_AT && region[o] != pattern(o))
			return 0;
	return 1;
}

static void setup(void)
{
	region = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED)
		exit(1);
	for (size_t o = 0; o < REGION; o += PAGE)
		region[o] = pattern(o);
	if (mmap(region + SHARED_AT, PAGE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		exit(1);
	region[SHARED_AT] = 7;
}

/* Fork a child running fn; returns its exit status (fn's result). */
static int in_child(int (*fn)(void))
{
	int st = -1;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn());
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int write_private_and_shared(void)
{
	region[PAGE] = 'c';
	region[SHARED_AT] = 8;
	region[SHARED_AT + 1] = 'x'; /* the same page: stays shared */
	return region[PAGE] == 'c' && region[SHARED_AT] == 8 ? 0 : 1;
}

static void mixed_table(void)
{
	int st = in_child(write_private_and_shared);

	guest_check("child wrote its private page and the shared one", st == 0);
	guest_check("parent: private page unchanged", region[PAGE] == pattern(PAGE));
	guest_check("parent: shared page changed",
		    region[SHARED_AT] == 8 && region[SHARED_AT + 1] == 'x');
	region[PAGE] = 'p'; /* the child is gone: the parent's alone again */
	guest_check("parent writes after the child's end", region[PAGE] == 'p');
	region[PAGE] = pattern(PAGE);
}

static int pipefd[2], backfd[2];

/* Sibling A: write page 3, then tell the others. */
static int sibling_writer(void)
{
	region[3 * PAGE] = 'A';
	return write(pipefd[1], "w", 1) == 1 ? 0 : 1;
}

/* Sibling B: wait for A's write, then check page 3 is still the original. */
static int sibling_reader(void)
{
	char c;

	if (read(backfd[0], &c, 1) != 1)
		return 2;
	return region[3 * PAGE] == pattern(3 * PAGE) && intact(0, REGION) ? 0 : 1;
}

static void siblings(void)
{
	pid_t a, b;
	int sa = -1, sb = -1;
	char c;

	if (pipe(pipefd) || pipe(backfd))
		exit(1);
	b = fork();
	if (b == 0)
		_exit(sibling_reader());
	a = fork();
	if (a == 0)
		_exit(sibling_writer());
	if (read(pipefd[0], &c, 1) == 1 && write(backfd[1], "g", 1) == 1) {
		waitpid(a, &sa, 0);
		waitpid(b, &sb, 0);
	}
	guest_check("sibling's write unseen by the other sibling",
		    WIFEXITED(sb) && !WEXITSTATUS(sb));
	guest_check("sibling's write unseen by the parent",
		    WIFEXITED(sa) && !WEXITSTATUS(sa) && intact(0, REGION));
	close(pipefd[0]), close(pipefd[1]), close(backfd[0]), close(backfd[1]);
}

static int grandchild_writes(void)
{
	region[9 * PAGE] = 'g';
	return 0;
}

static int child_with_grandchild(void)
{
	int st = in_child(grandchild_writes);

	if (st || region[9 * PAGE] != pattern(9 * PAGE))
		return 1;
	region[10 * PAGE] = 'c';
	return region[10 * PAGE] == 'c' ? 0 : 1;
}

static void grandchild(void)
{
	guest_check("grandchild's write unseen by its parent",
		    in_child(child_with_grandchild) == 0);
	guest_check("grandchild's and child's writes unseen by the parent", intact(0, REGION));
}

static int child_unmaps(void)
{
	if (munmap(region + 20 * PAGE, 3 * PAGE))
		return 1;
	return intact(0, 20 * PAGE) && intact(23 * PAGE, REGION - 23 * PAGE) ? 0 : 2;
}

static int child_protects(void)
{
	if (mprotect(region + 30 * PAGE, 4 * PAGE, PROT_READ))
		return 1;
	if (mprotect(region + 40 * PAGE, PAGE, PROT_NONE) ||
	    mprotect(region + 40 * PAGE, PAGE, PROT_READ | PROT_WRITE))
		return 2;
	region[40 * PAGE] = 'n';
	return intact(0, 40 * PAGE) && region[40 * PAGE] == 'n' ? 0 : 3;
}

static int child_discards(void)
{
	if (madvise(region + 50 * PAGE, 2 * PAGE, MADV_DONTNEED))
		return 1;
	return region[50 * PAGE] == 0 && region[51 * PAGE] == 0 && intact(52 * PAGE, PAGE) ? 0 : 2;
}

static int child_moves(void)
{
	char *to = mremap(region + 60 * PAGE, 4 * PAGE, 4 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED,
			  region + REGION - 200 * PAGE);

	if (to == MAP_FAILED)
		return 1;
	for (int i = 0; i < 4; i++)
		if (to[i * PAGE] != pattern((60 + i) * PAGE))
			return 2;
	to[0] = 'm';
	return 0;
}

static int child_reads_into(void)
{
	int fd[2];

	if (pipe(fd) || write(fd[1], "kernel", 6) != 6 || read(fd[0], region + 70 * PAGE, 6) != 6)
		return 1;
	return memcmp(region + 70 * PAGE, "kernel", 6) == 0 ? 0 : 2;
}

static void changes_in_child(void)
{
	guest_check("munmap in the child", in_child(child_unmaps) == 0);
	guest_check("mprotect in the child", in_child(child_protects) == 0);
	region[31 * PAGE] = pattern(31 * PAGE); /* still writable here */
	guest_check("MADV_DONTNEED in the child", in_child(child_discards) == 0);
	guest_check("mremap in the child", in_child(child_moves) == 0);
	guest_check("the kernel writes into the child's page", in_child(child_reads_into) == 0);
	guest_check("none of it seen by the parent", intact(0, REGION));
}

static int reads_kept_page(void)
{
	if (mprotect(region + 80 * PAGE, PAGE, PROT_READ | PROT_WRITE))
		return 1;
	if (region[80 * PAGE] != 'k')
		return 2;
	region[80 * PAGE] = 'K';
	return 0;
}

/* A page kept through PROT_NONE in the parent at fork time. */
static void prot_none_kept(void)
{
	region[80 * PAGE] = 'k';
	mprotect(region + 80 * PAGE, PAGE, PROT_NONE);
	guest_check("child reads a page the parent had made PROT_NONE",
		    in_child(reads_kept_page) == 0);
	mprotect(region + 80 * PAGE, PAGE, PROT_READ | PROT_WRITE);
	guest_check("parent's PROT_NONE page unchanged", region[80 * PAGE] == 'k');
	region[80 * PAGE] = pattern(80 * PAGE);
}

static char *loop_mem;

static int write_all(void)
{
	for (size_t o = 0; o < LOOP_MEM; o += PAGE)
		loop_mem[o] = 'w';
	return 0;
}

/* Every child copies all of LOOP_MEM: leaking the copies would take
 * LOOP_FORKS * LOOP_MEM (800 MiB), more than the test's machine has. */
static void fork_loop(void)
{
	int bad = 0;

	loop_mem = malloc(LOOP_MEM);
	if (!loop_mem)
		exit(1);
	memset(loop_mem, 'p', LOOP_MEM);
	for (int i = 0; i < LOOP_FORKS; i++)
		bad |= in_child(write_all);
	for (size_t o = 0; o < LOOP_MEM; o += PAGE)
		bad |= loop_mem[o] != 'p';
	guest_check("100 forks, each child writing 8 MiB: nothing leaked, parent intact", !bad);
	free(loop_mem);
}

int main(void)
{
	setup();
	mixed_table();
	siblings();
	grandchild();
	changes_in_child();
	prot_none_kept();
	fork_loop();
	return 0;
}
