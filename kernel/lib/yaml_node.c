/*
 * Reading a parsed YAML tree (contracts in <lib/yaml.h>): lookups, the
 * typed views of scalars (booleans, integers, permissions) and error
 * messages.  The typed views follow the YAML 1.2 core schema, with
 * yaml_bool_loose and yaml_mode for what cloud-init (PyYAML, YAML 1.1)
 * reads differently.
 */
#include <stdarg.h>
#include <lib/errno.h>
#include <lib/fmt.h>
#include <lib/string.h>
#include <lib/yaml.h>

#define YAML_MODE_MAX 07777 /* permission bits, setuid, setgid and sticky */

int yaml_error_format(const struct yaml_error *err, char *buf, size_t size)
{
	if (!err->line)
		return fmt_snprintf(buf, size, "%s", err->msg);
	return fmt_snprintf(buf, size, "line %u, column %u: %s", err->line, err->col, err->msg);
}

void yaml_set_error(struct yaml_error *err, const struct yaml_node *node, const char *msg, ...)
{
	va_list ap;

	if (!err)
		return;
	err->line = node ? node->line : 0;
	err->col = node ? node->col : 0;
	va_start(ap, msg);
	fmt_vsnprintf(err->msg, sizeof(err->msg), msg, ap);
	va_end(ap);
}

const struct yaml_node *yaml_get(const struct yaml_node *map, const char *key)
{
	size_t len = strlen(key);

	if (!map || map->kind != YAML_MAP)
		return NULL;
	for (const struct yaml_entry *e = map->entries; e; e = e->next)
		if (e->key->len == len && !memcmp(e->key->str, key, len))
			return e->value;
	return NULL;
}

bool yaml_is(const struct yaml_node *n, const char *s)
{
	return n && n->kind == YAML_SCALAR && n->len == strlen(s) && !memcmp(n->str, s, n->len);
}

/* Whether plain scalar @n is one of @words (lower-case letters) in lower,
 * Capitalised or UPPER case, the spellings YAML's schemas list. */
static bool yaml_word(const struct yaml_node *n, const char *const *words)
{
	if (!n || n->kind != YAML_SCALAR || n->style != YAML_PLAIN)
		return false;
	for (; *words; words++) {
		const char *w = *words;
		bool lower = true, upper = true, cap = true;

		if (n->len != strlen(w))
			continue;
		for (size_t i = 0; i < n->len; i++) {
			char up = (char)(w[i] - 'a' + 'A');

			lower = lower && n->str[i] == w[i];
			upper = upper && n->str[i] == up;
			cap = cap && n->str[i] == (i ? w[i] : up);
		}
		if (lower || upper || cap)
			return true;
	}
	return false;
}

static const char *const yaml_true_core[] = { "true", NULL };
static const char *const yaml_false_core[] = { "false", NULL };
static const char *const yaml_true_11[] = { "true", "yes", "on", "y", NULL };
static const char *const yaml_false_11[] = { "false", "no", "off", "n", NULL };

int yaml_bool(const struct yaml_node *n, bool *out)
{
	if (yaml_word(n, yaml_true_core) || yaml_word(n, yaml_false_core)) {
		*out = yaml_word(n, yaml_true_core);
		return 0;
	}
	return -EINVAL;
}

int yaml_bool_loose(const struct yaml_node *n, bool *out)
{
	if (yaml_word(n, yaml_true_11) || yaml_word(n, yaml_false_11)) {
		*out = yaml_word(n, yaml_true_11);
		return 0;
	}
	return -EINVAL;
}

/* Digits of @s (@len bytes) in @base into *@out; -EINVAL or -ERANGE. */
static int yaml_digits(const char *s, size_t len, unsigned base, uint64_t limit, uint64_t *out)
{
	uint64_t v = 0;

	if (!len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
			     : (c | 0x20) >= 'a'  ? (unsigned)((c | 0x20) - 'a' + 10)
						  : 99;

		if (d >= base)
			return -EINVAL;
		if (v > (limit - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

int yaml_int(const struct yaml_node *n, int64_t *out)
{
	const char *s;
	size_t len;
	bool neg = false;
	uint64_t v, limit = (uint64_t)INT64_MAX;
	int rc;

	if (!n || n->kind != YAML_SCALAR || n->style != YAML_PLAIN)
		return -EINVAL;
	s = n->str;
	len = n->len;
	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
		rc = yaml_digits(s + 2, len - 2, s[1] == 'x' ? 16 : 8, limit, &v);
	} else {
		if (len && (s[0] == '-' || s[0] == '+')) {
			neg = s[0] == '-';
			limit += neg; /* INT64_MIN's magnitude */
			s++, len--;
		}
		rc = yaml_digits(s, len, 10, limit, &v);
	}
	if (rc)
		return rc;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

int yaml_mode(const struct yaml_node *n, uint32_t *mode)
{
	const char *s;
	size_t len;
	unsigned base = 8;
	uint64_t v;
	int rc;

	if (!n || n->kind != YAML_SCALAR)
		return -EINVAL;
	s = n->str;
	len = n->len;
	if (len > 2 && s[0] == '0' && s[1] == 'o')
		s += 2, len -= 2;
	else if (n->style == YAML_PLAIN && s[0] != '0')
		base = 10; /* PyYAML: 420 is decimal, 0644 octal */
	rc = yaml_digits(s, len, base, UINT64_MAX, &v);
	if (rc == -ERANGE || (!rc && v > YAML_MODE_MAX))
		return -ERANGE;
	if (!rc)
		*mode = (uint32_t)v;
	return rc;
}
