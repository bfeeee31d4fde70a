# The `monos` command (host side): cli/*.c plus the pure kernel/lib code it
# shares with the kernel (ELF checks, cpio headers, size parsing, errno
# names), all compiled with the host compiler into $(BUILD)/cli/.
CLI_SRCS := $(wildcard cli/*.c)
CLI_LIB_SRCS := kernel/lib/elf.c kernel/lib/cpio.c kernel/lib/cmdline.c kernel/lib/errno.c \
	kernel/lib/fmt.c kernel/lib/yaml.c kernel/lib/yaml_scalar.c kernel/lib/yaml_node.c kernel/lib/sha256.c
CLI_LIB_SRCS += kernel/lib/json.c kernel/lib/json_string.c kernel/lib/json_node.c kernel/lib/grubenv.c \
	kernel/lib/bootslot.c
CLI_OBJS := $(patsubst cli/%.c,$(BUILD)/cli/%.o,$(CLI_SRCS)) \
	$(patsubst kernel/lib/%.c,$(BUILD)/cli/lib/%.o,$(CLI_LIB_SRCS))
CLI_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(wildcard tests/unit/test_cli_*.c))

$(BUILD)/monos: $(CLI_OBJS)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $(CLI_OBJS)

# The OCI runtime is monos under another name (design.md contract 24).
all: $(BUILD)/monos-runtime
$(BUILD)/monos-runtime: $(BUILD)/monos
	ln -sf monos $@

$(BUILD)/cli/%.o: cli/%.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/cli/lib/%.o: kernel/lib/%.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -MMD -MP -c -o $@ $<

# The CLI's own unit tests (tests/run.sh runs them with all the others).
cli-test: $(BUILD)/monos $(CLI_TESTS)
	@set -e; for t in $(CLI_TESTS); do $$t; done

-include $(CLI_OBJS:.o=.d)
