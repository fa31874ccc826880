build2/agent/measure.o: agent/measure.c agent/agent.h common/err.h \
 agent/attest.h common/attest_wire.h common/err.h common/measure_log.h \
 common/attest_wire.h agent/loop.h agent/registry.h common/addr.h \
 common/policy.h common/addr.h agent/state.h common/hex.h \
 common/policy_canon.h common/policy.h common/proto.h agent/tpm.h \
 build2/trustnode.skel.h include/trustnode/attest_api.h
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
common/policy_canon.h:
common/policy.h:
common/proto.h:
agent/tpm.h:
build2/trustnode.skel.h:
include/trustnode/attest_api.h:
