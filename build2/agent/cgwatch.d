build2/agent/cgwatch.o: agent/cgwatch.c agent/agent.h common/err.h \
 agent/attest.h common/attest_wire.h common/err.h common/measure_log.h \
 common/attest_wire.h agent/loop.h agent/registry.h common/addr.h \
 common/policy.h common/addr.h agent/state.h common/proto.h \
 build2/trustnode.skel.h include/trustnode/bpf_shared.h
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
common/proto.h:
build2/trustnode.skel.h:
include/trustnode/bpf_shared.h:
