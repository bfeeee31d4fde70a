/*
 * Bitmaps in 64-bit words: bit i is bit (i % 64) of word i / 64, as in
 * Linux's include/linux/bitmap.h.  Pure code, unit-tested on the host
 * (tests/unit/test_lib_bitmap.c).  The caller sizes and locks the map.
 */
#ifndef LIB_BITMAP_H
#define LIB_BITMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BITMAP_WORD_BITS 64
/* Words holding `bits` bits. */
#define BITMAP_WORDS(bits) (((bits) + BITMAP_WORD_BITS - 1) / BITMAP_WORD_BITS)

static inline void bitmap_set(uint64_t *map, size_t bit)
{
	map[bit / BITMAP_WORD_BITS] |= 1ull << (bit % BITMAP_WORD_BITS);
}

static inline void bitmap_clear(uint64_t *map, size_t bit)
{
	map[bit / BITMAP_WORD_BITS] &= ~(1ull << (bit % BITMAP_WORD_BITS));
}

static inline bool bitmap_test(const uint64_t *map, size_t bit)
{
	return map[bit / BITMAP_WORD_BITS] >> (bit % BITMAP_WORD_BITS) & 1;
}

/*
 * The first clear bit at or after `start` and below `size`, or `size` if
 * there is none (Linux's find_next_zero_bit): a word at a time, so a run
 * of set bits costs 1/64 of a bit-by-bit scan.  Bits of the last word at
 * or above `size` are never reported; `map` may be NULL when `size` is 0.
 */
static inline size_t bitmap_next_zero(const uint64_t *map, size_t size, size_t start)
{
	while (start < size) {
		size_t word = start / BITMAP_WORD_BITS;
		uint64_t clear = ~map[word] & (~0ull << (start % BITMAP_WORD_BITS));

		if (clear) {
			size_t bit = word * BITMAP_WORD_BITS + (size_t)__builtin_ctzll(clear);
			return bit < size ? bit : size;
		}
		start = (word + 1) * BITMAP_WORD_BITS;
	}
	return size;
}

#endif
