build2/tests/tpm_verify_test: tests/tpm_verify_test.c \
 build2/ksft/kselftest_harness.h build2/ksft/kselftest.h common/hex.h \
 common/err.h common/tpm_verify.h
build2/ksft/kselftest_harness.h:
build2/ksft/kselftest.h:
common/hex.h:
common/err.h:
common/tpm_verify.h:
