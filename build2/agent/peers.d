build2/agent/peers.o: agent/peers.c agent/agent.h common/err.h \
 agent/attest.h common/attest_wire.h common/err.h common/measure_log.h \
 common/attest_wire.h agent/loop.h agent/registry.h common/addr.h \
 common/policy.h common/addr.h agent/state.h agent/clock.h \
 common/attest_verify.h common/measure_log.h common/peer_store.h \
 common/audit_writer.h include/trustnode/audit_api.h common/hex.h \
 common/peer_store.h common/policy_canon.h common/policy.h common/proto.h
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
agent/clock.h:
common/attest_verify.h:
common/measure_log.h:
common/peer_store.h:
common/audit_writer.h:
include/trustnode/audit_api.h:
common/hex.h:
common/peer_store.h:
common/policy_canon.h:
common/policy.h:
common/proto.h:
