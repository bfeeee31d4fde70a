/*
 * The A/B state in GRUB's environment block (lib/bootslot.h): read into a
 * struct, and changed one whole event at a time through grubenv_set.
 */
#include <lib/bootslot.h>
#include <lib/errno.h>
#include <lib/grubenv.h>
#include <lib/string.h>

/* `name`'s value as one slot letter, or 0. */
static char get_slot(const char *block, const char *name)
{
	size_t len;
	const char *v = grubenv_get(block, name, &len);

	return v && len == 1 && (*v == 'a' || *v == 'b') ? *v : 0;
}

/* `name`'s decimal value, at most `max`; 0 when absent or malformed. */
static unsigned get_uint(const char *block, const char *name, unsigned max)
{
	size_t len;
	const char *v = grubenv_get(block, name, &len);
	unsigned n = 0;

	for (size_t i = 0; v && i < len; i++) {
		if (v[i] < '0' || v[i] > '9' || n > max)
			return 0;
		n = n * 10 + (unsigned)(v[i] - '0');
	}
	return n <= max ? n : 0;
}

/* `name`'s value into out[cap] (cut, NUL-terminated; "" when absent). */
static void get_text(const char *block, const char *name, char *out, size_t cap)
{
	size_t len = 0;
	const char *v = grubenv_get(block, name, &len);

	if (!v || len >= cap)
		len = v ? cap - 1 : 0;
	memcpy(out, v ? v : "", len);
	out[len] = 0;
}

void bootslot_read(const char *block, struct bootslot_state *s)
{
	size_t len;
	const char *pending = grubenv_get(block, "monos_pending", &len);

	memset(s, 0, sizeof(*s));
	s->good = get_slot(block, "monos_slot") == 'b' ? 'b' : 'a';
	s->trying = get_slot(block, "monos_try");
	s->pending = pending && len == 1 && *pending == '1';
	s->booted = get_slot(block, "monos_booted");
	s->abandoned = get_slot(block, "monos_abandoned");
	get_text(block, "monos_why", s->why, sizeof(s->why));
	s->fails = get_uint(block, "monos_fails", BOOTSLOT_FAILS_MAX);
	s->backoff_s = get_uint(block, "monos_backoff", BOOTSLOT_BACKOFF_MAX_S);
	get_text(block, "monos_fail_why", s->fail_why, sizeof(s->fail_why));
	get_text(block, "monos_image_a", s->image[0], sizeof(s->image[0]));
	get_text(block, "monos_image_b", s->image[1], sizeof(s->image[1]));
}

unsigned bootslot_backoff_s(unsigned fails)
{
	unsigned d = 1;

	for (unsigned i = 1; i < fails && d < BOOTSLOT_BACKOFF_MAX_S; i++)
		d *= 2;
	return d < BOOTSLOT_BACKOFF_MAX_S ? d : BOOTSLOT_BACKOFF_MAX_S;
}

bool bootslot_both_bad(const struct bootslot_state *s, char slot, unsigned fails)
{
	char other = slot == 'a' ? 'b' : 'a';

	return fails >= BOOTSLOT_BAD_BOOTS && (s->abandoned == other || !s->image[other - 'a'][0]);
}

/* Set `name` to `value` cut to `max` bytes (NULL: remove it). */
static int set_cut(char *block, const char *name, const char *value, size_t max)
{
	char buf[BOOTSLOT_IMAGE_MAX + 1];
	size_t n = value ? strnlen(value, max) : 0;

	if (!value)
		return grubenv_set(block, name, NULL);
	memcpy(buf, value, n);
	buf[n] = 0;
	return grubenv_set(block, name, buf);
}

/* "N" for 0 <= n <= BOOTSLOT_BACKOFF_MAX_S into buf[4]. */
static const char *decimal(char *buf, unsigned n)
{
	char tmp[4];
	int i = 0, j = 0;

	do
		tmp[i++] = (char)('0' + n % 10);
	while ((n /= 10) && i < 3);
	while (i)
		buf[j++] = tmp[--i];
	buf[j] = 0;
	return buf;
}

int bootslot_mark_good(char *block, char slot)
{
	char name[2] = { slot, 0 };
	int err = grubenv_set(block, "monos_slot", name);

	err = err ? err : grubenv_set(block, "monos_try", NULL);
	err = err ? err : grubenv_set(block, "monos_pending", NULL);
	return err ? err : bootslot_settled(block);
}

int bootslot_abandon(char *block, char slot, const char *why)
{
	char name[2] = { slot, 0 };
	int err = grubenv_set(block, "monos_abandoned", name);

	err = err ? err : set_cut(block, "monos_why", why, BOOTSLOT_WHY_MAX);
	err = err ? err : grubenv_set(block, "monos_try", NULL);
	return err ? err : grubenv_set(block, "monos_pending", NULL);
}

int bootslot_failed(char *block, const char *why, unsigned *fails, unsigned *backoff_s)
{
	char buf[2][4];
	unsigned n = get_uint(block, "monos_fails", BOOTSLOT_FAILS_MAX);
	int err;

	*fails = n < BOOTSLOT_FAILS_MAX ? n + 1 : n;
	*backoff_s = bootslot_backoff_s(*fails);
	err = grubenv_set(block, "monos_fails", decimal(buf[0], *fails));
	err = err ? err : set_cut(block, "monos_fail_why", why, BOOTSLOT_WHY_MAX);
	return err ? err : grubenv_set(block, "monos_backoff", decimal(buf[1], *backoff_s));
}

int bootslot_settled(char *block)
{
	int err = grubenv_set(block, "monos_fails", NULL);

	err = err ? err : grubenv_set(block, "monos_fail_why", NULL);
	return err ? err : grubenv_set(block, "monos_backoff", NULL);
}

int bootslot_set_image(char *block, char slot, const char *image)
{
	int err = 0;

	if (slot != 'a' && slot != 'b')
		return -EINVAL;
	/* The reason given for the image now replaced no longer applies. */
	if (get_slot(block, "monos_abandoned") == slot) {
		err = grubenv_set(block, "monos_abandoned", NULL);
		err = err ? err : grubenv_set(block, "monos_why", NULL);
	}
	return err ? err
		   : set_cut(block, slot == 'a' ? "monos_image_a" : "monos_image_b", image,
			     BOOTSLOT_IMAGE_MAX);
}
