build2/agent/requests_tags.o: agent/requests_tags.c agent/agent.h \
 common/err.h agent/attest.h common/attest_wire.h common/err.h \
 common/measure_log.h common/attest_wire.h agent/loop.h agent/registry.h \
 common/addr.h common/policy.h common/addr.h agent/state.h \
 agent/requests.h common/proto.h include/trustnode/control_proto.h
agent/agent.h:
common/err.h:
agent/attest.h:
common/attest_wire.h:
common/err.h:
common/measure_log.h:
common/attest_wire.h:
agent/loop.h:
agent/registry.h:
common/addr.h:
common/policy.h:
common/addr.h:
agent/state.h:
agent/requests.h:
common/proto.h:
include/trustnode/control_proto.h:
