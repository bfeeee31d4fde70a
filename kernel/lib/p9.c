/*
 * 9P2000.L message encoding and decoding (contracts in <lib/p9.h>).  A
 * writer and a reader over a byte buffer, each with a sticky error: past
 * the end, everything after is refused and the caller sees one failure.
 * Replies are the host's words: nothing here reads past their length.
 */
#include <lib/p9.h>
#include <lib/errno.h>
#include <lib/string.h>
#include <stdarg.h>

struct p9_wr {
	uint8_t *p;
	size_t cap, at;
	bool bad;
};

struct p9_rd {
	const uint8_t *p;
	size_t len, at;
	bool bad;
};

/* ---- writing ---- */

static void wr_le(struct p9_wr *w, uint64_t v, unsigned n)
{
	if (w->bad || w->cap - w->at < n) {
		w->bad = true;
		return;
	}
	for (unsigned i = 0; i < n; i++)
		w->p[w->at++] = (uint8_t)(v >> (8 * i));
}

static void wr_bytes(struct p9_wr *w, const void *s, size_t n)
{
	if (w->bad || w->cap - w->at < n) {
		w->bad = true;
		return;
	}
	if (n)
		memcpy(w->p + w->at, s, n);
	w->at += n;
}

/* One field of letter `c` from `ap`; false for an unknown letter. */
static bool wr_field(struct p9_wr *w, char c, va_list *ap)
{
	const char *s;
	size_t n;

	switch (c) {
	case 'b':
		wr_le(w, (uint8_t)va_arg(*ap, unsigned), 1);
		return true;
	case 'w':
		wr_le(w, (uint16_t)va_arg(*ap, unsigned), 2);
		return true;
	case 'd':
		wr_le(w, va_arg(*ap, uint32_t), 4);
		return true;
	case 'q':
		wr_le(w, va_arg(*ap, uint64_t), 8);
		return true;
	case 's':
		s = va_arg(*ap, const char *);
		n = va_arg(*ap, size_t);
		w->bad |= n > UINT16_MAX;
		wr_le(w, n, 2);
		wr_bytes(w, s, n);
		return true;
	case 'D':
		s = va_arg(*ap, const void *);
		n = va_arg(*ap, uint32_t);
		wr_le(w, n, 4);
		wr_bytes(w, s, n);
		return true;
	default:
		return false;
	}
}

size_t p9_vbuild(void *buf, size_t cap, uint8_t type, uint16_t tag, const char *fmt, va_list ap)
{
	struct p9_wr w = { .p = buf, .cap = cap };
	va_list aq;

	wr_le(&w, 0, 4); /* the size, set at the end */
	wr_le(&w, type, 1);
	wr_le(&w, tag, 2);
	va_copy(aq, ap);
	for (; *fmt && !w.bad; fmt++)
		if (!wr_field(&w, *fmt, &aq))
			w.bad = true;
	va_end(aq);
	if (w.bad || w.at > UINT32_MAX)
		return 0;
	cap = w.at;
	w.at = 0;
	wr_le(&w, cap, 4);
	return cap;
}

size_t p9_build(void *buf, size_t cap, uint8_t type, uint16_t tag, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = p9_vbuild(buf, cap, type, tag, fmt, ap);
	va_end(ap);
	return n;
}

bool p9_add_size(void *buf, uint32_t extra)
{
	uint8_t *p = buf;
	uint64_t size = p[0] | p[1] << 8 | p[2] << 16 | (uint64_t)p[3] << 24;

	size += extra;
	if (size > UINT32_MAX)
		return false;
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(size >> (8 * i));
	return true;
}

/* ---- reading ---- */

static uint64_t rd_le(struct p9_rd *r, unsigned n)
{
	uint64_t v = 0;

	if (r->bad || r->len - r->at < n) {
		r->bad = true;
		return 0;
	}
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)r->p[r->at++] << (8 * i);
	return v;
}

/* `n` bytes in place: a pointer into the message, NULL past its end. */
static const uint8_t *rd_bytes(struct p9_rd *r, size_t n)
{
	const uint8_t *p = r->p + r->at;

	if (r->bad || r->len - r->at < n) {
		r->bad = true;
		return NULL;
	}
	r->at += n;
	return p;
}

static void rd_qid(struct p9_rd *r, struct p9_qid *q)
{
	q->type = (uint8_t)rd_le(r, 1);
	q->version = (uint32_t)rd_le(r, 4);
	q->path = rd_le(r, 8);
}

static void rd_attr(struct p9_rd *r, struct p9_attr *a)
{
	uint64_t *tail[] = { &a->nlink,	     &a->rdev,	    &a->size,	     &a->blksize,
			     &a->blocks,     &a->atime_sec, &a->atime_nsec,  &a->mtime_sec,
			     &a->mtime_nsec, &a->ctime_sec, &a->ctime_nsec,  &a->btime_sec,
			     &a->btime_nsec, &a->gen,	    &a->data_version };

	a->valid = rd_le(r, 8);
	rd_qid(r, &a->qid);
	a->mode = (uint32_t)rd_le(r, 4);
	a->uid = (uint32_t)rd_le(r, 4);
	a->gid = (uint32_t)rd_le(r, 4);
	for (size_t i = 0; i < sizeof(tail) / sizeof(tail[0]); i++)
		*tail[i] = rd_le(r, 8);
}

