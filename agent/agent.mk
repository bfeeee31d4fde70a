# The in-guest management agent (agent/, design.md contract 23): a static
# musl program, as the guest tests are, packed by `monos run` only when
# --api or --health asks for it (found beside the monos binary, or at
# $MONOS_AGENT).
AGENT_SRCS := $(wildcard agent/*.c)

$(BUILD)/monos-agent: $(AGENT_SRCS) agent/agent.h agent/http.h
	@mkdir -p $(dir $@)
	$(MUSL_CC) -static -std=c11 -D_GNU_SOURCE -Os -Wall -Wextra -o $@ $(AGENT_SRCS)
