build2/tests/audit_log_test: tests/audit_log_test.c \
 build2/ksft/kselftest_harness.h build2/ksft/kselftest.h \
 tests/lib/tnlib.h common/attest_wire.h common/err.h \
 common/audit_segments.h common/audit_verify.h common/audit_record.h \
 include/trustnode/audit_api.h common/audit_page.h common/hex.h \
 common/peer_store.h common/attest_wire.h common/measure_log.h \
 common/tpm_verify.h include/trustnode/attest_api.h
build2/ksft/kselftest_harness.h:
build2/ksft/kselftest.h:
tests/lib/tnlib.h:
common/attest_wire.h:
common/err.h:
common/audit_segments.h:
common/audit_verify.h:
common/audit_record.h:
include/trustnode/audit_api.h:
common/audit_page.h:
common/hex.h:
common/peer_store.h:
common/attest_wire.h:
common/measure_log.h:
common/tpm_verify.h:
include/trustnode/attest_api.h:
