/*
 * base64 decoding (contracts in <lib/base64.h>): four characters of six
 * bits make three bytes; padding ends the text.
 */
#include <lib/base64.h>
#include <lib/errno.h>

/* The value of base64 character @c, or -1. */
static int base64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int base64_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

long base64_decode(const char *in, size_t inlen, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	unsigned have = 0, pad = 0;
	size_t n = 0;

	for (size_t i = 0; i < inlen; i++) {
		int v = base64_value(in[i]);

		if (base64_is_space(in[i]))
			continue;
		if (in[i] == '=' && have >= 2 && have + pad < 4) {
			pad++;
			continue;
		}
		if (v < 0 || pad)
			return -EINVAL; /* a stranger, or text after the padding */
		acc = acc << 6 | (uint32_t)v;
		if (++have < 4)
			continue;
		if (cap - n < 3)
			return -E2BIG;
		out[n++] = (uint8_t)(acc >> 16);
		out[n++] = (uint8_t)(acc >> 8);
		out[n++] = (uint8_t)acc;
		acc = 0;
		have = 0;
	}
	if (have == 1 || (pad && have + pad != 4))
		return -EINVAL;
	if (have >= 2) { /* the final 2 or 3 characters hold 1 or 2 bytes */
		if (cap - n < have - 1)
			return -E2BIG;
		acc <<= 6 * (4 - have);
		out[n++] = (uint8_t)(acc >> 16);
		if (have == 3)
			out[n++] = (uint8_t)(acc >> 8);
	}
	return (long)n;
}
