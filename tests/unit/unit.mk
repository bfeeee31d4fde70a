# Host unit tests: every tests/unit/test_*.c is one program, built with the
# host compiler.  A test includes the .c file it tests (or links nothing
# beyond libc), so each test is self-contained.  tests/run.sh runs them all.
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))

unit-test: $(UNIT_BINS)

$(BUILD)/tests/unit/%: tests/unit/%.c tests/unit/unit.h
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -MMD -MP -Itests/unit -o $@ $<

-include $(UNIT_BINS:=.d)
