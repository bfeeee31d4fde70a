/*
 * The agent's small parsers (agent/health.c's --health specs, agent/sys.c's
 * signal names) on the host; agent_now_ms, the one thing they need of
 * agent.c, is a stand-in here.
 */
#include "unit.h"

#include "../../agent/health.c"
#include "../../agent/sys.c"

int64_t agent_now_ms(void)
{
	return 0;
}

TEST(health_specs)
{
	struct health_config c;

	CHECK_EQ(health_parse("tcp:6379", &c), 0);
	CHECK(!c.http && c.port == 6379);
	CHECK_EQ(health_parse("http://:8080/up?x=1", &c), 0);
	CHECK(c.http && c.port == 8080);
	CHECK_STR(c.path, "/up?x=1");
	CHECK_EQ(health_parse("http://:80", &c), 0);
	CHECK_STR(c.path, "/");
	CHECK_EQ(health_parse("tcp:0", &c), -1);
	CHECK_EQ(health_parse("tcp:65536", &c), -1);
	CHECK_EQ(health_parse("tcp:80x", &c), -1);
	CHECK_EQ(health_parse("http://host:80/", &c), -1);
	CHECK_EQ(health_parse("http://:80/a b", &c), -1);
	CHECK_EQ(health_parse("udp:53", &c), -1);
}

TEST(signal_names)
{
	CHECK_EQ(sys_signal_number("15", 2), SIGTERM);
	CHECK_EQ(sys_signal_number("TERM", 4), SIGTERM);
	CHECK_EQ(sys_signal_number("sigterm", 7), SIGTERM);
	CHECK_EQ(sys_signal_number("HUP", 3), SIGHUP);
	CHECK_EQ(sys_signal_number("0", 1), 0);
	CHECK_EQ(sys_signal_number("65", 2), 0);
	CHECK_EQ(sys_signal_number("1x", 2), 0);
	CHECK_EQ(sys_signal_number("BOGUS", 5), 0);
	CHECK_EQ(sys_signal_number("", 0), 0);
	CHECK_EQ(sys_signal_number("SIG", 3), 0);
}

int main(void)
{
	RUN(health_specs);
	RUN(signal_names);
	return unit_summary();
}
