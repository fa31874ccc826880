build2/agent/log_serve.o: agent/log_serve.c agent/agent.h common/err.h \
 agent/attest.h common/attest_wire.h common/err.h common/measure_log.h \
 common/attest_wire.h agent/loop.h agent/registry.h common/addr.h \
 common/policy.h common/addr.h agent/state.h common/audit_page.h \
 common/audit_writer.h include/trustnode/audit_api.h common/hex.h \
 common/log_auth.h common/peer_store.h common/measure_log.h \
 common/proto.h
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
common/audit_page.h:
common/audit_writer.h:
include/trustnode/audit_api.h:
common/hex.h:
common/log_auth.h:
common/peer_store.h:
common/measure_log.h:
common/proto.h:
