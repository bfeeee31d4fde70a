/*
 * printf-style formatting: the one formatter behind the kernel log, panic
 * messages and the CLI's text, producing exactly glibc's output for the
 * conversions it supports (see fmt.h).
 *
 * A conversion is handled in two steps: parse the specification (flags,
 * width, precision, length) into struct fmt_spec, then render it.  Integers
 * are rendered as sign/prefix, leading zeros, digits, with padding around;
 * that one routine serves %d %i %u %x %X %o and %p.
 */
#include <stdbool.h>
#include <stdint.h>
#include <lib/fmt.h>
#include <lib/string.h>

enum {
	FMT_MINUS = 1 << 0, /* left-justify */
	FMT_ZERO = 1 << 1,  /* pad numbers with zeros */
	FMT_PLUS = 1 << 2,  /* always print a sign */
	FMT_SPACE = 1 << 3, /* a space where a '+' would be */
	FMT_HASH = 1 << 4,  /* alternate form: 0x prefix, leading 0 for octal */
};

/* Length modifiers, each naming the promoted argument type to fetch. */
enum fmt_len { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_T, LEN_J };

struct fmt_spec {
	unsigned flags;
	int width; /* 0: none */
	int prec;  /* -1: none */
	enum fmt_len len;
	char conv;
};

/* Where output goes, and how much has gone there. */
struct fmt_out {
	fmt_put_fn put;
	void *ctx;
	int count;
};

static void fmt_emit(struct fmt_out *o, const char *s, size_t n)
{
	if (n) {
		o->put(o->ctx, s, n);
		o->count += (int)n;
	}
}

static void fmt_pad(struct fmt_out *o, char c, int n)
{
	static const char spaces[16] = "                ";
	static const char zeros[16] = "0000000000000000";
	const char *src = c == '0' ? zeros : spaces;

	for (; n > 0; n -= 16)
		fmt_emit(o, src, n < 16 ? (size_t)n : 16);
}

/* Emit @n bytes at @s padded to the spec's width (for %s, %c and "(nil)"). */
static void fmt_padded(struct fmt_out *o, const struct fmt_spec *sp, const char *s, size_t n)
{
	int pad = sp->width > (int)n ? sp->width - (int)n : 0;

	if (!(sp->flags & FMT_MINUS))
		fmt_pad(o, ' ', pad);
	fmt_emit(o, s, n);
	if (sp->flags & FMT_MINUS)
		fmt_pad(o, ' ', pad);
}

/* Write @v in @base into the end of @end's buffer; returns the digit count. */
static int fmt_digits(char *end, uintmax_t v, unsigned base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	int n = 0;

	do {
		*--end = digits[v % base];
		v /= base;
		n++;
	} while (v);
	return n;
}

/*
 * Render an integer: @prefix is the sign or "0x" (possibly empty).  The
 * precision is the minimum number of digits, and precision 0 prints nothing
 * for the value 0; the '0' flag pads with zeros only when no precision is
 * given and the output is not left-justified.
 */
static void fmt_number(struct fmt_out *o, const struct fmt_spec *sp, uintmax_t v, unsigned base,
		       const char *prefix)
{
	char buf[24]; /* 22 octal digits hold 64 bits */
	char *end = buf + sizeof(buf);
	int ndig = (sp->prec == 0 && v == 0) ? 0 : fmt_digits(end, v, base, sp->conv == 'X');
	int plen = (int)strlen(prefix);
	int zeros = sp->prec > ndig ? sp->prec - ndig : 0;
	int pad;

	/* "%#o" makes the first digit a 0, adding one only if needed. */
	if (base == 8 && (sp->flags & FMT_HASH) && zeros == 0 && (ndig == 0 || end[-ndig] != '0'))
		zeros = 1;
	pad = sp->width - plen - zeros - ndig;
	if (pad > 0 && sp->prec < 0 && (sp->flags & (FMT_ZERO | FMT_MINUS)) == FMT_ZERO) {
		zeros += pad;
		pad = 0;
	}
	if (!(sp->flags & FMT_MINUS))
		fmt_pad(o, ' ', pad);
	fmt_emit(o, prefix, (size_t)plen);
	fmt_pad(o, '0', zeros);
	fmt_emit(o, end - ndig, (size_t)ndig);
	if (sp->flags & FMT_MINUS)
		fmt_pad(o, ' ', pad);
}

/* Fetch a signed argument of the spec's length, widened to intmax_t. */
static intmax_t fmt_arg_signed(va_list *ap, enum fmt_len len)
{
	switch (len) {
	case LEN_HH:
		return (signed char)va_arg(*ap, int);
	case LEN_H:
		return (short)va_arg(*ap, int);
	case LEN_L:
		return va_arg(*ap, long);
	case LEN_LL:
		return va_arg(*ap, long long);
	case LEN_Z: /* the signed type of size_t's width */
	case LEN_T:
		return va_arg(*ap, ptrdiff_t);
	case LEN_J:
		return va_arg(*ap, intmax_t);
	default:
		return va_arg(*ap, int);
	}
}

/* Fetch an unsigned argument of the spec's length, widened to uintmax_t. */
static uintmax_t fmt_arg_unsigned(va_list *ap, enum fmt_len len)
{
	switch (len) {
	case LEN_HH:
		return (unsigned char)va_arg(*ap, unsigned int);
	case LEN_H:
		return (unsigned short)va_arg(*ap, unsigned int);
	case LEN_L:
		return va_arg(*ap, unsigned long);
	case LEN_LL:
		return va_arg(*ap, unsigned long long);
	case LEN_Z:
	case LEN_T:
		return va_arg(*ap, size_t);
	case LEN_J:
		return va_arg(*ap, uintmax_t);
	default:
		return va_arg(*ap, unsigned int);
	}
}

static void fmt_signed(struct fmt_out *o, const struct fmt_spec *sp, va_list *ap)
{
	intmax_t v = fmt_arg_signed(ap, sp->len);
	/* Negate in unsigned arithmetic so that INTMAX_MIN works. */
	uintmax_t mag = v < 0 ? 0 - (uintmax_t)v : (uintmax_t)v;
	const char *sign = "";

	if (v < 0)
		sign = "-";
	else if (sp->flags & FMT_PLUS)
		sign = "+";
	else if (sp->flags & FMT_SPACE)
		sign = " ";
	fmt_number(o, sp, mag, 10, sign);
}

static void fmt_unsigned(struct fmt_out *o, const struct fmt_spec *sp, va_list *ap)
{
	uintmax_t v = fmt_arg_unsigned(ap, sp->len);
	const char *prefix = "";
	unsigned base = 10;

	if (sp->conv == 'o') {
		base = 8;
	} else if (sp->conv == 'x' || sp->conv == 'X') {
		base = 16;
		if ((sp->flags & FMT_HASH) && v)
			prefix = sp->conv == 'x' ? "0x" : "0X";
	}
	fmt_number(o, sp, v, base, prefix);
}

/* %p: glibc prints "(nil)" for NULL, else the value as "%#lx" (honouring
 * the '+' and ' ' flags, which glibc applies to pointers too). */
static void fmt_pointer(struct fmt_out *o, const struct fmt_spec *sp, va_list *ap)
{
	uintptr_t v = (uintptr_t)va_arg(*ap, void *);
	const char *prefix = "0x";

	if (!v) {
		fmt_padded(o, sp, "(nil)", 5);
		return;
	}
	if (sp->flags & FMT_PLUS)
		prefix = "+0x";
	else if (sp->flags & FMT_SPACE)
		prefix = " 0x";
	fmt_number(o, sp, v, 16, prefix);
}

/* %s: at most precision bytes; glibc prints "(null)" for NULL, or nothing
 * when the precision is too small to hold it. */
static void fmt_string(struct fmt_out *o, const struct fmt_spec *sp, va_list *ap)
{
	const char *s = va_arg(*ap, const char *);
	size_t n;

	if (!s)
		s = (sp->prec < 0 || sp->prec >= 6) ? "(null)" : "";
	n = sp->prec < 0 ? strlen(s) : strnlen(s, (size_t)sp->prec);
	fmt_padded(o, sp, s, n);
}

/* Parse a decimal number at *@p (saturating well below INT_MAX). */
static int fmt_atoi(const char **p)
{
	int n = 0;

	for (; **p >= '0' && **p <= '9'; (*p)++)
		if (n < 100000000)
			n = n * 10 + (**p - '0');
	return n;
}

static const char *fmt_parse_flags(const char *p, struct fmt_spec *sp)
{
	for (;; p++) {
		switch (*p) {
		case '-':
			sp->flags |= FMT_MINUS;
			break;
		case '0':
			sp->flags |= FMT_ZERO;
			break;
		case '+':
			sp->flags |= FMT_PLUS;
			break;
		case ' ':
			sp->flags |= FMT_SPACE;
			break;
		case '#':
			sp->flags |= FMT_HASH;
			break;
		default:
			return p;
		}
	}
}

/* Width and precision: a number or '*'; a negative '*' width means '-'. */
static const char *fmt_parse_width(const char *p, struct fmt_spec *sp, va_list *ap)
{
	sp->prec = -1;
	if (*p == '*') {
		int w = va_arg(*ap, int);

		p++;
		if (w < 0) {
			sp->flags |= FMT_MINUS;
			w = w == INT32_MIN ? INT32_MAX : -w;
		}
		sp->width = w;
	} else {
		sp->width = fmt_atoi(&p);
	}
	if (*p != '.')
		return p;
	p++;
	if (*p == '*') {
		int pr = va_arg(*ap, int);

		p++;
		sp->prec = pr < 0 ? -1 : pr; /* a negative precision is "none" */
	} else {
		sp->prec = fmt_atoi(&p);
	}
	return p;
}

static const char *fmt_parse_len(const char *p, struct fmt_spec *sp)
{
	switch (*p) {
	case 'h':
		sp->len = p[1] == 'h' ? LEN_HH : LEN_H;
		return p + (p[1] == 'h' ? 2 : 1);
	case 'l':
		sp->len = p[1] == 'l' ? LEN_LL : LEN_L;
		return p + (p[1] == 'l' ? 2 : 1);
	case 'z':
		sp->len = LEN_Z;
		return p + 1;
	case 't':
		sp->len = LEN_T;
		return p + 1;
	case 'j':
		sp->len = LEN_J;
		return p + 1;
	default:
		sp->len = LEN_NONE;
		return p;
	}
}

/* Render one conversion; returns false if it is not one we support. */
static bool fmt_convert(struct fmt_out *o, struct fmt_spec *sp, va_list *ap)
{
	char c;

	switch (sp->conv) {
	case 'd':
	case 'i':
		fmt_signed(o, sp, ap);
		return true;
	case 'u':
	case 'x':
	case 'X':
	case 'o':
		fmt_unsigned(o, sp, ap);
		return true;
	case 'p':
		fmt_pointer(o, sp, ap);
		return true;
	case 's':
		fmt_string(o, sp, ap);
		return true;
	case 'c':
		c = (char)va_arg(*ap, int);
		fmt_padded(o, sp, &c, 1);
		return true;
	case '%':
		fmt_emit(o, "%", 1);
		return true;
	default:
		return false;
	}
}

/*
 * Walk the format: copy literal runs, parse and render each conversion.  An
 * unknown conversion is copied verbatim (as glibc does), and a lone '%' at
 * the end of the format is copied too.
 */
static void fmt_walk(struct fmt_out *o, const char *fmt, va_list *ap)
{
	while (*fmt) {
		const char *pct = strchr(fmt, '%');
		const char *start, *p;
		struct fmt_spec sp = { 0 };

		if (!pct) {
			fmt_emit(o, fmt, strlen(fmt));
			return;
		}
		fmt_emit(o, fmt, (size_t)(pct - fmt));
		start = pct;
		p = fmt_parse_flags(pct + 1, &sp);
		p = fmt_parse_width(p, &sp, ap);
		p = fmt_parse_len(p, &sp);
		sp.conv = *p;
		if (!sp.conv) {
			fmt_emit(o, start, (size_t)(p - start));
			return;
		}
		if (!fmt_convert(o, &sp, ap))
			fmt_emit(o, start, (size_t)(p + 1 - start));
		fmt = p + 1;
	}
}

int fmt_vformat(fmt_put_fn put, void *ctx, const char *fmt, va_list ap)
{
	struct fmt_out o = { put, ctx, 0 };
	va_list copy;

	/* va_list may be an array type: work on a copy we can take the address of. */
	va_copy(copy, ap);
	fmt_walk(&o, fmt, &copy);
	va_end(copy);
	return o.count;
}

int fmt_format(fmt_put_fn put, void *ctx, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vformat(put, ctx, fmt, ap);
	va_end(ap);
	return n;
}

/* The snprintf sink: keeps what fits, always leaving room for the NUL. */
struct fmt_buf {
	char *buf;
	size_t size, used;
};

static void fmt_buf_put(void *ctx, const char *s, size_t n)
{
	struct fmt_buf *b = ctx;
	size_t room = b->used < b->size ? b->size - 1 - b->used : 0;

	if (n > room)
		n = room;
	if (n) {
		memcpy(b->buf + b->used, s, n);
		b->used += n;
	}
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct fmt_buf b = { buf, size, 0 };
	int n = fmt_vformat(fmt_buf_put, &b, fmt, ap);

	if (size)
		buf[b.used] = '\0';
	return n;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
