# The in-guest management agent (agent/, design.md contract 23): a static
# musl program, as the guest tests are, packed by `monos run` only when
# --api, --health or --etcd asks for it (found beside the monos binary, or
# at $MONOS_AGENT).  It shares kernel/lib's pure HTTP answer and JSON
# parsers (the etcd gateway's replies: agent/etcd_proto.c).
AGENT_SRCS := $(wildcard agent/*.c)
AGENT_LIB_SRCS := kernel/lib/http.c kernel/lib/json.c kernel/lib/json_string.c kernel/lib/json_node.c

$(BUILD)/monos-agent: $(AGENT_SRCS) $(AGENT_LIB_SRCS) $(wildcard agent/*.h)
	@mkdir -p $(dir $@)
	$(MUSL_CC) -static -std=c11 -D_GNU_SOURCE -Os -Wall -Wextra -Ikernel/lib/include -o $@ \
		$(AGENT_SRCS) $(AGENT_LIB_SRCS)
