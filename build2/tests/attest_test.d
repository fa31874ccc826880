build2/tests/attest_test: tests/attest_test.c \
 build2/ksft/kselftest_harness.h build2/ksft/kselftest.h \
 common/attest_wire.h common/err.h tests/lib/attnode.h tests/lib/tnlib.h \
 common/hex.h include/trustnode/attest_api.h common/log_auth.h \
 common/attest_wire.h include/trustnode/audit_api.h common/audit_record.h \
 common/measure_log.h
build2/ksft/kselftest_harness.h:
build2/ksft/kselftest.h:
common/attest_wire.h:
common/err.h:
tests/lib/attnode.h:
tests/lib/tnlib.h:
common/hex.h:
include/trustnode/attest_api.h:
common/log_auth.h:
common/attest_wire.h:
include/trustnode/audit_api.h:
common/audit_record.h:
common/measure_log.h:
