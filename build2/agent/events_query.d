build2/agent/events_query.o: agent/events_query.c agent/agent.h \
 common/err.h agent/attest.h common/attest_wire.h common/err.h \
 common/measure_log.h common/attest_wire.h agent/loop.h agent/registry.h \
 common/addr.h common/policy.h common/addr.h agent/state.h \
 common/audit_segments.h common/audit_writer.h \
 include/trustnode/audit_api.h common/proto.h
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
common/audit_segments.h:
common/audit_writer.h:
include/trustnode/audit_api.h:
common/proto.h:
