build2/common/attest_verify_log.o: common/attest_verify_log.c \
 common/attest_verify_int.h common/attest_verify.h common/attest_wire.h \
 common/err.h common/measure_log.h common/peer_store.h \
 common/tpm_verify.h common/audit_record.h include/trustnode/audit_api.h \
 common/hex.h common/proto.h include/trustnode/attest_api.h
common/attest_verify_int.h:
common/attest_verify.h:
common/attest_wire.h:
common/err.h:
common/measure_log.h:
common/peer_store.h:
common/tpm_verify.h:
common/audit_record.h:
include/trustnode/audit_api.h:
common/hex.h:
common/proto.h:
include/trustnode/attest_api.h:
