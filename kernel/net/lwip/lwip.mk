# lwIP 2.1.3 in the kernel (design.md point 10).  scripts/lwip.sh fetches
# Debian's source package into $(LWIP_DIR) (git ignores $(BUILD)) once; its
# core, IPv4, IPv6 and Ethernet sources are compiled with the kernel's flags
# and linked into the kernel.  Included by kernel/kernel.mk after
# KERNEL_OBJS is set; adds lwIP's objects to it.
#
# The list of lwIP's files is named here (the tree does not exist before the
# first fetch, so it cannot be found with wildcard); a file lwIP adds in a
# later version needs a line here.

LWIP_DIR := $(BUILD)/lwip
LWIP_STAMP := $(LWIP_DIR)/stamp
LWIP_SRC := $(LWIP_DIR)/src/src

LWIP_CORE := init def dns inet_chksum ip mem memp netif pbuf raw stats sys tcp tcp_in tcp_out \
	timeouts udp
LWIP_IPV4 := autoip dhcp etharp icmp igmp ip4 ip4_addr ip4_frag
LWIP_IPV6 := dhcp6 ethip6 icmp6 inet6 ip6 ip6_addr ip6_frag mld6 nd6
LWIP_SRCS := $(LWIP_CORE:%=$(LWIP_SRC)/core/%.c) $(LWIP_IPV4:%=$(LWIP_SRC)/core/ipv4/%.c) \
	$(LWIP_IPV6:%=$(LWIP_SRC)/core/ipv6/%.c) $(LWIP_SRC)/netif/ethernet.c
LWIP_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(LWIP_SRCS))

# lwipopts.h and arch/ come from our port; <string.h> and <stdlib.h>, which
# lwIP includes by name, from kernel/net/lwip/libc (the kernel's own).
LWIP_INCLUDES := -Ikernel/net/lwip -Ikernel/net/lwip/libc -I$(LWIP_SRC)/include
# lwIP is third-party code: its warnings are its own and never stop the
# build (the kernel's flags hold no -Werror beyond implicit declarations).
LWIP_QUIET := -w

KERNEL_OBJS += $(LWIP_OBJS)

# Everything under kernel/net sees lwIP's headers (the socket layer uses the
# raw API), and waits for the fetch.
$(BUILD)/obj/kernel/net/%.o: KERNEL_CFLAGS += $(LWIP_INCLUDES)
$(patsubst %.c,$(BUILD)/obj/%.o,$(filter kernel/net/%,$(KERNEL_SRCS))): | $(LWIP_STAMP)

$(LWIP_OBJS): KERNEL_CFLAGS += $(LWIP_INCLUDES) $(LWIP_QUIET)
$(LWIP_OBJS): $(BUILD)/obj/%.o: %.c kernel/net/lwip/lwipopts.h kernel/net/lwip/arch/cc.h
	@mkdir -p $(dir $@)
	$(KERNEL_CC) $(KERNEL_CFLAGS) -MMD -MP -c -o $@ $<

# The sources exist once the fetch has run (the stamp is written last).
$(LWIP_SRCS): | $(LWIP_STAMP)
$(LWIP_STAMP): scripts/lwip.sh
	bash scripts/lwip.sh $(LWIP_DIR)

.PHONY: lwip
lwip: $(LWIP_STAMP)
