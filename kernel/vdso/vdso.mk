# The vDSO (kernel/vdso/vdso.c, linked by vdso.lds): a position-independent
# shared object with no libc, embedded in the kernel by image.S.  Included by
# kernel/kernel.mk, which keeps vdso.c out of the kernel's own sources.
# The build refuses an object that would need the dynamic linker: dynamic
# relocations, writable data or an undefined symbol (.dynamic is marked
# writable by the linker but lies in the read-only segment, as in Linux's).
VDSO_SO := $(BUILD)/vdso/vdso.so
VDSO_CFLAGS := -std=gnu11 -O2 -g -fPIC -ffreestanding -nostdlib -nostdinc \
	-isystem $(shell $(KERNEL_CC) -print-file-name=include) \
	-fno-stack-protector -fno-common -fcf-protection=none -mno-red-zone \
	-Wall -Wextra -Werror=implicit-function-declaration
VDSO_LDFLAGS := -shared -Wl,--hash-style=both -Wl,-soname=linux-vdso.so.1 \
	-Wl,-T,kernel/vdso/vdso.lds -Wl,--eh-frame-hdr -Wl,-Bsymbolic -Wl,--no-undefined \
	-Wl,-z,max-page-size=4096 -Wl,-z,noexecstack -Wl,--build-id=none

$(BUILD)/vdso/vdso.so.dbg: kernel/vdso/vdso.c kernel/vdso/vvar.h kernel/vdso/vdso.lds
	@mkdir -p $(dir $@)
	$(KERNEL_CC) $(VDSO_CFLAGS) $(VDSO_LDFLAGS) -o $@ kernel/vdso/vdso.c
	@if readelf -rW $@ | grep -q 'R_X86_64'; then \
		echo "vdso: $@ has dynamic relocations" >&2; exit 1; fi
	@if readelf -SW $@ | grep -E '^ +\[' | grep -v ' \.dynamic ' | grep -qE ' WA? '; then \
		echo "vdso: $@ has a writable section" >&2; exit 1; fi

$(VDSO_SO): $(BUILD)/vdso/vdso.so.dbg
	objcopy --strip-all --remove-section=.comment $< $@

$(BUILD)/obj/kernel/vdso/image.o: $(VDSO_SO)
$(BUILD)/obj/kernel/vdso/image.o: KERNEL_CFLAGS += -DVDSO_SO='"$(VDSO_SO)"'
