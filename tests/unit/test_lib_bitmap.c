/* Unit tests of <lib/bitmap.h>: set, clear, test and the next clear bit. */
#include "unit.h"
#include <lib/bitmap.h>

TEST(bitmap_set_clear_test)
{
	uint64_t map[BITMAP_WORDS(130)] = { 0 };

	CHECK_EQ(BITMAP_WORDS(130), 3);
	CHECK_EQ(BITMAP_WORDS(128), 2);
	bitmap_set(map, 0);
	bitmap_set(map, 63);
	bitmap_set(map, 64);
	bitmap_set(map, 129);
	CHECK(bitmap_test(map, 0) && bitmap_test(map, 63) && bitmap_test(map, 64));
	CHECK(bitmap_test(map, 129) && !bitmap_test(map, 1) && !bitmap_test(map, 128));
	CHECK(map[0] == (1ull | 1ull << 63) && map[1] == 1 && map[2] == 2);
	bitmap_clear(map, 63);
	CHECK(!bitmap_test(map, 63) && bitmap_test(map, 0));
}

TEST(bitmap_next_zero_finds_the_lowest)
{
	uint64_t map[BITMAP_WORDS(200)];

	for (size_t i = 0; i < BITMAP_WORDS(200); i++)
		map[i] = ~0ull;
	CHECK_EQ(bitmap_next_zero(map, 200, 0), 200); /* full */
	bitmap_clear(map, 150);
	bitmap_clear(map, 70);
	CHECK_EQ(bitmap_next_zero(map, 200, 0), 70);
	CHECK_EQ(bitmap_next_zero(map, 200, 70), 70);
	CHECK_EQ(bitmap_next_zero(map, 200, 71), 150);
	CHECK_EQ(bitmap_next_zero(map, 200, 151), 200);
	CHECK_EQ(bitmap_next_zero(map, 150, 71), 150);	/* 150 is not below size */
	CHECK_EQ(bitmap_next_zero(map, 200, 500), 200); /* start past the end */
	CHECK_EQ(bitmap_next_zero(NULL, 0, 0), 0);
}

TEST(bitmap_next_zero_ignores_bits_past_size)
{
	uint64_t map[1] = { 0x0full }; /* bits 4.. clear, but size is 4 */

	CHECK_EQ(bitmap_next_zero(map, 4, 0), 4);
	CHECK_EQ(bitmap_next_zero(map, 5, 0), 4);
	map[0] = 0;
	CHECK_EQ(bitmap_next_zero(map, 64, 63), 63);
}

int main(void)
{
	RUN(bitmap_set_clear_test);
	RUN(bitmap_next_zero_finds_the_lowest);
	RUN(bitmap_next_zero_ignores_bits_past_size);
	return unit_summary();
}
