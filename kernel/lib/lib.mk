# kernel/lib: monos' pure library code.  Compiled into the kernel (the lead's
# kernel.mk includes this file and builds LIB_SRCS with the kernel flags) and,
# by #include, into the host unit tests tests/unit/test_lib_*.c.
LIB_SRCS := kernel/lib/errno.c kernel/lib/clocksync.c kernel/lib/pvclock.c kernel/lib/string.c kernel/lib/fmt.c kernel/lib/chacha20.c \
	kernel/lib/cpio.c kernel/lib/elf.c kernel/lib/cmdline.c \
	kernel/lib/yaml.c kernel/lib/yaml_scalar.c kernel/lib/yaml_node.c kernel/lib/inflate.c kernel/lib/base64.c \
	kernel/lib/json.c kernel/lib/json_string.c kernel/lib/json_node.c \
	kernel/lib/iso9660.c kernel/lib/fat.c kernel/lib/cloudinit.c kernel/lib/cloudinit_net.c \
	kernel/lib/crc32c.c kernel/lib/p9.c kernel/lib/http.c kernel/lib/grubenv.c kernel/lib/bootslot.c $(wildcard kernel/lib/ext4/*.c)
