build2/agent/attest.o: agent/attest.c agent/agent.h common/err.h \
 agent/attest.h common/attest_wire.h common/err.h common/measure_log.h \
 common/attest_wire.h agent/loop.h agent/registry.h common/addr.h \
 common/policy.h common/addr.h agent/state.h common/hex.h common/proto.h \
 agent/tpm.h
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
common/hex.h:
common/proto.h:
agent/tpm.h:
