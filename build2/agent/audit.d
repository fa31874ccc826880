build2/agent/audit.o: agent/audit.c agent/agent.h common/err.h \
 agent/attest.h common/attest_wire.h common/err.h common/measure_log.h \
 common/attest_wire.h agent/loop.h agent/registry.h common/addr.h \
 common/policy.h common/addr.h agent/state.h common/audit_record.h \
 include/trustnode/audit_api.h common/audit_writer.h common/hex.h \
 common/proto.h include/trustnode/attest_api.h
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
common/audit_record.h:
include/trustnode/audit_api.h:
common/audit_writer.h:
common/hex.h:
common/proto.h:
include/trustnode/attest_api.h:
