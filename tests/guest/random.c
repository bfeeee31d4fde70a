/*
 * Guest test, area random: print 32 bytes of getrandom() and the 16 bytes
 * AT_RANDOM points to, in hex.  The output is *meant* to differ: the runner
 * runs it twice in monos and checks the two outputs differ from each other
 * and from the native run (design 9: two runs never see the same bytes).
 */
#include "guest.h"

#include <sys/auxv.h>

#define RANDOM_LEN    32
#define AT_RANDOM_LEN 16 /* the kernel places 16 bytes there */

static void random_print(const char *label, const unsigned char *p, int len)
{
	printf("%s: ", label);
	for (int i = 0; i < len; i++)
		printf("%02x", p[i]);
	printf("\n");
}

int main(void)
{
	unsigned char buf[RANDOM_LEN];
	const unsigned char *at = (const unsigned char *)getauxval(AT_RANDOM);

	if (syscall(SYS_getrandom, buf, sizeof(buf), 0) != sizeof(buf)) {
		printf("getrandom failed: %s\n", guest_errname(errno));
		return 1;
	}
	random_print("getrandom", buf, RANDOM_LEN);
	if (!at) {
		printf("AT_RANDOM missing\n");
		return 1;
	}
	random_print("AT_RANDOM", at, AT_RANDOM_LEN);
	return 0;
}
