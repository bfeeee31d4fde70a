/*
 * Reading a parsed JSON tree (contracts in <lib/json.h>): member lookup,
 * kind names for messages, and typed values, integers exact over 64 bits.
 */
#include <lib/errno.h>
#include <lib/json.h>
#include <lib/string.h>

const struct json_node *json_get(const struct json_node *obj, const char *key)
{
	const struct json_node *found = NULL;
	size_t n;

	if (!obj || obj->kind != JSON_OBJECT)
		return NULL;
	n = strlen(key);
	for (const struct json_node *v = obj->child; v; v = v->next)
		if (v->key_len == n && !memcmp(v->key, key, n))
			found = v;
	return found;
}

const char *json_kind_name(enum json_kind kind)
{
	switch (kind) {
	case JSON_NULL:
		return "null";
	case JSON_FALSE:
	case JSON_TRUE:
		return "a boolean";
	case JSON_NUMBER:
		return "a number";
	case JSON_STRING:
		return "a string";
	case JSON_ARRAY:
		return "an array";
	case JSON_OBJECT:
		return "an object";
	}
	return "a value";
}

const char *json_cstr(const struct json_node *n)
{
	if (!n || n->kind != JSON_STRING || memchr(n->str, 0, n->len))
		return NULL;
	return n->str;
}

int json_bool(const struct json_node *n, bool *out)
{
	if (!n || (n->kind != JSON_TRUE && n->kind != JSON_FALSE))
		return -EINVAL;
	*out = n->kind == JSON_TRUE;
	return 0;
}

/* The magnitude of an integer number's text, *@neg for a '-'. */
static int json_magnitude(const struct json_node *n, uint64_t *mag, bool *neg)
{
	const char *s;
	uint64_t v = 0;

	if (!n || n->kind != JSON_NUMBER || memchr(n->str, '.', n->len) ||
	    memchr(n->str, 'e', n->len) || memchr(n->str, 'E', n->len))
		return -EINVAL;
	s = n->str;
	*neg = *s == '-';
	if (*neg)
		s++;
	for (; *s; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*mag = v;
	return 0;
}

int json_uint64(const struct json_node *n, uint64_t *out)
{
	uint64_t mag;
	bool neg;
	int rc = json_magnitude(n, &mag, &neg);

	if (rc)
		return rc;
	if (neg && mag)
		return -ERANGE;
	*out = mag;
	return 0;
}

int json_int64(const struct json_node *n, int64_t *out)
{
	uint64_t mag;
	bool neg;
	int rc = json_magnitude(n, &mag, &neg);

	if (rc)
		return rc;
	if (mag > (uint64_t)INT64_MAX + neg)
		return -ERANGE;
	/* -2^63 has no positive int64: negate in unsigned arithmetic. */
	*out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	return 0;
}

#ifdef __SSE2__
#include <float.h>
#include <locale.h>
#include <stdlib.h>

int json_double(const struct json_node *n, double *out)
{
	static locale_t c_locale;
	double v;

	if (!n || n->kind != JSON_NUMBER)
		return -EINVAL;
	/* The decimal point is '.' whatever locale the program set. */
	if (!c_locale)
		c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	if (!c_locale)
		return -ENOMEM;
	v = strtod_l(n->str, NULL, c_locale);
	if (v > DBL_MAX || v < -DBL_MAX)
		return -ERANGE;
	*out = v;
	return 0;
}
#endif
