build2/tools/log_verify.o: tools/log_verify.c common/attest_verify.h \
 common/attest_wire.h common/err.h common/measure_log.h \
 common/peer_store.h common/audit_verify.h common/audit_record.h \
 include/trustnode/audit_api.h common/hex.h tools/trustctl.h \
 common/proto.h include/trustnode/control_proto.h \
 include/trustnode/attest_api.h
common/attest_verify.h:
common/attest_wire.h:
common/err.h:
common/measure_log.h:
common/peer_store.h:
common/audit_verify.h:
common/audit_record.h:
include/trustnode/audit_api.h:
common/hex.h:
tools/trustctl.h:
common/proto.h:
include/trustnode/control_proto.h:
include/trustnode/attest_api.h:
