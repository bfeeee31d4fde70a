/*
 * sysfuzz: a system-call fuzzer that runs as an ordinary static program
 * inside monos (one process, as monos runs one).  It issues random system
 * calls with edge-case arguments and survives what they do to it; the judge
 * is the monos run around it: the kernel must neither panic nor hang.
 *
 * Usage: sysfuzz SEED CALLS [FROM]
 *   Makes CALLS calls from SEED (deterministic: the same seed issues the
 *   same calls); progress every SYSFUZZ_PROGRESS calls; with FROM, every
 *   call from number FROM on is printed before it is made, so a panic or
 *   hang at call N is replayed and named by `sysfuzz SEED N N`.
 *
 * Parts: sysfuzz.c (the loop, signals, reporting, the periodic reset),
 * sysfuzz_gen.c (the random generator and argument values), sysfuzz_table.c
 * (the calls and the kinds of their arguments), sysfuzz_deny.c (the
 * deny-list, the fix-ups before and after a call).  It must never be run natively: as root it
 * would unlink, truncate and chmod files and change the host's clock.
 */
#ifndef SYSFUZZ_H
#define SYSFUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SYSFUZZ_PAGE	 4096ul
#define SYSFUZZ_SCRATCH	 (64ul << 10)	      /* bytes of scratch handed to the kernel */
#define SYSFUZZ_ARENA	 256		      /* mappings the fuzzer's own calls made, tracked */
#define SYSFUZZ_PROTECT	 64		      /* ranges the fuzzer lives in, never unmapped */
#define SYSFUZZ_POOL	 24		      /* descriptors of every kind, opened at each reset */
#define SYSFUZZ_REPORT	 1000		      /* the fd progress goes to (a dup of stdout) */
#define SYSFUZZ_FD_MAX	 1100		      /* descriptors below this are closed at a reset */
#define SYSFUZZ_RESET	 500		      /* calls between two resets */
#define SYSFUZZ_PROGRESS 1000		      /* calls between two progress lines */
#define SYSFUZZ_DIR	 "/tmp/fz"	      /* the files the calls create live here */
#define SYSFUZZ_TOP	 0x00007ffffffff000ul /* Linux x86-64 TASK_SIZE */

/* One address range [lo, hi). */
struct sysfuzz_range {
	uint64_t lo, hi;
};

/* One generated call. */
struct sysfuzz_call {
	long nr;	  /* the syscall number, or a SYSFUZZ_OP_* pseudo-call */
	const char *name; /* for the report */
	uint64_t a[6];
};

/* Pseudo-calls: faults the fuzzer causes itself, in user space. */
enum {
	SYSFUZZ_OP_TOUCH = 100000, /* read or write one byte at an address */
	SYSFUZZ_OP_JUMP,	   /* call an address that holds no code */
	SYSFUZZ_OP_TRAP,	   /* ud2, int3 or a division by zero */
};

/* Everything the generators and fix-ups share; one instance, in sysfuzz.c. */
struct sysfuzz {
	uint64_t rng;		/* splitmix64 state */
	uint8_t *scratch;	/* SYSFUZZ_SCRATCH read-write bytes, guard pages around */
	uint8_t *ro;		/* one read-only page (writes to it must fail) */
	uint8_t *guard;		/* one inaccessible page */
	int pool[SYSFUZZ_POOL]; /* -1 where opening failed */
	struct sysfuzz_range arena[SYSFUZZ_ARENA]; /* mappings made by fuzzed calls */
	unsigned narena;
	struct sysfuzz_range protect[SYSFUZZ_PROTECT]; /* the fuzzer's own memory */
	unsigned nprotect;
	long self_pid;
};

extern struct sysfuzz sf;

/* sysfuzz_gen.c: values.  Each draws from sf.rng only (deterministic). */
uint64_t gen_next(void);
uint64_t gen_below(uint64_t n);
uint64_t gen_int(void);
uint64_t gen_flags(void);
uint64_t gen_fd(void);
uint64_t gen_ptr(void);
uint64_t gen_len(void);
uint64_t gen_path(bool exec);
uint64_t gen_addr(void);
uint64_t gen_mlen(void);
uint64_t gen_sig(void);
uint64_t gen_sigset(void);
uint64_t gen_pid(void);
uint64_t gen_clock(void);
uint64_t gen_timespec(void);
uint64_t gen_iov(void);
uint64_t gen_sockaddr(void);
uint64_t gen_msghdr(void);
uint64_t gen_argv(void);
uint64_t gen_any(void);
/* Whether [lo, lo + len) overlaps the fuzzer's own memory. */
bool gen_protected(uint64_t lo, uint64_t len);
/* The paths calls are given (a regular file among them is emptied at a reset). */
extern const char *const gen_paths[];
extern const size_t gen_npaths;
/* Whether @p points into the scratch area. */
bool gen_in_scratch(uint64_t p);

/* sysfuzz_table.c: the next call, from the generator. */
void calls_generate(struct sysfuzz_call *c);

/* sysfuzz_deny.c */
/* Why @c would merely end the fuzzer (or NULL: it may be made). */
const char *calls_denied(const struct sysfuzz_call *c);
/* Repair what call @c, which returned @ret, did to the fuzzer's own state. */
void calls_after(const struct sysfuzz_call *c, long ret);
/* Make call @c safe to make: no mask blocking SIGALRM, no SIGKILL timer. */
void calls_before(struct sysfuzz_call *c);

/* sysfuzz.c */
void sysfuzz_say(const char *fmt, ...);
/* Restore the fuzzer's handler of signal @sig (after an rt_sigaction). */
void sysfuzz_handle(int sig);

#endif
