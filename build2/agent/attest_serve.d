build2/agent/attest_serve.o: agent/attest_serve.c common/addr.h \
 common/err.h agent/agent.h common/err.h agent/attest.h \
 common/attest_wire.h common/measure_log.h common/attest_wire.h \
 agent/loop.h agent/registry.h common/policy.h common/addr.h \
 agent/state.h common/hex.h common/policy_canon.h common/policy.h \
 common/proto.h agent/tpm.h include/trustnode/attest_api.h
common/addr.h:
common/err.h:
agent/agent.h:
common/err.h:
agent/attest.h:
common/attest_wire.h:
common/measure_log.h:
common/attest_wire.h:
agent/loop.h:
agent/registry.h:
common/policy.h:
common/addr.h:
agent/state.h:
common/hex.h:
common/policy_canon.h:
common/policy.h:
common/proto.h:
agent/tpm.h:
include/trustnode/attest_api.h:
