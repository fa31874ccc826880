build2/agent/identity.o: agent/identity.c agent/attest.h \
 common/attest_wire.h common/err.h common/measure_log.h \
 common/attest_wire.h common/err.h agent/loop.h common/log_auth.h \
 include/trustnode/audit_api.h
agent/attest.h:
common/attest_wire.h:
common/err.h:
common/measure_log.h:
common/attest_wire.h:
common/err.h:
agent/loop.h:
common/log_auth.h:
include/trustnode/audit_api.h:
