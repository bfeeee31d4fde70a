# The kernel: every .c and .S under kernel/ (kernel/lib through lib.mk),
# freestanding, linked twice: the second link carries the symbol table that
# panic backtraces use (scripts/ksyms.sh), placed after all code so no
# function moves between the two links.  build/monos-kernel is stripped;
# build/monos-kernel.debug keeps the symbols and debug information.
include kernel/lib/lib.mk

KERNEL_CC ?= gcc
KERNEL_CFLAGS := -std=gnu11 -ffreestanding -nostdinc -isystem $(shell $(KERNEL_CC) -print-file-name=include) \
	-Iinclude -Ikernel -Ikernel/lib/include -I$(BUILD)/gen \
	-O2 -g -Wall -Wextra -Wno-unused-parameter -Werror=implicit-function-declaration \
	-Werror=vla -Werror=missing-prototypes \
	-mno-sse -mno-sse2 -mno-mmx -mno-avx -mno-red-zone -mcmodel=kernel -fno-pic -fno-pie \
	-fno-stack-protector -fno-omit-frame-pointer -fno-asynchronous-unwind-tables \
	-fno-strict-aliasing -fno-builtin-printf -fcf-protection=none
KERNEL_LDFLAGS := -nostdlib -static -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments \
	-T kernel/arch/x86_64/kernel.ld

# kernel/vdso/vdso.c is user code, built on its own by vdso.mk.
KERNEL_SRCS := $(filter-out kernel/lib/% kernel/vdso/vdso.c,$(shell find kernel -name '*.c' -o -name '*.S')) \
	$(LIB_SRCS)
KERNEL_OBJS := $(patsubst %,$(BUILD)/obj/%.o,$(basename $(KERNEL_SRCS))) \
	$(BUILD)/obj/gen/syscall_names.o
GEN_HDRS := $(BUILD)/gen/linux/syscall_nr.h
include kernel/net/lwip/lwip.mk
include kernel/vdso/vdso.mk

# Syscall numbers and names come from the host's uapi header, generated.
$(BUILD)/gen/linux/syscall_nr.h: scripts/syscalls.sh
	@mkdir -p $(dir $@)
	bash scripts/syscalls.sh nr > $@
$(BUILD)/gen/syscall_names.c: scripts/syscalls.sh
	@mkdir -p $(dir $@)
	bash scripts/syscalls.sh names > $@
$(BUILD)/obj/gen/syscall_names.o: $(BUILD)/gen/syscall_names.c $(GEN_HDRS)
	@mkdir -p $(dir $@)
	$(KERNEL_CC) $(KERNEL_CFLAGS) -c -o $@ $<

$(BUILD)/obj/%.o: %.c | $(GEN_HDRS)
	@mkdir -p $(dir $@)
	$(KERNEL_CC) $(KERNEL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/obj/%.o: %.S
	@mkdir -p $(dir $@)
	$(KERNEL_CC) $(KERNEL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/obj/ksyms0.o: scripts/ksyms.sh
	@mkdir -p $(dir $@)
	bash scripts/ksyms.sh > $(BUILD)/obj/ksyms0.S
	$(KERNEL_CC) $(KERNEL_CFLAGS) -c -o $@ $(BUILD)/obj/ksyms0.S

$(BUILD)/monos-kernel: $(KERNEL_OBJS) $(BUILD)/obj/ksyms0.o kernel/arch/x86_64/kernel.ld scripts/ksyms.sh
	ld $(KERNEL_LDFLAGS) -o $@.pass1 $(KERNEL_OBJS) $(BUILD)/obj/ksyms0.o
	bash scripts/ksyms.sh $@.pass1 > $(BUILD)/obj/ksyms.S
	$(KERNEL_CC) $(KERNEL_CFLAGS) -c -o $(BUILD)/obj/ksyms.o $(BUILD)/obj/ksyms.S
	ld $(KERNEL_LDFLAGS) -o $@.debug $(KERNEL_OBJS) $(BUILD)/obj/ksyms.o
	@nm -n $@.pass1 | grep -i ' t ' > $@.syms1; nm -n $@.debug | grep -i ' t ' > $@.syms2; \
		cmp -s $@.syms1 $@.syms2 || { echo "ksyms: functions moved between links" >&2; exit 1; }
	@rm -f $@.pass1 $@.syms1 $@.syms2
	objcopy --strip-all $@.debug $@

-include $(KERNEL_OBJS:.o=.d)
