build2/agent/main.o: agent/main.c agent/agent.h common/err.h \
 agent/attest.h common/attest_wire.h common/err.h common/measure_log.h \
 common/attest_wire.h agent/loop.h agent/registry.h common/addr.h \
 common/policy.h common/addr.h agent/state.h common/audit_writer.h \
 include/trustnode/audit_api.h common/opts.h \
 include/trustnode/attest_api.h include/trustnode/control_proto.h
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
common/audit_writer.h:
include/trustnode/audit_api.h:
common/opts.h:
include/trustnode/attest_api.h:
include/trustnode/control_proto.h:
