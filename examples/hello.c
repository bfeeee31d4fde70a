/*
 * The built-in example: an ordinary static Linux program that greets and
 * lists its arguments.  `make example` (or scripts/example.sh) runs it inside
 * monos; built with `musl-gcc -static -O2` by tests/guest/guest.mk.
 */
#include <stdio.h>

int main(int argc, char **argv)
{
	printf("Hello from monos!\n");
	printf("argc = %d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("argv[%d] = \"%s\"\n", i, argv[i]);
	return 0;
}