/* One field of letter `c` through the pointers in `ap`. */
static bool rd_field(struct p9_rd *r, char c, va_list *ap)
{
	switch (c) {
	case 'b':
		*va_arg(*ap, uint8_t *) = (uint8_t)rd_le(r, 1);
		return true;
	case 'w':
		*va_arg(*ap, uint16_t *) = (uint16_t)rd_le(r, 2);
		return true;
	case 'd':
		*va_arg(*ap, uint32_t *) = (uint32_t)rd_le(r, 4);
		return true;
	case 'q':
		*va_arg(*ap, uint64_t *) = rd_le(r, 8);
		return true;
	case 'Q':
		rd_qid(r, va_arg(*ap, struct p9_qid *));
		return true;
	case 'A':
		rd_attr(r, va_arg(*ap, struct p9_attr *));
		return true;
	case 's': {
		const char **s = va_arg(*ap, const char **);
		uint16_t *n = va_arg(*ap, uint16_t *);

		*n = (uint16_t)rd_le(r, 2);
		*s = (const char *)rd_bytes(r, *n);
		return true;
	}
	case 'D': {
		const uint8_t **s = va_arg(*ap, const uint8_t **);
		uint32_t *n = va_arg(*ap, uint32_t *);

		*n = (uint32_t)rd_le(r, 4);
		*s = rd_bytes(r, *n);
		return true;
	}
	default:
		return false;
	}
}

bool p9_header(const void *buf, size_t len, uint32_t *size, uint8_t *type, uint16_t *tag)
{
	struct p9_rd r = { .p = buf, .len = len };

	*size = (uint32_t)rd_le(&r, 4);
	*type = (uint8_t)rd_le(&r, 1);
	*tag = (uint16_t)rd_le(&r, 2);
	return !r.bad;
}

/* The header of reply `buf` for request `type`, tag `tag`: 0, the
 * Rlerror's -errno, or -EPROTO.  *r covers the message's own size. */
static int rd_header(struct p9_rd *r, const void *buf, size_t len, uint8_t type, uint16_t tag)
{
	uint32_t size, ecode;
	uint8_t rtype;
	uint16_t rtag;

	if (!p9_header(buf, len, &size, &rtype, &rtag) || size < P9_HDR_SIZE || size > len ||
	    rtag != tag)
		return -EPROTO;
	*r = (struct p9_rd){ .p = buf, .len = size, .at = P9_HDR_SIZE };
	if (rtype == P9_RLERROR) {
		ecode = (uint32_t)rd_le(r, 4);
		return r->bad || !ecode || ecode > P9_MAX_ERRNO ? -EPROTO : -(int)ecode;
	}
	return rtype == P9_REPLY(type) ? 0 : -EPROTO;
}

int p9_vparse(const void *buf, size_t len, uint8_t type, uint16_t tag, const char *fmt, va_list ap)
{
	struct p9_rd r;
	int err = rd_header(&r, buf, len, type, tag);
	va_list aq;

	if (err)
		return err;
	va_copy(aq, ap);
	for (; *fmt && !r.bad; fmt++)
		if (!rd_field(&r, *fmt, &aq))
			r.bad = true;
	va_end(aq);
	return r.bad ? -EPROTO : 0;
}

int p9_parse(const void *buf, size_t len, uint8_t type, uint16_t tag, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = p9_vparse(buf, len, type, tag, fmt, ap);
	va_end(ap);
	return err;
}

int p9_parse_data(const void *hdr, size_t got, uint8_t type, uint16_t tag, uint32_t *count)
{
	size_t have = got < P9_RREAD_HDR ? got : P9_RREAD_HDR;
	struct p9_rd r = { .p = hdr, .len = have };
	uint32_t size = (uint32_t)rd_le(&r, 4);
	uint8_t rtype = (uint8_t)rd_le(&r, 1);
	uint16_t rtag = (uint16_t)rd_le(&r, 2);

	if (r.bad || rtag != tag)
		return -EPROTO;
	if (rtype == P9_RLERROR) /* as long as the header: read as any reply */
		return p9_parse(hdr, have, type, tag, "");
	*count = (uint32_t)rd_le(&r, 4);
	if (r.bad || rtype != P9_REPLY(type) || size != P9_RREAD_HDR + (uint64_t)*count ||
	    size > got)
		return -EPROTO;
	return 0;
}

int p9_dirent_next(const uint8_t *data, size_t len, size_t *at, struct p9_dirent *e)
{
	struct p9_rd r = { .p = data, .len = len, .at = *at };

	if (*at >= len)
		return 0;
	rd_qid(&r, &e->qid);
	e->offset = rd_le(&r, 8);
	e->type = (uint8_t)rd_le(&r, 1);
	e->namelen = (uint16_t)rd_le(&r, 2);
	e->name = (const char *)rd_bytes(&r, e->namelen);
	if (r.bad)
		return -EPROTO;
	*at = r.at;
	return 1;
}
