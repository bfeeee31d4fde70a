/*
 * Unit tests of cli/locales.c: which -e variables ask for a locale, and the
 * directory name glibc looks for (its codeset normalisation).
 */
#include "unit.h"

#include "../../cli/image.c"
#include "../../cli/image_names.c"
#include "../../cli/locales.c"
#include "../../cli/msg.c"
#include "../../kernel/lib/cpio.c"

static const char *norm(const char *name)
{
	static char out[LOCALES_NAME_MAX];

	return normalize_codeset(name, out, sizeof(out)) ? out : "(refused)";
}

TEST(locales_normalize_like_glibc)
{
	CHECK_STR(norm("C.UTF-8"), "C.utf8");
	CHECK_STR(norm("C.utf8"), "C.utf8");
	CHECK_STR(norm("en_US.ISO-8859-1"), "en_US.iso88591");
	CHECK_STR(norm("de_DE.UTF-8@euro"), "de_DE.utf8@euro");
	CHECK_STR(norm("ja_JP.eucJP"), "ja_JP.eucjp");
	CHECK_STR(norm("ru_RU.1251"), "ru_RU.iso1251");
	CHECK_STR(norm("fr_FR"), "fr_FR");
	CHECK_STR(norm("fr_FR@euro"), "fr_FR@euro");
	CHECK_STR(norm("../etc"), "(refused)");
	CHECK_STR(norm(".."), "(refused)");
}

TEST(locales_wanted)
{
	CHECK_STR(wanted("LANG=C.UTF-8"), "C.UTF-8");
	CHECK_STR(wanted("LC_ALL=de_DE.UTF-8"), "de_DE.UTF-8");
	CHECK_STR(wanted("LC_CTYPE=C.UTF-8"), "C.UTF-8");
	CHECK(wanted("LANG=C") == NULL);
	CHECK(wanted("LC_ALL=POSIX") == NULL);
	CHECK(wanted("LANG=") == NULL);
	CHECK(wanted("LANGUAGE=de") == NULL);
	CHECK(wanted("LC_=x") == NULL);
	CHECK(wanted("HOME=/root") == NULL);
}

int main(void)
{
	RUN(locales_normalize_like_glibc);
	RUN(locales_wanted);
	return unit_summary();
}
