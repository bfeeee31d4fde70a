/*
 * What kernel/init/exec.c (requests, processes) and exec_stream.c (the
 * files of their fds 0-2) share: the slot of one started process.
 * Private to those two files.
 */
#ifndef INIT_EXEC_INTERNAL_H
#define INIT_EXEC_INTERNAL_H

#include "core/waitq.h"
#include <monos/channel.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/spinlock.h"

struct process;
struct tty;

#define EXEC_STDIN_SIZE MONOS_EXEC_STDIN_WINDOW /* the host sends no more unread */
#define EXEC_ACK_EVERY	(EXEC_STDIN_SIZE / 4)	/* read bytes told to the host at once */

enum slot_state { SLOT_FREE, SLOT_PENDING, SLOT_RUNNING, SLOT_ENDED, SLOT_DRAINING };

struct exec_slot {
	enum slot_state state;
	uint8_t id;		     /* the stream id; 0 when FREE */
	uint8_t req[MONOS_CHAN_MAX]; /* the EXEC payload, while PENDING */
	size_t req_len;
	struct process *p; /* RUNNING and ENDED */
	unsigned files;	   /* open files of its streams */
	uint8_t *in;	   /* ring of unread input (EXEC_STDIN_SIZE), or NULL */
	size_t in_head, in_count;
	bool in_eof;
	uint64_t in_gen;	  /* changes with every input byte and the end */
	uint64_t in_dropped;	  /* input bytes the ring had no room for */
	uint32_t in_unacked;	  /* read, not yet told to the host (XACK) */
	struct waitq wq;	  /* readers and pollers of its input */
	struct tty *tty;	  /* -t: fds 0-2 are this terminal (kmalloc'ed), else NULL */
	struct spinlock tty_lock; /* its lock (fs/tty.h) */
};

/* exec.c: free slot `s` (its ring) for another stream.  Interrupts off. */
void exec_slot_release(struct exec_slot *s);

/* exec_stream.c */

/* The stream files' inodes (they look like pipes).  Boot only. */
void exec_stream_init(void);
/* fds 0, 1 and 2 of slot `s` in the current thread's (new) table: 0 or
 * -ENOMEM.  The last of them to close frees a DRAINING slot. */
long exec_stream_install(struct exec_slot *s);
/* -t: make slot `s`'s terminal (before exec_stream_install), with the
 * window size `rows` x `cols`: 0 or -ENOMEM. */
long exec_stream_tty(struct exec_slot *s, uint16_t rows, uint16_t cols);
/* -t: the terminal is the controlling terminal of `sid`, foreground `pgrp`. */
void exec_stream_tty_own(struct exec_slot *s, int sid, int pgrp);
/* The terminal goes with its slot (exec_slot_release). */
void exec_stream_tty_free(struct exec_slot *s);

/* Bytes from the host (XSTDIN) for slot `s`'s fd 0: as many as its ring
 * holds (the host keeps within it), the rest counted.  Interrupt context. */
void exec_stream_input(struct exec_slot *s, const uint8_t *p, size_t n);

#endif
